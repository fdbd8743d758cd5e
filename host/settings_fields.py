"""Field types a plugin's settings schema declares to get the admin form's richer widgets.

The admin form is generated from the schema: every field gets the widget of its type
(see ``host.settings_form``). Plain marshmallow fields already get sensible ones — a
``List`` of strings becomes rows to add and remove, a ``Dict`` a table of key/value rows,
an ``Int`` a number box — and these types add what plain fields can't say:

* :class:`Picklist` — a list whose values are picked from what the plugin offers
  (``options``: a callable returning :class:`Option` items, e.g. the numbers fetched from
  a provider), with typed entry for anything else;
* :class:`GroupMapping` — a table of (key, Switchboard group) rows; the group is chosen
  from the groups in the database by name;
* :class:`WeeklyHours` — opening hours per weekday (``{"mon": ["09:00-17:00"], …}``);
* :class:`TimeZone` — an IANA time-zone name, chosen from a searchable list.

A field may also name its widget in ``metadata={"widget": …}``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from collections.abc import Callable, Iterable

from babel.dates import get_day_names
from flask_babel import get_locale, gettext
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from marshmallow import ValidationError, fields

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOURS = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


def day_name(day: str) -> str:
    """A weekday's name ("mon") in the agent's language, from CLDR through Babel rather than a
    catalog of our own; capitalised, as it labels a row or starts a sentence."""
    name = get_day_names("wide", "stand-alone", locale=get_locale() or "en")[WEEKDAYS.index(day)]
    return name[:1].upper() + name[1:]


@dataclass(frozen=True)
class Option:
    """One value an admin can pick, with what a person needs to choose it."""

    value: str
    label: str = ""
    detail: str = ""


class Picklist(fields.List):
    """A list of strings picked from ``options()`` (typed entry stays possible)."""

    widget = "picklist"

    def __init__(self, options: Callable[[], Iterable[Option]] | None = None, **kwargs):
        kwargs.setdefault("load_default", list)
        super().__init__(fields.Str(), **kwargs)
        self.options = options


class GroupMapping(fields.Dict):
    """Key → Switchboard group name; keys may be suggested by ``key_options()``."""

    widget = "mapping"
    value_widget = "group"

    def __init__(self, key_options: Callable[[], Iterable[Option]] | None = None, key_label: str = "Key", **kwargs):
        kwargs.setdefault("load_default", dict)
        super().__init__(keys=fields.Str(), values=fields.Raw(), **kwargs)
        self.key_options = key_options
        self.key_label = key_label


def parse_range(text: str) -> tuple[time, time] | None:
    """``"09:00-17:00"`` → (start, end); None when malformed or not start before end."""
    match = HOURS.match((text or "").strip())
    if not match:
        return None
    h1, m1, h2, m2 = (int(x) for x in match.groups())
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2) or (h2, m2) <= (h1, m1):
        return None
    end = time(23, 59, 59, 999999) if h2 == 24 else time(h2, m2)
    return time(h1, m1), end


class WeeklyHours(fields.Dict):
    """Opening hours per weekday: ``{"mon": ["09:00-12:30", "13:30-17:00"], …}``; missing days are closed."""

    widget = "weekly_hours"

    def __init__(self, **kwargs):
        super().__init__(keys=fields.Str(), values=fields.List(fields.Str()), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        hours = super()._deserialize(value, attr, data, **kwargs)
        problems = []
        for day, ranges in hours.items():
            if day not in WEEKDAYS:
                problems.append(gettext("%(day)s is not a day; use %(days)s.", day=repr(day), days=", ".join(WEEKDAYS)))
                continue
            for text in ranges:
                if parse_range(text) is None:
                    problems.append(gettext("%(day)s: %(hours)s should look like 09:00-17:00 (start before end).",
                                            day=day_name(day), hours=repr(text)))
        if problems:
            raise ValidationError(problems)
        return hours


class TimeZone(fields.Str):
    """An IANA time-zone name such as ``Europe/Berlin``."""

    widget = "timezone"

    def _deserialize(self, value, attr, data, **kwargs):
        name = super()._deserialize(value, attr, data, **kwargs)
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError(gettext("%(name)s is not a time zone name; use one like Europe/Berlin or "
                                          "America/New_York.", name=repr(name))) from None
        return name


def time_zone_names() -> list[str]:
    return sorted(name for name in available_timezones() if "/" in name or name == "UTC")
