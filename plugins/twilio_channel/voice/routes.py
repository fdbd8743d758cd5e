"""Twilio's voice webhooks, all signed and failing closed like the messaging ones.

* ``POST /webhooks/twilio/voice`` — a customer calls one of our numbers (the number's
  "A call comes in" URL). A call from a browser (``From=client:…``) that reached this URL
  instead of the TwiML App's is handled as outgoing.
* ``POST /webhooks/twilio/voice/outbound`` — the TwiML App's voice URL: an agent's
  browser places a call (``Device.connect({params: {To, chat_id}})``).
* ``POST /webhooks/twilio/voice/status`` — call status callbacks of every leg (the
  number's and the TwiML App's "status callback" URL, and the ones our TwiML sets).
* ``/hold``, ``/queue``, ``/dial``, ``/voicemail``, ``/recording`` — the queue's wait URL and
  the ``action`` URLs of our ``<Enqueue>``, ``<Dial>`` and ``<Record>`` (chat id in the query).

Signatures are checked by ``webhooks.verify_signature`` (the public URL, query string
included, over all POST parameters); without a valid one the answer is 403 and nothing
is stored. Reading the forms and queries is :mod:`.parsing`'s; the routes act on them. Bodies are capped like the messaging webhooks' (``webhooks.MAX_BODY_BYTES``,
``webhooks.MAX_FIELDS``), before any signature is computed.
"""
from __future__ import annotations

import logging

from flask import Blueprint, Response, request
from flask_babel import gettext

from host.plugin_api import db, language_of, speaking, Agent, Chat
from host.plugin_api.web import provider_webhooks

from plugins.twilio_channel.account import subaccounts as accounts

from plugins.twilio_channel.voice import calls as voice_calls
from plugins.twilio_channel.voice import channel as voice
from plugins.twilio_channel.voice import parsing
from plugins.twilio_channel.voice import queues as voice_queues
from plugins.twilio_channel.messaging.channels import normalise_number
from plugins.twilio_channel.settings import load_config
from plugins.twilio_channel.voice.channel import VoiceSetup
from plugins.twilio_channel.voice.calls import urls
from plugins.twilio_channel.messaging.routes import MAX_BODY_BYTES, MAX_FIELDS, verify_signature

log = logging.getLogger(__name__)

bp = provider_webhooks(Blueprint("twilio_channel_voice_webhooks", __name__, url_prefix=voice.VOICE_PATH),
                       max_bytes=MAX_BODY_BYTES, max_fields=MAX_FIELDS)


def _twiml(xml: str) -> Response:
    return Response(xml, content_type="text/xml; charset=utf-8")


@bp.post("")
def incoming():
    account = verify_signature()
    form = request.form
    accounts.owns(account.sid, parsing.number_called(form))
    if parsing.from_browser(form):
        return outbound_call(form)
    incoming_call = parsing.incoming_call(form)
    call, new = voice_calls.receive_call(incoming_call.sid, incoming_call.from_address, incoming_call.to_address,
                                         incoming_call.caller_name)
    if new:
        voice_calls.announce(call, call.chat)
        voice_queues.held(call)
    return _twiml(voice.incoming_call(VoiceSetup.from_config(load_config()), call.chat_id, urls()))


@bp.post("/outbound")
def outbound():
    verify_signature()
    return outbound_call(request.form)


def outbound_call(form) -> Response:
    """An agent's browser calls ``To``: record it on the chat, then ring the customer."""
    sid = parsing.call_sid(form)
    existing = voice_calls.by_sid(sid)
    if existing is not None:  # Twilio retried: same answer
        return _twiml(voice.outbound_call(existing.from_address, existing.to_address, urls()))
    agent_id = voice.agent_id_of(form.get("From"))
    agent = db.session.get(Agent, agent_id) if agent_id else None
    if agent is None or not agent.is_active:
        log.warning("refused an outgoing call from %r: not an active agent", form.get("From"))
        return _twiml(voice.refuse("This call was not placed by a Switchboard agent."))
    # Twilio's request carries no language: the agent hears a refusal in their own.
    with speaking(agent):
        language = language_of(agent)
        try:
            to = normalise_number(form.get("To", ""))
        except ValueError:
            return _twiml(voice.refuse(gettext("That is not a phone number."), language))
        chat = _planned_chat(form, agent, to)
        try:
            if chat is None:  # placed without the API (or the chat changed since): prepare it now
                chat, caller_id = voice_calls.prepare_outbound(agent, to)
            else:
                caller_id = voice.caller_id_for(load_config(), chat.sender)
                if caller_id is None:
                    raise voice_calls.VoiceError(gettext("There is no phone number to call from."))
        except voice_calls.VoiceError as exc:
            return _twiml(voice.refuse(str(exc), language))
    voice_calls.start_outbound(chat, sid, caller_id, to)
    return _twiml(voice.outbound_call(caller_id, to, urls()))


def _planned_chat(form, agent: Agent, to: str) -> Chat | None:
    """The chat ``POST /api/v1/voice/calls`` prepared, if the call really belongs to it."""
    chat_id = parsing.planned_chat_id(form)
    chat = db.session.get(Chat, chat_id) if chat_id is not None else None
    if chat is None or chat.status == "archived" or chat.agent_id != agent.id:
        return None
    if chat.customer_address.removeprefix("whatsapp:") != to or voice_calls.live_call(chat.id) is not None:
        return None
    return chat


@bp.post("/status")
def status():
    verify_signature()
    form = request.form
    parsing.require_status(form)
    if not voice_calls.apply_status(form, parsing.chat_id(request.args, required=False)):
        log.info("status %s for unknown call %s ignored", form.get("CallStatus"), form.get("CallSid"))
    return Response(status=204)


@bp.post("/hold")
def hold():
    """The queue's wait URL: hold music, and ``<Leave/>`` if it is asked again after voicemail
    was due (:mod:`.housekeeping` normally moves the caller on time)."""
    verify_signature()
    parsing.chat_id(request.args)
    voice_queues.queue_seen(request.form.get("CallSid"), request.form.get("QueueSid"))
    return _twiml(voice.hold_music(VoiceSetup.from_config(load_config()), parsing.queue_time(request.form)))


@bp.post("/queue")
def queue_done():
    verify_signature()
    return _twiml(voice_calls.after_queue(request.form, parsing.chat_id(request.args)))


@bp.post("/dial")
def dial_done():
    verify_signature()
    chat_id = parsing.chat_id(request.args)
    return _twiml(voice_calls.after_dial(request.form, chat_id, parsing.agent_id(request.args)))


@bp.post("/voicemail")
def voicemail_done():
    verify_signature()
    parsing.chat_id(request.args)
    voice_calls.store_voicemail(request.form)
    setup = VoiceSetup.from_config(load_config())
    return _twiml(voice.goodbye(setup.caller_words("thanks"), setup))


@bp.post("/recording")
def recording():
    verify_signature()
    parsing.chat_id(request.args)
    if parsing.recording_completed(request.form):
        voice_calls.store_voicemail(request.form)
    return Response(status=204)
