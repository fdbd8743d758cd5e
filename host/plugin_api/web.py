"""Helpers for a plugin's blueprints: its static assets, tab scripts and stylesheets, body
limits, the declaration of its provider's webhooks, the admin check, the public-URL check,
file names a phone shows well, and the REST API's field types and snapshots (flask-smorest
+ marshmallow)."""
from __future__ import annotations

from host.api import require_admin
from host.attachments import safe_filename
from host.plugin_kit import assets_blueprint, plugin_text, tab_script, tab_stylesheet
from host.request_bodies import limit_body
from host.webhooks import provider_webhooks
from host.public_urls import public_https_url
from host.schemas import CallSchema, ChatSchema, RowId, UtcDateTime, snapshot_call, snapshot_chat, snapshot_message

__all__ = [
    "assets_blueprint", "tab_script", "tab_stylesheet", "limit_body", "provider_webhooks", "require_admin",
    "public_https_url", "safe_filename", "plugin_text",
    "UtcDateTime", "RowId", "ChatSchema", "CallSchema", "snapshot_chat", "snapshot_message", "snapshot_call",
]
