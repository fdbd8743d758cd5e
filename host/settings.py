"""Plugin settings: validated by the plugin's marshmallow schema, stored per key.

Secret fields (``metadata={"secret": True}``) are write-only: the admin form shows
whether one is set, never its value, and an empty submission keeps the stored value.
Environment variables named in a field's ``metadata["env"]`` win over stored values.

Reads are cached per process for ``CACHE_SECONDS`` (webhooks read settings on every
request); any write through the ORM in this process drops the cache at once, and
other processes see a change within ``CACHE_SECONDS``.
"""
from __future__ import annotations

import os
import threading
import time

from flask import current_app
from flask_babel import gettext
from marshmallow import ValidationError, fields

from host import db_listeners, settings_form
from host.extensions import db
from host.logging_filters import register_secret
from host.models import Setting
from host.validation_messages import translated

CACHE_SECONDS = 2.0
_cache_lock = threading.Lock()


def _cache() -> dict:
    return current_app.extensions.setdefault("switchboard.settings_cache", {})


def invalidate(plugin: str | None = None) -> None:
    with _cache_lock:
        cache = _cache()
        cache.clear() if plugin is None else cache.pop(plugin, None)


def install(app) -> None:
    """Forget cached values whenever this app's session writes a plugin's settings."""
    db_listeners.listen(app, "after_flush", _settings_written)


def _settings_written(session, _flush_context):
    written = {row.plugin for row in (*session.new, *session.dirty, *session.deleted) if isinstance(row, Setting)}
    for plugin in written:
        invalidate(plugin)


def _schema(plugin: str):
    registered = current_app.extensions["switchboard"].settings.get(plugin)
    if registered is None:
        return None
    schema = registered.schema
    return schema() if isinstance(schema, type) else schema


def _is_secret(field) -> bool:
    return bool(field.metadata.get("secret"))


def stored(plugin: str) -> dict:
    rows = db.session.execute(db.select(Setting).where(Setting.plugin == plugin)).scalars()
    return {row.key: row.value for row in rows}


def get(plugin: str) -> dict:
    """Current settings: stored values over schema defaults, environment over both."""
    now = time.monotonic()
    hit = _cache().get(plugin)
    if hit and now - hit[0] < CACHE_SECONDS:
        return dict(hit[1])
    result = _read(plugin)
    with _cache_lock:
        _cache()[plugin] = (now, result)
    return dict(result)


def _read(plugin: str) -> dict:
    schema = _schema(plugin)
    values = stored(plugin)
    if schema is None:
        return values
    result = {}
    for name, field in schema.fields.items():
        value = values.get(name)
        if value is None and field.load_default is not fields.missing_:
            value = field.load_default() if callable(field.load_default) else field.load_default
        env = field.metadata.get("env")
        if env and os.environ.get(env):
            value = os.environ[env]
        if _is_secret(field):
            register_secret(value if isinstance(value, str) else None)
        result[name] = value
    return result


def save(plugin: str, data: dict) -> dict:
    """Validate and store; secrets left empty keep their stored value."""
    schema = _schema(plugin)
    current = stored(plugin)
    incoming = dict(data)
    for name, field in schema.fields.items():
        if _is_secret(field) and not incoming.get(name):
            incoming.pop(name, None)
            if current.get(name) is not None:
                incoming[name] = current[name]
    loaded = schema.load(incoming, partial=False)
    for key, value in loaded.items():
        row = db.session.get(Setting, (plugin, key)) or Setting(plugin=plugin, key=key)
        row.value = value
        db.session.add(row)
        if _is_secret(schema.fields[key]):
            register_secret(value if isinstance(value, str) else None)
    db.session.commit()
    invalidate(plugin)
    return loaded


def update(plugin: str, changes: dict) -> dict:
    """Save ``changes`` and keep every other stored value as it is (validated as a whole)."""
    return save(plugin, {**{k: v for k, v in stored(plugin).items() if v is not None}, **changes})


def forget(plugin: str, names) -> None:
    """Remove stored values, so their schema defaults apply again (no validation: an
    object the plugin deleted at the provider is no longer named)."""
    for name in names:
        row = db.session.get(Setting, (plugin, name))
        if row is not None:
            db.session.delete(row)
    db.session.commit()
    invalidate(plugin)


def save_form(plugin: str, form) -> dict:
    """Save the admin form; a refusal carries every field's messages and the parsed input
    (``exc.data``) so the form can be shown again as it was sent."""
    schema = _schema(plugin)
    try:
        data, form_errors = settings_form.parse(schema, form), {}
    except ValidationError as exc:
        data, form_errors = exc.data or {}, exc.messages
    try:
        if form_errors:
            _check_rest(plugin, schema, data, set(form_errors))
        else:
            return save(plugin, data)
    except ValidationError as exc:
        raise ValidationError({**exc.messages, **form_errors}, data=data) from exc
    raise ValidationError(form_errors, data=data)


def _check_rest(plugin, schema, data, skip) -> None:
    """Validate the fields that parsed, so one refusal names every problem at once."""
    current = stored(plugin)
    incoming = {k: v for k, v in data.items() if k not in skip}
    for name, field in schema.fields.items():
        if _is_secret(field) and not incoming.get(name) and current.get(name) is not None:
            incoming[name] = current[name]
    schema.load(incoming, partial=tuple(skip))


def problems(plugin: str) -> list[str]:
    """Why the plugin's stored settings would not work, in sentences (empty when fine)."""
    schema = _schema(plugin)
    if schema is None:
        return []
    try:
        schema.load({k: v for k, v in get(plugin).items() if v is not None})
    except ValidationError as exc:
        return [_problem(schema.fields.get(name), name, msgs) for name, msgs in exc.messages.items()]
    return []


def missing_and_problems(plugin: str) -> tuple[list[str], list[str]]:
    """(labels of required fields not filled in yet, sentences for every other problem)."""
    schema = _schema(plugin)
    if schema is None:
        return [], []
    try:
        schema.load({k: v for k, v in get(plugin).items() if v is not None})
    except ValidationError as exc:
        missing, other = [], []
        for name, messages in exc.messages.items():
            field = schema.fields.get(name)
            if settings_form.flat(messages) == ["Missing data for required field."]:
                missing.append(settings_form.label(field, name))
            else:
                other.append(_problem(field, name, messages))
        return missing, other
    return [], []


def label(plugin: str, name: str) -> str:
    """What the plugin's settings form calls the field ``name``."""
    schema = _schema(plugin)
    return settings_form.label(schema.fields.get(name) if schema is not None else None, name)


def _problem(field, name: str, messages) -> str:
    label = settings_form.label(field, name)
    text = " ".join(settings_form.flat(messages))
    if text == "Missing data for required field.":
        return gettext("%(label)s is not filled in yet.", label=label)
    return gettext("%(label)s: %(problem)s", label=label, problem=" ".join(translated(settings_form.flat(messages))))


def explain(plugin: str, messages: dict) -> list[str]:
    """A refusal's messages as sentences that name each field as the form labels it."""
    schema = _schema(plugin)
    return [_problem(schema.fields.get(name), name, msgs) for name, msgs in messages.items()]


def form_fields(plugin: str, submitted: dict | None = None) -> list[dict]:
    """The settings form's fields: stored values, else defaults (see ``host.settings_form``)."""
    return settings_form.rows(_schema(plugin), stored(plugin), submitted)
