"""``POST /webhooks/livechat``: LiveChat's webhooks, checked, deduplicated, acted on.

LiveChat waits about ten seconds for a 200 and then redelivers, so the work done here is
local only (host services that write the database and queue sends); no LiveChat or Twilio
call happens inside this request.

* A body over :data:`MAX_BODY_BYTES` answers 413, one that is not JSON (or nests deeper
  than ``host.request_bodies.MAX_DEPTH``) 400; neither stores anything.
* ``secret_key`` is compared in constant time with the configured webhook secret; a
  mismatch (or no secret configured) answers 401 and stores nothing.
* Each webhook's dedupe key (see :mod:`plugins.livechat.webhooks`) is stored in the same
  transaction as its effect; a redelivery finds it and answers 200 without acting again.
"""
from __future__ import annotations

import logging

from flask import Blueprint, jsonify, request
from sqlalchemy.exc import IntegrityError

from host.extensions import db
from host.plugin_kit import limit_body
from plugins.livechat import inbound, settings, sync_queue
from plugins.livechat.models import LiveChatWebhookKey
from plugins.livechat.webhooks import WebhookParseError, parse, verify_secret

log = logging.getLogger(__name__)


# LiveChat's own limits keep its webhooks small: a message event is at most 16 KB and a
# file travels as a URL. 1 MiB holds dozens of the largest events; a larger body is
# refused (413) before it is parsed or its secret compared.
MAX_BODY_BYTES = 1024 * 1024


def webhook_blueprint() -> Blueprint:
    bp = limit_body(Blueprint("livechat_webhooks", __name__), max_bytes=MAX_BODY_BYTES)

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
        db.session.add(LiveChatWebhookKey(key=webhook.dedupe_key[:200], action=webhook.action))
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            return jsonify(ok=True, duplicate=True)
        try:
            outcome = inbound.process(webhook, config)
        except Exception:
            db.session.rollback()  # the key goes too: LiveChat's redelivery will try again
            log.exception("LiveChat %s webhook failed", webhook.action)
            return jsonify(ok=False, error="Switchboard could not process this webhook."), 500
        row = db.session.get(LiveChatWebhookKey, webhook.dedupe_key[:200])
        if row is not None:
            row.outcome = outcome[:300]
        db.session.commit()
        sync_queue.sync().kick()  # a webhook may have queued LiveChat calls (e.g. a note for agents)
        log.info("LiveChat %s: %s", webhook.action, outcome)
        return jsonify(ok=True, outcome=outcome)

    return bp
