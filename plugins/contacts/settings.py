"""Admin settings of the contacts plugin: the region used to read national phone numbers."""
from __future__ import annotations

import phonenumbers
from flask import current_app
from marshmallow import Schema, ValidationError, fields

from host.plugin_api import settings as host_settings

NAME = "contacts"


def _region(value: str | None) -> None:
    if value and value.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(f"“{value}” is not a country code phonenumbers knows; use a two-letter "
                              "ISO code such as US, GB or DE, or leave it empty.")


class ContactsSettingsSchema(Schema):
    default_region = fields.Str(load_default=None, allow_none=True, validate=_region, metadata={
        "label": "Default region",
        "description": "Two-letter country code used to read phone numbers written without a "
                       "country code (e.g. “(415) 555-0100” with US). Empty: the host's "
                       "SWITCHBOARD_DEFAULT_REGION.",
    })


def default_region() -> str:
    """The plugin setting, else the host's ``SWITCHBOARD_DEFAULT_REGION``, else US."""
    value = host_settings.get(NAME).get("default_region")
    if value:
        return str(value).upper()
    return str(current_app.config.get("SWITCHBOARD_DEFAULT_REGION") or "US").upper()
