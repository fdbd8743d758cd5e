"""Registering Switchboard's webhooks with LiveChat (Configuration API ``register_webhook``).

Three license webhooks point at ``SWITCHBOARD_PUBLIC_URL + /webhooks/livechat``, all with
the plugin's webhook secret: ``incoming_event`` filtered to agent authors (so customer
events we post are not sent back to us), ``chat_transferred`` and ``chat_deactivated``.
Running it again changes nothing when they are already there; a registration with an old
secret or other filters is replaced. Without a webhook secret one is generated and stored.
"""
from __future__ import annotations

import secrets

from flask import current_app

from plugins.livechat import client, settings
from plugins.livechat.api import LiveChatError

PATH = "/webhooks/livechat"
WEBHOOKS = (
    ("incoming_event", {"author_type": "agent"}),
    ("chat_transferred", {}),
    ("chat_deactivated", {}),
)


def webhook_url() -> str:
    return current_app.config["SWITCHBOARD_PUBLIC_URL"].rstrip("/") + PATH


def register() -> list[str]:
    """Make sure the webhooks exist; return what was done, in sentences. Raises LiveChatError."""
    config = settings.current()
    if not config.configured:
        raise ValueError("Finish the LiveChat settings first: " + ", ".join(config.missing) + ".")
    notes = []
    if not config.webhook_secret:
        settings.update(webhook_secret=secrets.token_urlsafe(32))
        config = settings.current()
        notes.append("Generated and stored a new webhook secret.")
    url = webhook_url()
    api = client.api_for(config)
    existing = api.list_webhooks(config.client_id)
    for action, filters in WEBHOOKS:
        current = [w for w in existing if w.action == action and w.url == url]
        good = [w for w in current if w.secret_key in (None, config.webhook_secret) and (w.filters or {}) == filters]
        for stale in (w for w in current if w not in good):
            api.unregister_webhook(stale.id, config.client_id)
            notes.append(f"Replaced an outdated {action} webhook.")
        if good:
            notes.append(f"{action}: already registered.")
            continue
        api.register_webhook(url, action, config.webhook_secret, config.client_id, filters=filters or None,
                             type="license", description="Switchboard chat sync")
        notes.append(f"{action}: registered" + (" (agent messages only)." if filters else "."))
    if not url.startswith("https://"):
        notes.append(f"Note: {url} is not HTTPS; LiveChat may not deliver to it. Set SWITCHBOARD_PUBLIC_URL.")
    return notes


def registered() -> tuple[list[dict], str | None]:
    """The webhooks LiveChat has for our client id, or an error in words."""
    config = settings.current()
    if not config.configured:
        return [], None
    try:
        hooks = client.api_for(config).list_webhooks(config.client_id)
    except LiveChatError as exc:
        return [], str(exc)
    return [{"action": w.action, "url": w.url, "filters": w.filters, "ours": w.url == webhook_url()}
            for w in hooks], None
