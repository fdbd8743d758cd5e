"""LiveChat webhook envelope (Platform API v3.6): secret check and parsing.

Envelope: ``{webhook_id, secret_key, action, organization_id, payload, additional_data}``.
There is no signature header; the only proof of origin is ``secret_key``, the value given
at registration, compared in constant time.

Parsing is deliberately tolerant: ``livechat.webhooks.parse_webhook`` (SDK 0.4.2) rejects a
body without ``additional_data`` (the documented ``chat_transferred`` sample has none) and
any payload field it does not know, so a field LiveChat adds would make us refuse every
webhook of that action, and LiveChat gives up after its retries.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field, replace
from typing import Any
from collections.abc import Mapping


class WebhookParseError(ValueError):
    """The body is not a LiveChat webhook envelope we can act on."""


@dataclass(frozen=True)
class LiveChatWebhook:
    """A verified webhook, without its secret.

    ``dedupe_key`` is stable across LiveChat's redeliveries of the same webhook:

    * ``incoming_event``/``event_updated``: ``"<action>:<chat_id>:<event_id>"`` (event ids
      are unique within a chat);
    * every other action: ``"<action>:<webhook_id>:<payload digest>"``. The docs do not say
      whether ``webhook_id`` names the delivery or the registration; with the payload digest
      the key is right either way, except that two identical payloads under one registration
      id would collapse (e.g. the same chat transferred to the same target twice in one
      thread, with no queue info).
    """

    action: str
    webhook_id: str
    organization_id: str
    payload: dict[str, Any]
    additional_data: dict[str, Any] = field(default_factory=dict)
    dedupe_key: str = ""

    @property
    def chat_id(self) -> str | None:
        chat = self.payload.get("chat")
        if isinstance(chat, dict):
            return chat.get("id")
        return self.payload.get("chat_id") or self.payload.get("id")

    @property
    def thread_id(self) -> str | None:
        chat = self.payload.get("chat")
        if isinstance(chat, dict) and isinstance(chat.get("thread"), dict):
            return chat["thread"].get("id")
        return self.payload.get("thread_id")

    @property
    def event(self) -> dict[str, Any]:
        event = self.payload.get("event")
        return event if isinstance(event, dict) else {}


def verify_secret(body: Mapping[str, Any], secret: str) -> bool:
    """True when ``body['secret_key']`` equals the configured ``secret``.

    Fails closed: no configured secret, or a missing/non-string ``secret_key``, is False.
    """
    if not secret or not isinstance(body, Mapping):
        return False
    received = body.get("secret_key")
    if not isinstance(received, str) or not received:
        return False
    return hmac.compare_digest(received.encode("utf-8"), secret.encode("utf-8"))


def parse(body: Mapping[str, Any]) -> LiveChatWebhook:
    """Parse a webhook envelope (call :func:`verify_secret` first)."""
    if not isinstance(body, Mapping):
        raise WebhookParseError("webhook body must be a JSON object")
    action = body.get("action")
    payload = body.get("payload")
    if not isinstance(action, str) or not action:
        raise WebhookParseError("webhook has no action")
    if not isinstance(payload, dict):
        raise WebhookParseError(f"{action} webhook has no payload object")
    webhook_id = str(body.get("webhook_id") or "")
    additional = body.get("additional_data")
    webhook = LiveChatWebhook(
        action=action,
        webhook_id=webhook_id,
        organization_id=str(body.get("organization_id") or ""),
        payload=payload,
        additional_data=additional if isinstance(additional, dict) else {},
    )
    return _with_key(webhook)


def _with_key(webhook: LiveChatWebhook) -> LiveChatWebhook:
    if webhook.action in ("incoming_event", "event_updated"):
        chat_id, event_id = webhook.payload.get("chat_id"), webhook.event.get("id")
        if not chat_id or not event_id:
            raise WebhookParseError(f"{webhook.action} webhook lacks chat_id or event.id")
        key = f"{webhook.action}:{chat_id}:{event_id}"
    else:
        if webhook.action in ("incoming_chat", "chat_deactivated", "chat_transferred") and not webhook.chat_id:
            raise WebhookParseError(f"{webhook.action} webhook lacks a chat id")
        canonical = json.dumps(webhook.payload, sort_keys=True, separators=(",", ":"), default=str)
        digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]
        key = f"{webhook.action}:{webhook.webhook_id}:{digest}"
    return replace(webhook, dedupe_key=key)
