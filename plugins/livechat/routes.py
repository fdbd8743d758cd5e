"""``POST /webhooks/livechat``: LiveChat's webhooks, checked, recorded, acted on later.

LiveChat waits about ten seconds for a 200 and then redelivers, so the request only
checks and records; acting on the webhook (host services that write the database and
queue sends; no LiveChat or Twilio call) happens in the inbox worker.

* A body over :data:`MAX_BODY_BYTES` answers 413, one that is not JSON (or nests deeper
  than ``host.request_bodies.MAX_DEPTH``) 400; neither stores anything.
* ``secret_key`` is compared in constant time with the configured webhook secret; a
  mismatch (or no secret configured) answers 401 and stores nothing.
* A verified webhook is recorded in the host's inbox under its dedupe key (see
  :mod:`plugins.livechat.parsing`) and answered 200 at once; a redelivery is recorded
  once. The inbox worker acts on it (:func:`handle_webhook`), in order per LiveChat chat.
"""
from __future__ import annotations

import logging

from flask import Blueprint, jsonify, request

from host.plugin_api import db, inbox as host_inbox, InboxHandler
from host.plugin_api.web import provider_webhooks
from plugins.livechat import inbound, settings, sync_queue
from plugins.livechat.models import LiveChatWebhookKey
from plugins.livechat.parsing import WebhookParseError, parse, verify_secret

log = logging.getLogger(__name__)


# LiveChat's own limits keep its webhooks small: a message event is at most 16 KB and a
# file travels as a URL. 1 MiB holds dozens of the largest events; a larger body is
# refused (413) before it is parsed or its secret compared.
MAX_BODY_BYTES = 1024 * 1024


def webhook_blueprint() -> Blueprint:
    bp = provider_webhooks(Blueprint("livechat_webhooks", __name__), max_bytes=MAX_BODY_BYTES)

    @bp.post("/webhooks/livechat")
    def receive():
        body = request.get_json(force=True)  # malformed or too deeply nested: a 400 that says so
        config = settings.current()
        if not isinstance(body, dict) or not verify_secret(body, config.webhook_secret or ""):
            return jsonify(ok=False, error="Unknown webhook secret."), 401
        try:
            webhook = parse(body)
        except WebhookParseError as exc:
            return jsonify(ok=False, error=str(exc)), 400
        if config.organization_id and webhook.organization_id and webhook.organization_id != config.organization_id:
            return jsonify(ok=False, error="This webhook is for another LiveChat organization."), 403
        # Recorded without its secret; the inbox worker acts on it (handle_webhook).
        event = {key: value for key, value in body.items() if key != "secret_key"}
        new = host_inbox.record("livechat", webhook.dedupe_key, "livechat.webhook",
                                "livechat:" + str(webhook.chat_id or webhook.dedupe_key), event)
        return jsonify(ok=True, duplicate=not new)

    return bp


def handle_webhook(event: dict) -> None:
    """The inbox worker's half: act on a recorded webhook once.

    The dedupe key is stored in the same transaction as the webhook's effect, so an
    event handled again after a crash changes nothing the second time.
    """
    webhook = parse(event)
    key = webhook.dedupe_key[:200]
    if db.session.get(LiveChatWebhookKey, key) is not None:
        return
    db.session.add(LiveChatWebhookKey(key=key, action=webhook.action))
    outcome = inbound.process(webhook, settings.current())
    row = db.session.get(LiveChatWebhookKey, key)
    if row is not None:
        row.outcome = outcome[:300]
    db.session.commit()
    sync_queue.sync().kick()  # a webhook may have queued LiveChat calls (e.g. a note for agents)
    log.info("LiveChat %s: %s", webhook.action, outcome)


def describe_webhook(event: dict) -> str:
    webhook = parse(event)
    return f"LiveChat {webhook.action.replace('_', ' ')} in LiveChat chat {webhook.chat_id or '(none)'}"


def inbox_handlers() -> list[InboxHandler]:
    return [InboxHandler("livechat.webhook", handle_webhook, describe_webhook)]
