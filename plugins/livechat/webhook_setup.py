"""Registering Switchboard's webhooks with LiveChat (Configuration API ``register_webhook``).

Three license webhooks point at ``SWITCHBOARD_PUBLIC_URL + /webhooks/livechat``, all with
the plugin's webhook secret: ``incoming_event``, ``chat_transferred`` and
``chat_deactivated``. Each carries the filters LiveChat documents for register_webhook, so a
big license does not send us every chat of every agent:

* ``only_my_chats``: only chats whose ``source.client_id`` is our app's — the chats
  Switchboard started for its customers;
* ``source_type`` ``other_clients`` and ``system``: not what our own client id did (the
  customer messages, transfers and closings we post, our notes), only LiveChat's agents
  (the Agent App is another client) and LiveChat itself (routing, inactivity);
* ``author_type: agent`` on ``incoming_event``: agents' events, not the customer's.

Running it again changes nothing when they are already there; a registration with an old
secret or other filters is replaced. Without a webhook secret one is generated and stored.
LiveChat sends license webhooks only once the app is installed on the license
(``get_license_webhooks_state``); the notes say so when it is not.
"""
from __future__ import annotations

import secrets

from flask import current_app
from flask_babel import gettext

from plugins.livechat import client, settings
from plugins.livechat.client import LiveChatError

PATH = "/webhooks/livechat"
NOT_OURS = {"only_my_chats": True, "source_type": ["other_clients", "system"]}
WEBHOOKS = (
    ("incoming_event", {"author_type": "agent", **NOT_OURS}),
    ("chat_transferred", dict(NOT_OURS)),
    ("chat_deactivated", dict(NOT_OURS)),
)


def webhook_url() -> str:
    return current_app.config["SWITCHBOARD_PUBLIC_URL"].rstrip("/") + PATH


def register() -> list[str]:
    """Make sure the webhooks exist; return what was done, in sentences. Raises LiveChatError."""
    config = settings.current()
    if not config.configured:
        raise ValueError(gettext("Finish the LiveChat settings first: %(missing)s.", missing=", ".join(config.missing)))
    notes = []
    if not config.webhook_secret:
        settings.update(webhook_secret=secrets.token_urlsafe(32))
        config = settings.current()
        notes.append(gettext("Generated and stored a new webhook secret."))
    url = webhook_url()
    api = client.api_for(config)
    existing = api.list_webhooks(config.client_id)
    for action, filters in WEBHOOKS:
        current = [w for w in existing if w.action == action and w.url == url]
        good = [w for w in current if w.secret_key in (None, config.webhook_secret) and _same(w.filters, filters)]
        for stale in (w for w in current if w not in good):
            api.unregister_webhook(stale.id, config.client_id)
            notes.append(gettext("Replaced an outdated %(action)s webhook.", action=action))
        if good:
            notes.append(gettext("%(action)s: already registered.", action=action))
            continue
        api.register_webhook(url, action, config.webhook_secret, config.client_id, filters=filters or None,
                             type="license", description="Switchboard chat sync")
        notes.append(gettext("%(action)s: registered (agents' messages in Switchboard's chats only).", action=action)
                     if "author_type" in filters else
                     gettext("%(action)s: registered (Switchboard's chats only).", action=action))
    try:
        if not api.license_webhooks_enabled(config.client_id):
            notes.append(gettext("LiveChat does not send these webhooks to your license yet: install the app on "
                                 "the license (the app's Private Installation tab in LiveChat's Developer Console, "
                                 "or the Marketplace)."))
    except LiveChatError as exc:
        notes.append(gettext("Could not check whether LiveChat sends them to your license: %(reason)s", reason=exc))
    if not url.startswith("https://"):
        notes.append(gettext("Note: %(url)s is not HTTPS; LiveChat may not deliver to it. Set %(setting)s.", url=url,
                             setting="SWITCHBOARD_PUBLIC_URL"))
    return notes


def _same(registered: dict | None, wanted: dict) -> bool:
    def norm(filters):
        return {k: sorted(v) if isinstance(v, list) else v for k, v in (filters or {}).items()}
    return norm(registered) == norm(wanted)


def registered() -> tuple[list[dict], str | None]:
    """The webhooks LiveChat has for our client id, or an error in words."""
    config = settings.current()
    if not config.configured:
        return [], None
    try:
        hooks = client.api_for(config).list_webhooks(config.client_id)
    except LiveChatError as exc:
        return [], str(exc)
    return [{"action": w.action, "url": w.url, "filters": w.filters, "filters_text": describe(w.filters),
             "ours": w.url == webhook_url()} for w in hooks], None


def describe(filters: dict | None) -> str:
    """A registration's filters in words, for the admin page."""
    filters = filters or {}
    words = []
    if filters.get("author_type"):
        words.append(gettext("agents' events only") if filters["author_type"] == "agent" else
                     gettext("events of %(author_type)s only", author_type=filters["author_type"]))
    if filters.get("only_my_chats"):
        words.append(gettext("Switchboard's chats only"))
    sources = set(filters.get("source_type") or [])
    if sources == {"other_clients", "system"}:
        words.append(gettext("not what Switchboard itself did"))
    elif sources:
        words.append(gettext("from %(sources)s", sources=", ".join(sorted(sources)).replace("_", " ")))
    return "; ".join(words) if words else gettext("every chat on the license")
