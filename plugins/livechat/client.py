"""One :class:`~plugins.livechat.api.LiveChatApi` per app and set of credentials.

Tests (and the offline demo) route every LiveChat call to a fake through app config:
``SWITCHBOARD_LIVECHAT_TRANSPORT`` is an httpx transport (e.g.
``httpx.WSGITransport(app=FakeLiveChat())``); production leaves it unset and the SDK talks
to LiveChat. ``SWITCHBOARD_LIVECHAT_ACCOUNTS_URL`` moves the accounts service (used by the
browser's "Sign in with LiveChat" popup too).
"""
from __future__ import annotations

import threading

import httpx
from flask import current_app

from plugins.livechat.api import ACCOUNTS_URL, LiveChatApi
from plugins.livechat.settings import LiveChatSettings

_LOCK = threading.Lock()
_KEY = "livechat.clients"


def transport() -> httpx.BaseTransport | None:
    return current_app.config.get("SWITCHBOARD_LIVECHAT_TRANSPORT")


def accounts_url() -> str:
    return (current_app.config.get("SWITCHBOARD_LIVECHAT_ACCOUNTS_URL") or ACCOUNTS_URL).rstrip("/")


def api_for(config: LiveChatSettings) -> LiveChatApi:
    """The cached API client for these credentials (a new one when they change)."""
    if not config.configured:
        raise RuntimeError("LiveChat is not configured: " + ", ".join(config.missing))
    key = (config.agent_token, config.organization_id, config.client_id, id(transport()), accounts_url())
    cache = current_app.extensions.setdefault(_KEY, {})
    with _LOCK:
        api = cache.get(key)
        if api is None:
            for old in cache.values():
                old.close()
            cache.clear()
            api = LiveChatApi(config.agent_token, config.organization_id, config.client_id,
                              transport=transport(), accounts_url=accounts_url())
            cache[key] = api
        return api


def http_client(timeout: float = 15.0) -> httpx.Client:
    """A plain httpx client on the same transport (accounts endpoints the SDK lacks)."""
    return httpx.Client(transport=transport(), timeout=timeout)
