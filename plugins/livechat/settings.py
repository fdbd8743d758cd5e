"""The plugin's admin settings and a typed view of them.

Nothing here is required by the schema: the plugin can be enabled before it is configured
(the host refuses to enable a plugin whose stored settings fail validation). Until the
client id, organization id and agent token are set, the sync stays idle and the health
check says what is missing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from collections.abc import Mapping

from flask_babel import gettext, lazy_gettext
from marshmallow import Schema, ValidationError, fields, validate, validates

from host.plugin_api import settings as host_settings
from plugins.livechat.scopes import NEEDED as NEEDED_SCOPES

NAME = "livechat"
DEFAULT_CHANNELS = ("sms", "whatsapp", "voice")


class LiveChatSettingsSchema(Schema):
    client_id = fields.Str(load_default=None, allow_none=True, metadata={
        "label": lazy_gettext("Client ID"), "env": "SWITCHBOARD_LIVECHAT_CLIENT_ID",
        "description": lazy_gettext("The Client ID of your app in LiveChat's Developer Console (used for customer "
                       "identities, webhook registration and 'Sign in with LiveChat').")})
    client_secret = fields.Str(load_default=None, allow_none=True, metadata={
        "label": lazy_gettext("Client secret"), "secret": True, "env": "SWITCHBOARD_LIVECHAT_CLIENT_SECRET",
        "description": lazy_gettext("The app's client secret; with a refresh token it lets Switchboard renew the agent "
                       "token by itself.")})
    organization_id = fields.Str(load_default=None, allow_none=True, metadata={
        "label": lazy_gettext("Organization ID"), "env": "SWITCHBOARD_LIVECHAT_ORGANIZATION_ID",
        "description": lazy_gettext("Your LiveChat organization id (a UUID).")})
    agent_token = fields.Str(load_default=None, allow_none=True, metadata={
        "label": lazy_gettext("Agent access token"), "secret": True, "env": "SWITCHBOARD_LIVECHAT_AGENT_TOKEN",
        "description": lazy_gettext(
            "Filled in by Connect LiveChat on /plugins/livechat/admin (the OAuth access token of the agent the "
            "integration acts as, with the scopes %(scopes)s). A personal access token is not enough: LiveChat "
            "refuses it for the customer-token grant.", scopes=", ".join(NEEDED_SCOPES))})
    refresh_token = fields.Str(load_default=None, allow_none=True, metadata={
        "label": lazy_gettext("Refresh token"), "secret": True, "env": "SWITCHBOARD_LIVECHAT_REFRESH_TOKEN",
        "description": lazy_gettext("Filled in by Connect LiveChat: the refresh token from the authorization code "
                       "grant; used with the client secret when the agent token has expired.")})
    webhook_secret = fields.Str(load_default=None, allow_none=True, validate=validate.Length(min=16), metadata={
        "label": lazy_gettext("Webhook secret"), "secret": True, "env": "SWITCHBOARD_LIVECHAT_WEBHOOK_SECRET",
        "description": lazy_gettext("The secret_key LiveChat sends with every webhook (at least 16 characters). "
                       "Left empty, 'Register webhooks' generates one.")})
    group_mapping = fields.Dict(keys=fields.Str(), values=fields.Int(), load_default=dict, metadata={
        "label": lazy_gettext("Group mapping"),
        "key_label": lazy_gettext("Switchboard group"), "value_label": lazy_gettext("LiveChat group id"),
        "description": lazy_gettext("Chats go to the LiveChat group of their Switchboard group (by name or id).")})
    default_group_id = fields.Int(load_default=0, validate=validate.Range(min=0), metadata={
        "label": lazy_gettext("Default LiveChat group id"),
        "description": lazy_gettext("For chats whose Switchboard group is not in the mapping.")})
    mirrored_channels = fields.List(fields.Str(), load_default=lambda: list(DEFAULT_CHANNELS), metadata={
        "label": lazy_gettext("Mirrored channels"),
        "description": lazy_gettext("Channels whose chats are mirrored into LiveChat, e.g. sms, whatsapp, voice.")})

    @validates("group_mapping")
    def _mapping(self, value, **kwargs):
        if any(v < 0 for v in value.values()):
            raise ValidationError(gettext("LiveChat group ids are 0 or more."))


REQUIRED = {"client_id": lazy_gettext("Client ID"), "organization_id": lazy_gettext("Organization ID"),
            "agent_token": lazy_gettext("Agent access token")}


@dataclass(frozen=True)
class LiveChatSettings:
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    organization_id: str | None = None
    agent_token: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    webhook_secret: str | None = field(default=None, repr=False)
    group_mapping: Mapping[str, int] = field(default_factory=dict)
    default_group_id: int = 0
    mirrored_channels: tuple[str, ...] = DEFAULT_CHANNELS

    @property
    def missing(self) -> list[str]:
        return [str(label) for name, label in REQUIRED.items() if not getattr(self, name)]

    @property
    def configured(self) -> bool:
        # Asked for every event the host emits (is it mirrored?): the names alone, no
        # translated labels.
        return all(getattr(self, name) for name in REQUIRED)

    def mirrors(self, channel: str | None) -> bool:
        return bool(channel) and channel in self.mirrored_channels

    def lc_group_for(self, group_id: int | None, group_name: str | None) -> int:
        """The LiveChat group of a Switchboard group (by name, then id), else the default."""
        mapping = self.group_mapping or {}
        for key in (group_name, str(group_id) if group_id is not None else None):
            if key is not None and key in mapping:
                return int(mapping[key])
        return int(self.default_group_id or 0)

    def sb_group_keys_for(self, lc_group_id: int) -> list[str]:
        """Switchboard group names/ids mapped to a LiveChat group (reverse mapping)."""
        return [key for key, value in (self.group_mapping or {}).items() if int(value) == int(lc_group_id)]


def current() -> LiveChatSettings:
    """The stored settings (environment wins), typed. Needs an app context."""
    values: dict[str, Any] = host_settings.get(NAME)
    channels = values.get("mirrored_channels")
    return LiveChatSettings(
        client_id=values.get("client_id") or None,
        client_secret=values.get("client_secret") or None,
        organization_id=values.get("organization_id") or None,
        agent_token=values.get("agent_token") or None,
        refresh_token=values.get("refresh_token") or None,
        webhook_secret=values.get("webhook_secret") or None,
        group_mapping=dict(values.get("group_mapping") or {}),
        default_group_id=int(values.get("default_group_id") or 0),
        mirrored_channels=tuple(channels) if channels is not None else DEFAULT_CHANNELS,
    )


def update(**changes: Any) -> None:
    """Store some settings, keeping the others (secrets included)."""
    data = {k: v for k, v in host_settings.stored(NAME).items()}
    data.update(changes)
    host_settings.save(NAME, data)
