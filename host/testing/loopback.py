"""A loopback channel plugin for tests: webhooks signed with HMAC-SHA256, sends recorded.

It exercises exactly the host surface a real channel uses, with nothing to reach.
"""
from __future__ import annotations

import hashlib
import hmac
import itertools
import json

from flask import Blueprint, abort, jsonify, request
from marshmallow import Schema, fields, validate

from host import access, hookimpl
from host.access import about
from host.chats import apply_status, receive
from host.contracts import (ChannelColour, HealthCheck, InboundMessage, PluginSettings, SendError, SendResult, SocketEvents,
                            StatusUpdate, WidgetTab)

SECRET = "loopback-webhook-secret"


def sign(body: bytes, secret: str = SECRET) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class LoopbackChannel:
    key = "loopback"
    label = "Loopback"
    colour = ChannelColour("#f4f3ff", "#5925dc")

    def __init__(self):
        self.sent = []
        self.records = []  # what the contract kit reads: {"external_id", "to", "body"}
        self.fail_next: list[SendError] = []
        self._ids = itertools.count(1)

    def send(self, message):
        if self.fail_next:
            raise self.fail_next.pop(0)
        self.sent.append(message)
        external_id = f"LB{next(self._ids):06d}"
        self.records.append({"external_id": external_id, "to": message.to, "body": message.body})
        return SendResult(external_id=external_id, status="sent")

    def explain_failure(self, code: str, detail: dict) -> str | None:
        """Words the loopback's one failure of its own with its stored values, as a real
        channel words its provider's codes; any other code keeps the sentence it was
        stored with (None)."""
        if code == "loopback-full":
            return f"The loopback's outbox is full ({detail.get('queued', '?')} messages waiting)."
        return None

    def normalise_address(self, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("Type an address to write to.")
        return value


class LoopbackPlugin:
    """Instances are plugins; register one per app with ``EXTRA_PLUGINS``."""

    name = "loopback"

    def __init__(self):
        self.channel = LoopbackChannel()

    @hookimpl
    def register_channels(self, app):
        return [self.channel]

    @hookimpl
    def register_blueprints(self, app):
        bp = Blueprint("loopback", __name__)

        @bp.post("/webhooks/loopback")
        def inbound():
            body = request.get_data()
            if not hmac.compare_digest(sign(body), request.headers.get("X-Loopback-Signature", "")):
                abort(403)
            data = request.get_json(silent=True)
            if not isinstance(data, dict) or "id" not in data:
                abort(400, description="The webhook body must be a JSON object with an id.")
            if data.get("type") == "status":
                apply_status(StatusUpdate(channel="loopback", external_id=data["id"], status=data["status"],
                                          error_code=data.get("error_code")))
            else:
                receive(InboundMessage(channel="loopback", external_id=data["id"], from_address=data["from"],
                                       to_address=data.get("to", "loopback-number"), body=data.get("body", ""),
                                       profile=data.get("profile", {})))
            return jsonify(ok=True)

        @bp.get("/api/v1/loopback/sent")
        @about(access.AGENT, reason="the test channel's outbox, for tests only (never installed)")
        def sent():
            return jsonify([m.body for m in self.channel.sent])

        return [bp]

    @hookimpl
    def register_settings_schemas(self, app):
        class LoopbackSettings(Schema):
            sender = fields.Str(load_default="loopback-number", validate=validate.Length(min=1),
                                metadata={"label": "Sender address"})
            api_key = fields.Str(load_default=None, metadata={"secret": True, "label": "API key"})

        return PluginSettings(schema=LoopbackSettings, title="Loopback")

    @hookimpl
    def register_socketio_events(self, app):
        echo = about(access.AGENT, reason="echoes what the agent sent")(
            lambda agent, data: {"ok": True, "agent": agent.email, "data": data})
        return [SocketEvents({"loopback:echo": echo})]

    @hookimpl
    def register_health_checks(self, app):
        return [HealthCheck("loopback transport", ok=True, detail=f"{len(self.channel.sent)} sent")]

    @hookimpl
    def register_widget_tabs(self, app):
        return [WidgetTab(key="loopback", title="Loopback", script="/static/loopback-tab.js", order=90)]


def webhook(client, payload: dict, secret: str = SECRET, forge: str | None = None):
    body = json.dumps(payload).encode()
    signature = sign(body, "not-the-secret" if forge == "signature" else secret)
    if forge == "tamper":
        body = json.dumps({**payload, "body": str(payload.get("body", "")) + " (changed)"}).encode()
    headers = {} if forge == "missing" else {"X-Loopback-Signature": signature}
    return client.post("/webhooks/loopback", data=body, content_type="application/json", headers=headers)


class LoopbackWebhooks:
    """The ``webhooks`` fixture object of the channel contract, for the loopback channel."""

    def inbound(self, client, external_id, from_address, body, forge=None):
        return webhook(client, {"id": external_id, "from": from_address, "body": body}, forge=forge)

    def status(self, client, external_id, status, error_code=None):
        return webhook(client, {"type": "status", "id": external_id, "status": status, "error_code": error_code})
