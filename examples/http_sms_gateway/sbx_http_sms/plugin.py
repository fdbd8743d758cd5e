"""Generic HTTP SMS gateway channel: POST JSON to send, HMAC-signed JSON webhooks back."""
import hashlib
import hmac

import httpx
from flask import Blueprint, abort, current_app, request
from marshmallow import Schema, fields

from host.plugin_api import (hookimpl, inbox, settings, InboundMessage, InboxHandler, PluginSettings, SendError,
                         SendResult, StatusUpdate, WidgetTab)
from host.plugin_api.chats import apply_status, receive, receive_many
from host.plugin_api.web import assets_blueprint, plugin_text, provider_webhooks, tab_stylesheet

NAME = "http_sms"
# The codes a failed send is stored with; its sentence is made for each reader (explain_failure).
OFFLINE, BUSY, REFUSED = "gw-offline", "gw-busy", "gw-refused"


class GatewaySettings(Schema):
    send_url = fields.Url(required=True, require_tld=False, metadata={"label": "Gateway send URL"})
    sender = fields.Str(required=True, metadata={"label": "Sender number"})
    api_token = fields.Str(required=True, metadata={"secret": True, "label": "Gateway API token"})
    webhook_secret = fields.Str(required=True, metadata={"secret": True, "label": "Webhook signing secret"})


def signature(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class HttpSmsChannel:
    key, label = "http_sms", "SMS (gateway)"

    def missing_settings(self):  # not offered to agents until these are filled in
        conf = settings.get(NAME)
        return [name for name in ("send_url", "sender", "api_token") if not conf.get(name)]

    def send(self, message):
        conf = settings.get(NAME)
        transport = current_app.config.get("HTTP_SMS_TRANSPORT")  # tests inject one
        payload = {"to": message.to, "from": message.sender or conf["sender"], "text": message.body,
                   "callback_url": current_app.config["SWITCHBOARD_PUBLIC_URL"] + "/webhooks/http-sms/status"}
        try:
            with httpx.Client(transport=transport, timeout=10) as client:
                response = client.post(conf["send_url"], json=payload,
                                       headers={"Authorization": f"Bearer {conf['api_token']}"})
        except httpx.HTTPError as exc:
            raise SendError(f"The SMS gateway could not be reached ({type(exc).__name__}).", code=OFFLINE,
                            retryable=True, detail={"problem": type(exc).__name__}) from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise SendError(f"The SMS gateway is busy (HTTP {response.status_code}).", code=BUSY, retryable=True,
                            detail={"status": response.status_code})
        if response.status_code >= 400:
            reason = response.json().get("error", "refused") if response.content else "refused"
            raise SendError(f"The SMS gateway refused the message: {reason}.", code=REFUSED,
                            detail={"status": response.status_code, "reason": str(reason)[:200]})
        return SendResult(external_id=str(response.json()["id"]), status="sent")

    def explain_failure(self, code, detail):
        """A failure stored in English (the outbox worker's words) in the reader's language,
        from this plugin's own catalog (messages/<language>.json, keys server.…)."""
        key = {OFFLINE: "server.offline", BUSY: "server.busy", REFUSED: "server.refused"}.get(code)
        return plugin_text(NAME, key, **detail) if key else None


def _verified_json():
    secret = settings.get(NAME).get("webhook_secret") or ""
    given = request.headers.get("X-Signature", "")
    if not secret or not hmac.compare_digest(signature(request.get_data(), secret), given):
        abort(403)
    return request.get_json(force=True)


@hookimpl
def register_channels(app):
    return [HttpSmsChannel()]


@hookimpl
def register_settings_schemas(app):
    return PluginSettings(schema=GatewaySettings, title="HTTP SMS gateway",
                          description="Send and receive SMS through any gateway that speaks JSON over HTTP.")


@hookimpl
def register_blueprints(app):
    # (the blueprint named NAME serves static/); a gateway's JSON events are small
    bp = provider_webhooks(Blueprint(f"{NAME}_webhooks", __name__), max_bytes=1024 * 1024)

    @bp.post("/webhooks/http-sms/inbound")  # recorded, answered; the inbox worker stores it
    def inbound():
        data = _verified_json()
        inbox.record(NAME, f"in:{data['id']}", "http_sms.inbound", data["from"], data)
        return "", 204

    @bp.post("/webhooks/http-sms/status")
    def status():
        data = _verified_json()
        inbox.record(NAME, f"status:{data['id']}:{data['status']}", "http_sms.status", str(data["id"]), data)
        return "", 204

    return [bp, assets_blueprint(NAME, __file__)]


@hookimpl
def register_widget_tabs(app):
    # static/gateway_tab.js is the tab's whole, ready-to-serve bundle (see its header).
    return [WidgetTab(key="gateway", title="Gateway", script=f"/plugins/{NAME}/static/gateway_tab.js",
                      stylesheet=tab_stylesheet(NAME, "gateway_tab.css"), order=70, icon="chat")]


def _inbound(data: dict) -> InboundMessage:
    return InboundMessage(channel="http_sms", external_id=str(data["id"]), from_address=data["from"],
                          to_address=data.get("to", ""), body=data.get("text", ""))


@hookimpl
def register_inbox_handlers(app):
    # handle_batch: several customers' messages stored in one transaction (the worker
    # falls back to handle, one by one, if the batch fails)
    return [InboxHandler("http_sms.inbound", lambda data: receive(_inbound(data)),
                         handle_batch=lambda batch: receive_many([_inbound(data) for data in batch])),
            InboxHandler("http_sms.status", lambda data: apply_status(StatusUpdate(
                channel="http_sms", external_id=str(data["id"]), status=data["status"],
                error_code=data.get("error_code"))))]
