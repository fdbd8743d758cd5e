"""Plugin settings: validated by the plugin's marshmallow schema, stored per key.

Secret fields (``metadata={"secret": True}``) are write-only: the admin form shows
whether one is set, never its value, and an empty submission keeps the stored value.
Environment variables named in a field's ``metadata["env"]`` win over stored values.

Reads are cached per process for ``CACHE_SECONDS`` (webhooks read settings on every
request); any write through the ORM in this process drops the cache at once, and
other processes see a change within ``CACHE_SECONDS``.
"""
from __future__ import annotations

import json
import os
import threading
import time

from flask import current_app
from marshmallow import ValidationError, fields, validate

from host.extensions import db
from host.logging_filters import register_secret
from host.models import Setting

CACHE_SECONDS = 2.0
_cache_lock = threading.Lock()


def _cache() -> dict:
    return current_app.extensions.setdefault("switchboard.settings_cache", {})


def invalidate(plugin: str | None = None) -> None:
    with _cache_lock:
        cache = _cache()
        cache.clear() if plugin is None else cache.pop(plugin, None)


@db.event.listens_for(Setting, "after_insert")
@db.event.listens_for(Setting, "after_update")
@db.event.listens_for(Setting, "after_delete")
def _setting_written(mapper, connection, target):
    try:
        invalidate(target.plugin)
    except RuntimeError:  # written outside an app context (migrations): nothing cached
        pass


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


def save_form(plugin: str, form) -> dict:
    schema = _schema(plugin)
    data = {}
    for name, field in schema.fields.items():
        if isinstance(field, fields.Boolean):
            data[name] = form.get(name) == "on"
        elif isinstance(field, (fields.List, fields.Dict)):
            raw = form.get(name, "").strip()
            try:
                data[name] = json.loads(raw) if raw else ([] if isinstance(field, fields.List) else {})
            except json.JSONDecodeError as exc:
                raise ValidationError({name: [f"This must be JSON ({exc.msg} at character {exc.pos})."]})
        elif name in form:
            data[name] = form.get(name)
    return save(plugin, data)


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


def label(plugin: str, name: str) -> str:
    """What the plugin's settings form calls the field ``name``."""
    schema = _schema(plugin)
    return _label(schema.fields.get(name) if schema is not None else None, name)


def _label(field, name: str) -> str:
    """What the settings form calls a field."""
    return field.metadata.get("label", name.replace("_", " ").capitalize()) if field else name


def _problem(field, name: str, messages) -> str:
    label = _label(field, name)
    text = " ".join(map(str, messages)) if isinstance(messages, list) else str(messages)
    if text == "Missing data for required field.":
        return f"{label} is not filled in yet."
    return f"{label}: {text}"


def _choices(field) -> list[str]:
    """The allowed values of a text field validated with ``OneOf`` (shown as a list to pick from)."""
    validators = field.validators if isinstance(field, fields.String) else ()
    for validator in validators:
        if isinstance(validator, validate.OneOf):
            return [str(choice) for choice in validator.choices]
    return []


def form_fields(plugin: str, submitted=None) -> list[dict]:
    schema = _schema(plugin)
    values = stored(plugin)
    rows = []
    for name, field in schema.fields.items():
        secret = _is_secret(field)
        value = (submitted.get(name) if submitted is not None else values.get(name))
        if isinstance(value, (list, dict)):
            value = json.dumps(value, indent=2)
        choices = _choices(field)
        rows.append({
            "name": name,
            "label": _label(field, name),
            "help": field.metadata.get("description", ""),
            "secret": secret,
            "is_set": values.get(name) not in (None, ""),
            "value": "" if secret else ("" if value is None else value),
            "kind": ("bool" if isinstance(field, fields.Boolean)
                     else "json" if isinstance(field, (fields.List, fields.Dict))
                     else "choice" if choices else "text"),
            "choices": choices,
            "required": field.required,
        })
    return rows
