"""marshmallow's own refusals in the reader's language.

When a schema refuses data, marshmallow writes its sentences in English ("Missing data for
required field.", "Not a valid integer.", "Length must be between 1 and 80."), whichever
schema it is — the host's or a plugin's. They are translated in one place, where a refusal
becomes an answer (:mod:`host.errors` for the API's 400 and 422 bodies): each of
marshmallow's sentences is recognised whole, its values (lengths, bounds, choices) kept, and
written again through the server catalog. Field names (the keys) stay as they are, and a
sentence that is not marshmallow's — the code's own, already in the reader's language —
passes unchanged.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from flask_babel import gettext


def _sentences() -> dict[str, Callable[..., str]]:
    """marshmallow's sentence (its ``str.format`` template) → the same in the catalog."""
    return {
        # fields
        "Missing data for required field.": lambda: gettext("Missing data for required field."),
        "Field may not be null.": lambda: gettext("Field may not be null."),
        "Invalid value.": lambda: gettext("Invalid value."),
        "Invalid type.": lambda: gettext("Invalid type."),
        "Invalid input type.": lambda: gettext("Invalid input type."),
        "Unknown field.": lambda: gettext("Unknown field."),
        "Not a valid string.": lambda: gettext("Not a valid string."),
        "Not a valid utf-8 string.": lambda: gettext("Not a valid utf-8 string."),
        "Not a valid integer.": lambda: gettext("Not a valid integer."),
        "Not a valid number.": lambda: gettext("Not a valid number."),
        "Number too large.": lambda: gettext("Number too large."),
        "Special numeric values (nan or infinity) are not permitted.":
            lambda: gettext("Special numeric values (nan or infinity) are not permitted."),
        "Not a valid boolean.": lambda: gettext("Not a valid boolean."),
        "Not a valid list.": lambda: gettext("Not a valid list."),
        "Not a valid tuple.": lambda: gettext("Not a valid tuple."),
        "Not a valid mapping type.": lambda: gettext("Not a valid mapping type."),
        "Not a valid email address.": lambda: gettext("Not a valid email address."),
        "Not a valid URL.": lambda: gettext("Not a valid URL."),
        "Not a valid UUID.": lambda: gettext("Not a valid UUID."),
        "Not a valid datetime.": lambda: gettext("Not a valid date and time."),
        "Not a valid aware datetime.": lambda: gettext("Not a valid date and time with a time zone."),
        "Not a valid naive datetime.": lambda: gettext("Not a valid date and time without a time zone."),
        "Not a valid date.": lambda: gettext("Not a valid date."),
        "Not a valid time.": lambda: gettext("Not a valid time."),
        "Not a valid period of time.": lambda: gettext("Not a valid period of time."),
        # validators
        "Shorter than minimum length {min}.": lambda min: gettext("Shorter than minimum length %(min)s.", min=min),
        "Longer than maximum length {max}.": lambda max: gettext("Longer than maximum length %(max)s.", max=max),
        "Length must be between {min} and {max}.":
            lambda min, max: gettext("Length must be between %(min)s and %(max)s.", min=min, max=max),
        "Length must be {equal}.": lambda equal: gettext("Length must be %(equal)s.", equal=equal),
        "Must be greater than or equal to {min}.":
            lambda min: gettext("Must be greater than or equal to %(min)s.", min=min),
        "Must be greater than {min}.": lambda min: gettext("Must be greater than %(min)s.", min=min),
        "Must be less than or equal to {max}.": lambda max: gettext("Must be less than or equal to %(max)s.", max=max),
        "Must be less than {max}.": lambda max: gettext("Must be less than %(max)s.", max=max),
        "Must be greater than or equal to {min} and less than or equal to {max}.":
            lambda min, max: gettext("Must be greater than or equal to %(min)s and less than or equal to %(max)s.",
                                     min=min, max=max),
        "Must be greater than {min} and less than {max}.":
            lambda min, max: gettext("Must be greater than %(min)s and less than %(max)s.", min=min, max=max),
        "Must be greater than or equal to {min} and less than {max}.":
            lambda min, max: gettext("Must be greater than or equal to %(min)s and less than %(max)s.",
                                     min=min, max=max),
        "Must be greater than {min} and less than or equal to {max}.":
            lambda min, max: gettext("Must be greater than %(min)s and less than or equal to %(max)s.",
                                     min=min, max=max),
        "Must be one of: {choices}.": lambda choices: gettext("Must be one of: %(choices)s.", choices=choices),
        "Must be equal to {other}.": lambda other: gettext("Must be equal to %(other)s.", other=other),
        "Invalid input.": lambda: gettext("Invalid input."),
        "String does not match expected pattern.": lambda: gettext("String does not match expected pattern."),
        "One or more of the choices you made was not in: {choices}.":
            lambda choices: gettext("One or more of the choices you made was not in: %(choices)s.", choices=choices),
        "One or more of the choices you made was in: {values}.":
            lambda values: gettext("One or more of the choices you made was in: %(values)s.", values=values),
    }


@cache
def _patterns() -> tuple[tuple[re.Pattern[str], Callable[..., str]], ...]:
    found = []
    # Longest first: "Must be greater than {min}." would also match the sentence with both bounds.
    for template, translate in sorted(_sentences().items(), key=lambda item: -len(item[0])):
        parts = re.split(r"\{(\w+)\}", template)  # literal, name, literal, name, …, literal
        regex = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+)" for i, part in enumerate(parts))
        found.append((re.compile(regex + r"\Z", re.DOTALL), translate))
    return tuple(found)


def translate(text: str) -> str:
    """One of marshmallow's sentences in the request's language; any other text unchanged."""
    for pattern, sentence in _patterns():
        match = pattern.match(text)
        if match:
            return sentence(**match.groupdict())
    return text


def translated(messages):
    """A refusal's messages (dicts and lists of sentences, as marshmallow nests them) with
    marshmallow's sentences translated and every key kept."""
    if isinstance(messages, str):
        return translate(messages)
    if isinstance(messages, dict):
        return {key: translated(value) for key, value in messages.items()}
    if isinstance(messages, (list, tuple)):
        return [translated(value) for value in messages]
    return messages
