"""The customer phone: a page where a person plays the customer against the simulator.

Admins only (it plays every customer), and only in simulator mode — with real credentials it
would let anyone with an agent login forge signed customer messages. Messages typed
here become signed Twilio webhooks posted to the real ``/webhooks/twilio/messaging``;
the page polls the simulator's store to show agents' replies and their statuses.
"""
from __future__ import annotations

from flask import Blueprint, Response, abort, jsonify, render_template, request
from flask_babel import gettext

from host.plugin_api import access, db

from plugins.twilio_channel.messaging.channels import normalise_number
from plugins.twilio_channel.client import uses_builtin_simulator
from plugins.twilio_channel.models import SimulatedMedia
from plugins.twilio_channel.settings import load_config
from plugins.twilio_channel.simulator.engine import bare, current_simulator

bp = Blueprint("twilio_channel_phone", __name__, url_prefix="/simulator/phone", template_folder="../templates")
# The customer phone plays every customer (their numbers, what agents of every group sent
# them): admins only, like the set-up page that links to it.
access.about_blueprint("twilio_channel_phone", access.ADMIN)

MAX_ATTACHMENT = 2 * 1024 * 1024
ALLOWED_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf", "audio/", "video/")
DEFAULT_CUSTOMERS = ["+14155550123", "+14155550101", "+14155550199"]


def _simulator_only():
    if not uses_builtin_simulator():
        abort(409, description=gettext("The customer phone works only in simulator mode (no Twilio credentials set)."))


@bp.get("")
def phone():
    config = load_config()
    active = uses_builtin_simulator()
    customers = []
    if active:
        customers = current_simulator().customers()
        customers += [c for c in DEFAULT_CUSTOMERS if c not in customers]
    return render_template("twilio_channel_phone.html", page="simulator", active=active,
                           numbers=list(config.numbers), whatsapp_senders=[bare(s) for s in config.whatsapp_senders],
                           customers=customers, mode=config.account.mode)


@bp.get("/messages")
def messages():
    _simulator_only()
    try:
        number = normalise_number(request.args.get("number", ""))
    except ValueError as exc:
        return jsonify(errors={"number": [str(exc)]}), 422
    rows = current_simulator().conversation(number)
    return jsonify([{
        "sid": r.sid, "direction": r.direction, "from": r.from_address, "to": r.to_address,
        "channel": "whatsapp" if r.to_address.startswith("whatsapp:") or r.from_address.startswith("whatsapp:")
        else "sms",
        "body": r.body, "status": r.status, "error_code": r.error_code,
        "template": bool(r.content_sid),
        "media": [{"url": f"/simulator/phone/media/{m['sid']}" if m.get("sid") else m["url"],
                   "content_type": m.get("content_type") or ""} for m in r.media or []],
        "created_at": r.created_at.isoformat() + "Z"} for r in rows])


@bp.post("/send")
def send():
    """The customer sends a message (JSON, or a form with an optional ``attachment``)."""
    _simulator_only()
    data = request.get_json(silent=True) if request.is_json else request.form
    data = data or {}
    errors = {}
    try:
        customer = normalise_number(data.get("from", ""))
    except ValueError as exc:
        errors["from"] = [str(exc)]
    channel = data.get("channel") or "sms"
    if channel not in ("sms", "whatsapp"):
        errors["channel"] = [gettext("Choose sms or whatsapp.")]
    config = load_config()
    ours = [bare(s) for s in (config.whatsapp_senders if channel == "whatsapp" else config.numbers)]
    to = bare(data.get("to") or (ours[0] if ours else ""))
    if not to:
        errors["to"] = [gettext("There is no number of ours to text; add one in the Twilio settings.")]
    body = (data.get("body") or "").strip()
    attachments = []
    upload = request.files.get("attachment")
    if upload and upload.filename:
        content = upload.read(MAX_ATTACHMENT + 1)
        content_type = (upload.mimetype or "").lower()
        if len(content) > MAX_ATTACHMENT:
            errors["attachment"] = [gettext("Attach a file of at most 2 MB.")]
        elif not content_type.startswith(ALLOWED_TYPES):
            errors["attachment"] = [gettext("Attach a picture, PDF, audio or video file.")]
        else:
            attachments.append((content_type, content))
    if not body and not attachments:
        errors["body"] = [gettext("Type a message or attach a file.")]
    if len(body) > 1600:
        errors["body"] = [gettext("A message can be at most 1,600 characters.")]
    if errors:
        return jsonify(errors=errors), 422
    status, sid = current_simulator().customer_sends(customer, to, body, channel, attachments,
                                                     profile_name=data.get("name") or "")
    accepted = 200 <= status < 300
    return jsonify(sid=sid, webhook_status=status, accepted=accepted,
                   message=gettext("Delivered to Switchboard.") if accepted else
                   gettext("Switchboard answered the webhook with HTTP %(status)s.", status=status)), \
        201 if accepted else 502


@bp.get("/media/<sid>")
def media(sid: str):
    _simulator_only()
    row = db.session.get(SimulatedMedia, sid)
    if row is None:
        abort(404)
    response = Response(row.data, content_type=row.content_type)
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
