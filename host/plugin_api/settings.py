"""A plugin's settings (declared with ``register_settings_schemas``) and the field types of
the generated admin form.

``get(plugin)`` reads the values (cached, secrets included), ``stored`` what is in the
database, ``save``/``update`` validate and store, ``forget`` removes values; ``problems``,
``label`` and ``explain`` put the schema's refusals in sentences for people.
"""
from __future__ import annotations

from host.settings import explain, forget, get, invalidate, label, problems, save, stored, update
from host.settings_fields import WEEKDAYS, GroupMapping, Option, Picklist, TimeZone, WeeklyHours, parse_range

__all__ = [
    "get", "stored", "save", "update", "forget", "invalidate", "problems", "label", "explain",
    "Option", "Picklist", "GroupMapping", "TimeZone", "WeeklyHours", "WEEKDAYS", "parse_range",
]
