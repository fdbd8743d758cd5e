"""When LiveChat refuses a token: renew the agent token, or drop a customer token.

* The agent token (OAuth access token of the integration's agent) expires. With a refresh
  token and the app's client secret (authorization code grant), the worker renews it at
  the accounts service (``POST /v2/token``, ``grant_type=refresh_token``) and stores the
  new token in the plugin settings; the refused call is retried at once.
* A customer token can be revoked before its expiry; it is dropped so the next attempt
  mints a fresh one for the same identity.

Without a way to renew, calls stay queued and retry with backoff, so nothing is lost
while an admin enters a new token; the health check names the problem.
"""
from __future__ import annotations

import logging

import httpx

from host.plugin_api import db
from plugins.livechat import client, settings
from plugins.livechat.client import LiveChatError
from plugins.livechat.models import LiveChatChat, LiveChatCustomer

log = logging.getLogger(__name__)

CUSTOMER_TOKEN_ACTIONS = frozenset({"start_chat", "resume_chat", "send_event", "upload_file", "update_customer"})


def refresh_agent_token(config: settings.LiveChatSettings) -> bool:
    """Renew the agent token with the refresh token; True when a new one was stored."""
    if not (config.refresh_token and config.client_secret and config.client_id):
        return False
    form = {"grant_type": "refresh_token", "refresh_token": config.refresh_token,
            "client_id": config.client_id, "client_secret": config.client_secret}
    try:
        with client.http_client(timeout=10) as http:
            response = http.post(f"{client.accounts_url()}/v2/token", data=form)
    except httpx.TransportError as exc:
        log.warning("LiveChat agent token could not be renewed: %s", type(exc).__name__)
        return False
    data = response.json() if response.is_success and response.content else {}
    access = data.get("access_token") if isinstance(data, dict) else None
    if not access:
        log.warning("LiveChat refused to renew the agent token (HTTP %s)", response.status_code)
        return False
    settings.update(agent_token=access, refresh_token=data.get("refresh_token") or config.refresh_token)
    log.info("LiveChat agent token renewed")
    return True


def recover(exc: LiveChatError, chat_id: int, config: settings.LiveChatSettings) -> bool:
    """React to a refused token; True when the call should be retried right away."""
    if exc.status != 401:
        return False
    if exc.action in CUSTOMER_TOKEN_ACTIONS:
        link = db.session.execute(db.select(LiveChatChat).where(LiveChatChat.chat_id == chat_id)).scalar_one_or_none()
        customer = db.session.get(LiveChatCustomer, link.customer_id) if link and link.customer_id else None
        if customer is not None:
            customer.access_token, customer.expires_at = None, None
            db.session.commit()
            return True
        return False
    return refresh_agent_token(config)
