"""The admin settings form, generated from a plugin's settings schema.

Each field gets the widget of its type (``host.settings_fields``); the form shows the
stored value or else the field's default, so a fresh form saved unchanged stores the
defaults. Nothing is typed as JSON: lists are rows, mappings are tables of rows, weekly
hours are pairs of times per day. :func:`parse` turns the posted form back into the
values the schema loads, and names the field in every complaint it makes.
"""
from __future__ import annotations

from flask_babel import gettext
from marshmallow import ValidationError, fields, validate

from host import settings_fields as sf

TEXT_WIDGETS = {fields.Int: "number", fields.Float: "number", fields.Url: "url", fields.Email: "email"}


def widget(field) -> str:
    declared = field.metadata.get("widget") or getattr(field, "widget", None)
    if declared:
        return declared
    if field.metadata.get("secret"):
        return "secret"
    if isinstance(field, fields.Boolean):
        return "bool"
    if isinstance(field, fields.List):
        return "list"
    if isinstance(field, fields.Dict):
        return "mapping"
    if choices(field):
        return "choice"
    for kind, name in TEXT_WIDGETS.items():
        if isinstance(field, kind):
            return name
    return "text"


def choices(field) -> list[str]:
    """The allowed values of a text field validated with ``OneOf`` (shown as a list to pick from)."""
    validators = field.validators if isinstance(field, fields.String) else ()
    for validator in validators:
        if isinstance(validator, validate.OneOf):
            return [str(choice) for choice in validator.choices]
    return []


def default(field):
    value = field.load_default
    if value is fields.missing_:
        return None
    return value() if callable(value) else value


def label(field, name: str) -> str:
    # str(): a plugin may declare its labels with lazy_gettext; callers join and format them.
    return str(field.metadata.get("label", name.replace("_", " ").capitalize())) if field else name


def _options(source) -> list[sf.Option]:
    if source is None:
        return []
    try:
        return [o if isinstance(o, sf.Option) else sf.Option(str(o)) for o in source()]
    except Exception:  # a provider that can't be asked now must not take the form down
        import logging

        logging.getLogger(__name__).warning("settings options could not be listed", exc_info=True)
        return []


def _group_names() -> list[str]:
    from host.extensions import db
    from host.models import Group

    return list(db.session.execute(db.select(Group.name).order_by(Group.name)).scalars())


def rows(schema, stored: dict, submitted: dict | None = None) -> list[dict]:
    """One dict per field for the template: its widget, label, help and current value.

    ``submitted`` (values parsed from a refused form) wins over the stored values, so
    the admin's input stays on screen beside the messages.
    """
    result = []
    for name, field in schema.fields.items():
        kind = widget(field)
        secret = kind == "secret"
        if submitted is not None and name in submitted:
            value = submitted[name]
        elif stored.get(name) is not None:
            value = stored[name]
        else:
            value = default(field)
        row = {
            "name": name, "label": label(field, name), "help": field.metadata.get("description", ""),
            "widget": kind, "secret": secret, "is_set": stored.get(name) not in (None, ""),
            "value": None if secret else value, "required": field.required,
            "env": field.metadata.get("env"),
        }
        if kind == "choice":
            row["choices"] = choices(field)
        elif kind == "picklist":
            options = _options(getattr(field, "options", None))
            offered = {o.value for o in options}
            row["options"] = options
            row["typed"] = [v for v in (value or []) if v not in offered]
        elif kind == "mapping":
            row["pairs"] = list((value or {}).items())
            row["key_options"] = _options(getattr(field, "key_options", None))
            row["key_label"] = getattr(field, "key_label", field.metadata.get("key_label", "Key"))
            row["value_label"] = field.metadata.get("value_label", "Group" if getattr(
                field, "value_widget", None) == "group" else "Value")
            row["value_widget"] = getattr(field, "value_widget", None) or field.metadata.get("value_widget") or (
                "number" if isinstance(field.value_field, (fields.Int, fields.Float)) else "text")
            if row["value_widget"] == "group":
                row["groups"] = _group_names()
        elif kind == "weekly_hours":
            hours = value or {}
            row["days"] = [(day, sf.day_name(day), [r.split("-", 1) for r in hours.get(day, []) if "-" in r])
                           for day in sf.WEEKDAYS]
        elif kind == "timezone":
            row["zones"] = sf.time_zone_names()
        result.append(row)
    return result


def parse(schema, form) -> dict:
    """The posted form as the values the schema loads; a field left empty takes its default.

    Raises ``ValidationError`` (field name → sentences) for rows that are half filled in.
    """
    data, errors = {}, {}
    for name, field in schema.fields.items():
        kind = widget(field)
        try:
            if kind == "bool":
                data[name] = form.get(name) == "on"
            elif kind in ("list", "picklist"):
                data[name] = _unique(v.strip() for v in form.getlist(name) if v.strip())
            elif kind == "mapping":
                data[name] = _pairs(form, name, field)
            elif kind == "weekly_hours":
                data[name] = _hours(form, name)
            elif name in form:
                value = form.get(name)
                if value.strip() == "" and kind not in ("secret",):
                    continue  # empty: the field's default (or "not set")
                data[name] = value.strip() if kind != "secret" else value
        except ValidationError as exc:
            errors[name] = exc.messages
    if errors:
        raise ValidationError(errors, data=data)
    return data


def _unique(values) -> list[str]:
    seen = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen


def _pairs(form, name: str, field) -> dict:
    keys, values = form.getlist(f"{name}.key"), form.getlist(f"{name}.value")
    result, problems = {}, []
    key_label = getattr(field, "key_label", field.metadata.get("key_label", "Key"))
    for key, value in zip(keys, values + [""] * (len(keys) - len(values)), strict=False):
        key, value = key.strip(), value.strip()
        if not key and not value:
            continue
        if not key:
            problems.append(f"A row with {value!r} has no {key_label.lower()}.")
        elif not value:
            problems.append(f"{key}: choose a {('group' if getattr(field, 'value_widget', None) == 'group' else 'value')}.")
        elif key in result and result[key] != value:
            problems.append(f"{key} is listed twice with different values.")
        else:
            result[key] = value
    if problems:
        raise ValidationError(problems)
    return result


def _hours(form, name: str) -> dict:
    result, problems = {}, []
    for day in sf.WEEKDAYS:
        starts, ends = form.getlist(f"{name}.{day}.from"), form.getlist(f"{name}.{day}.to")
        for start, end in zip(starts, ends + [""] * (len(starts) - len(ends)), strict=False):
            start, end = start.strip()[:5], end.strip()[:5]
            if not start and not end:
                continue
            if not (start and end):
                problems.append(gettext("%(day)s: give both the opening and the closing time.", day=sf.day_name(day)))
                continue
            result.setdefault(day, []).append(f"{start}-{end}")
    if problems:
        raise ValidationError(problems)
    return result


def flat(messages) -> list[str]:
    """marshmallow's nested messages ({index: [...]}, {"key": {...}}) as a flat list of sentences."""
    if isinstance(messages, dict):
        return [text for value in messages.values() for text in flat(value)]
    if isinstance(messages, (list, tuple)):
        return [text for value in messages for text in flat(value)]
    return [str(messages)]
