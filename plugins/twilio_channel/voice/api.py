"""The voice API under /api/v1/voice: Device tokens, placing and answering calls."""
from __future__ import annotations

from flask.views import MethodView
from flask_babel import gettext
from flask_login import current_user
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields, validates_schema, ValidationError

from host.plugin_api import access, db, Call, channel_refusal
from host.plugin_api.access import about, chat_or_404
from host.plugin_api.web import CallSchema, ChatSchema, RowId, UtcDateTime

from plugins.twilio_channel.voice import calls as voice_calls

from plugins.twilio_channel.voice import tokens as voice_tokens
from plugins.twilio_channel.messaging.channels import normalise_number
from plugins.twilio_channel.client import uses_builtin_simulator
from plugins.twilio_channel.schemas import ChatQuerySchema
from plugins.twilio_channel.settings import load_config

blp = Blueprint("voice", __name__, url_prefix="/api/v1/voice", description="Voice calls in the browser")


class TokenSchema(Schema):
    token = fields.Str(metadata={"description": "A Twilio access token (JWT) with a VoiceGrant."})
    identity = fields.Str(metadata={"description": "The Device's client identity, agent-<id>."})
    ttl = fields.Int()
    expires_at = UtcDateTime()
    device = fields.Str(metadata={"description": "twilio: use @twilio/voice-sdk's Device; simulator: the "
                                                 "built-in simulator plays Twilio (no audio)."})
    edge = fields.Str(allow_none=True, metadata={
        "description": "The Twilio edge the Device connects through (the configured region's), or null"})


class PlaceCallSchema(Schema):
    to = fields.Str(load_default=None, allow_none=True, metadata={"description": "The number to call."})
    contact_id = RowId(load_default=None, allow_none=True)
    chat_id = RowId(load_default=None, allow_none=True, metadata={"description": "Call this chat's customer."})

    @validates_schema
    def _target(self, data, **kwargs):
        if not (data.get("to") or "").strip() and not data.get("chat_id"):
            raise ValidationError(gettext("Type the number to call."), "to")


class DeviceParamsSchema(Schema):
    To = fields.Str()
    chat_id = fields.Str()


class PlacedCallSchema(Schema):
    chat = fields.Nested(ChatSchema)
    to = fields.Str()
    caller_id = fields.Str()
    params = fields.Nested(DeviceParamsSchema, metadata={"description": "Pass to Device.connect({params})."})


class VoiceCallSchema(CallSchema):
    answered_by_name = fields.Function(lambda c: _agent_name(c.answered_by_id), dump_only=True, allow_none=True)
    live = fields.Function(lambda c: c.ended_at is None and c.status in voice_calls.LIVE, dump_only=True)


class AnsweredSchema(Schema):
    call = fields.Nested(VoiceCallSchema)
    chat = fields.Nested(ChatSchema)


def _agent_name(agent_id):
    from host.plugin_api import Agent

    agent = db.session.get(Agent, agent_id) if agent_id else None
    return (agent.name or agent.email) if agent else None


def _fail(exc: voice_calls.VoiceError):
    db.session.rollback()
    abort(exc.status, message=str(exc))


@blp.route("/token")
@blp.response(200, TokenSchema)
@about(access.AGENT, reason="the agent's own Device token (identity agent-<their id>)")
def token():
    """An access token for this agent's browser Device (identity agent-<id>)."""
    try:
        issued = voice_tokens.issue(load_config(), current_user.id)
    except voice_tokens.VoiceNotConfigured as exc:
        abort(409, message=str(exc))
    return {"token": issued.token, "identity": issued.identity, "ttl": issued.ttl, "expires_at": issued.expires_at,
            "edge": issued.edge,
            "device": "simulator" if issued.simulated and uses_builtin_simulator() else "twilio"}


@blp.route("/calls")
class Calls(MethodView):
    @blp.arguments(ChatQuerySchema, location="query")
    @blp.response(200, VoiceCallSchema(many=True))
    @about(access.CHAT, "query:chat_id")
    def get(self, args):
        """The chat's calls, newest first (the live one, if any, comes first)."""
        chat = chat_or_404(args["chat_id"])
        return db.session.execute(db.select(Call).where(Call.chat_id == chat.id)
                                  .order_by(Call.id.desc()).limit(20)).scalars().all()

    @blp.arguments(PlaceCallSchema)
    @blp.response(201, PlacedCallSchema)
    @blp.alt_response(403, description="The customer belongs to a group you're not in; the message says "
                                       "which and what to do")
    @about(access.CUSTOMER, "json:to")
    def post(self, data):
        """Prepare a call from the browser: continue, reopen or start the customer's chat
        (assigned to you, bound to the number the call shows); then ``Device.connect``
        with the returned ``params``."""
        chat = chat_or_404(data["chat_id"]) if data["chat_id"] else None
        raw = (data["to"] or "").strip() or (chat.customer_address if chat else "")
        try:
            to = normalise_number(raw)
        except ValueError as exc:
            abort(422, errors={"json": {"to": [str(exc)]}})
        refusal = channel_refusal("voice")
        if refusal:  # switched off, or not set up: the sentence names the missing settings
            abort(409, message=refusal)
        try:
            chat, caller_id = voice_calls.prepare_outbound(current_user, to, chat, data["contact_id"])
        except voice_calls.VoiceError as exc:
            _fail(exc)
        return {"chat": chat, "to": to, "caller_id": caller_id, "params": {"To": to, "chat_id": str(chat.id)}}


@blp.route("/calls/<int:call_id>/answer", methods=["POST"])
@blp.response(200, AnsweredSchema)
@about(access.CALL, "call_id")
def answer(call_id):
    """Answer a waiting call: accepts the chat if it is queued, then rings this agent's
    browser Device with the caller (the caller's leg is redirected)."""
    call = db.session.get(Call, call_id) if 0 < call_id < 2**31 else None
    if call is None:
        abort(404, message=gettext("There is no such call."))
    chat_or_404(call.chat_id)
    try:
        voice_calls.answer(call, current_user)
    except voice_calls.VoiceError as exc:
        _fail(exc)
    db.session.refresh(call)
    return {"call": call, "chat": call.chat}
