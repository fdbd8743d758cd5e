"""Voice calls on chats: ringing, answering, transfers, statuses, voicemail, mute.

The chat and the call record are the host's (``host.chats.open_chat_for``,
``host.calls.start_call`` / ``update_call`` / ``set_muted``); this module decides when to
call them, which Twilio leg to move, and who hears what:

* ``call:incoming`` ``{call, chat, transfer}`` → ``group:<id>`` (or ``ungrouped``) and
  ``agent:<assignee>``: a call waits for this chat's agent (the console rings);
* ``call:connected`` ``{call, chat, agent_id, agent_name}`` → the chat's rooms: an agent's
  browser picked the call up (first answer or after a transfer; the ring stops);
* ``call:muted`` ``{call_id, chat_id, muted, agent_id}`` → ``chat:<id>``;
* ``call:waiting`` (asked by a console when it connects) → ``call:incoming`` again, to
  that connection only, for every call still ringing for its agent;
* ``call:updated`` (the host's) follows every status change.

Only the chat's assignee may answer; a queued chat is accepted (assigned) by answering.
"""
from __future__ import annotations

import logging

import requests
from flask_babel import gettext
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager
from twilio.base.exceptions import TwilioException, TwilioRestException

from host.plugin_api import access, bus, calls as host_calls, chats, db, utcnow, Agent, Call, Chat, InboundMessage, Media
from host.plugin_api.realtime import agent_rooms, chat_room, chat_rooms, list_rooms, push
from host.plugin_api.web import snapshot_call, snapshot_chat

from plugins.twilio_channel.voice import channel as voice

from plugins.twilio_channel.voice import queues as voice_queues
from plugins.twilio_channel.client import CredentialsMissing, twilio_client
from plugins.twilio_channel.models import InboundMedia
from plugins.twilio_channel.settings import load_config
from plugins.twilio_channel.voice.channel import VoiceSetup, VoiceUrls

log = logging.getLogger(__name__)

VOICE = voice.VOICE
LIVE = ("queued", "initiated", "ringing", "in-progress", "answered")
TALKING = ("in-progress", "answered")
MISSED = ("busy", "no-answer", "failed", "canceled")
MEDIA_PATH = "/twilio/media/{sid}/{position}"  # the plugin's media proxy (pages.py) serves recordings too


class VoiceError(Exception):
    """A call action that cannot be done; the sentence is shown to the agent."""

    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.status = status


# --- looking calls up ------------------------------------------------------------------------

def by_sid(sid: str | None) -> Call | None:
    if not sid:
        return None
    return db.session.execute(db.select(Call).where(Call.call_sid == sid)).scalar_one_or_none()


def live_call(chat_id: int | None) -> Call | None:
    """The chat's call that has not ended (the newest one)."""
    if not chat_id:
        return None
    return db.session.execute(db.select(Call).where(Call.chat_id == chat_id, Call.ended_at.is_(None),
                                                    Call.status.in_(LIVE))
                              .order_by(Call.id.desc()).limit(1)).scalar_one_or_none()


def can_answer(chat: Chat, agent: Agent) -> bool:
    if chat.status == "archived":
        return False
    if chat.agent_id is not None:
        return chat.agent_id == agent.id
    return access.may_see_chat(agent, chat)


def _name(agent: Agent | None) -> str | None:
    return (agent.name or agent.email) if agent else None


# --- realtime --------------------------------------------------------------------------------

def ring_rooms(chat: Chat) -> list[str]:
    return list_rooms(chat)  # the chat's group (or every agent) and its assignee


def announce(call: Call, chat: Chat, transfer: bool = False) -> None:
    """Ring the chat's group and assignee (the console rings, the call panel offers Answer)."""
    push("call:incoming", ring_payload(call, chat, transfer), ring_rooms(chat))


def ring_payload(call: Call, chat: Chat, transfer: bool = False) -> dict:
    return {"call": snapshot_call(call), "chat": snapshot_chat(chat), "transfer": transfer}


def waiting_calls(agent: Agent) -> list[Call]:
    """Incoming calls still ringing on chats this agent would have heard ring (a console
    that was reloaded, or connected late, rings again for them)."""
    calls = db.session.execute(
        db.select(Call).join(Call.chat).options(contains_eager(Call.chat))
        .where(Call.direction == "in", Call.ended_at.is_(None), Call.status.in_(("queued", "ringing")),
               Chat.status != "archived")
        .order_by(Call.id)).scalars()
    rooms = set(agent_rooms(agent))   # exactly those whose ring reached this agent
    return [call for call in calls if rooms.intersection(ring_rooms(call.chat))]


def announce_connected(call: Call, chat: Chat, agent_id: int | None) -> None:
    agent = db.session.get(Agent, agent_id) if agent_id else None
    snapshot = snapshot_chat(chat)
    push("call:connected", {"call": snapshot_call(call), "chat": snapshot, "agent_id": agent_id,
                            "agent_name": _name(agent)}, chat_rooms(snapshot))


# --- incoming --------------------------------------------------------------------------------

def receive_call(call_sid: str, caller: str, our_number: str, caller_name: str = "") -> tuple[Call, bool]:
    """Open (or reopen) the caller's chat on the voice channel and record the call, once.

    Returns ``(call, new)``; a repeated webhook for the same CallSid changes nothing.
    """
    existing = by_sid(call_sid)
    if existing is not None:
        return existing, False
    contact = chats.resolve(VOICE, caller, {"name": caller_name} if caller_name else {})
    chat = chats.open_chat_for(VOICE, caller, contact, our_number, "inbound")
    try:
        call = host_calls.start_call(chat, call_sid, "in", caller, our_number, status="ringing")
    except IntegrityError:  # the same webhook raced us in another request
        db.session.rollback()
        return by_sid(call_sid), False
    return call, True


def answer(call: Call, agent: Agent) -> Call:
    """The agent clicked Answer: take the chat if it waits in the queue, then move the
    caller's leg to that agent's browser (``<Dial><Client>agent-<id>``)."""
    chat = call.chat
    if call.direction != "in":
        raise VoiceError(gettext("Only incoming calls are answered; this one was placed by an agent."))
    if call.ended_at is not None or call.status not in LIVE:
        raise VoiceError(gettext("The caller has already hung up."))
    if not can_answer(chat, agent):
        if chat.status == "archived":
            raise VoiceError(gettext("This chat is archived."))
        raise VoiceError(gettext("%(name)s is on this chat: only they can answer. Ask them to transfer it to you.",
                                 name=_name(chat.agent)), 403)
    if chat.agent_id is None or chat.status == "queued":
        try:
            chats.accept(chat, agent)  # commits before Twilio is asked anything
        except chats.ChatError as exc:
            raise VoiceError(str(exc)) from exc
    redirect(call, voice.dial_agent(agent.id, chat.id, urls()))
    voice_queues.taken(call)
    return call


def twilio_client_for(call: Call):
    """The REST client of the account that owns our number on the call (a subaccount's
    calls are moved and listed with its own credentials)."""
    from plugins.twilio_channel.account.subaccounts import AccountUnavailable, for_sender

    ours = call.to_address if call.direction == "in" else call.from_address
    try:
        return twilio_client(for_sender(ours))
    except AccountUnavailable as exc:
        raise VoiceError(gettext("Twilio could not be reached to move the call (%(error)s). Try again.",
                                 error=exc), 502) from exc


def redirect(call: Call, twiml: str) -> None:
    """Give the customer's leg new TwiML through the REST API (``calls(sid).update``)."""
    try:
        client = twilio_client_for(call)
        sid = customer_leg(call, client)
        if sid is None:
            raise VoiceError(gettext("The caller has already hung up."))
        client.calls(sid).update(twiml=twiml)
    except TwilioRestException as exc:
        if exc.status == 404 or str(exc.code) in ("20404", "21220"):
            raise VoiceError(gettext("The caller has already hung up.")) from exc
        raise VoiceError(gettext("Twilio refused to move the call (HTTP %(status)s, error %(code)s).",
                                 status=exc.status, code=exc.code), 502) from exc
    except CredentialsMissing as exc:
        raise VoiceError(str(exc)) from exc
    except (TwilioException, requests.RequestException, ValueError) as exc:
        raise VoiceError(gettext("Twilio could not be reached to move the call (%(error)s). Try again.",
                                 error=type(exc).__name__), 502) from exc


def customer_leg(call: Call, client) -> str | None:
    """The customer's leg: the call itself when they called us; for a call an agent
    placed, the child leg our ``<Dial><Number>`` created (asked from Twilio)."""
    if call.direction == "in":
        return call.call_sid
    children = client.calls.list(parent_call_sid=call.call_sid, status="in-progress", limit=1)
    return children[0].sid if children else None


def follow_transfer(event) -> None:
    """``chat_transferred``: the call follows the chat.

    Still waiting → it now rings the new agent (or group). In a conversation → the
    caller's leg is redirected to the new agent's browser, or back on hold in the chat's
    queue when the chat went to a group; the new owner's console rings.
    """
    call = live_call(event.chat["id"])
    if call is None:
        return
    chat = call.chat
    if call.status in TALKING:
        if call.muted:
            host_calls.set_muted(call, False)  # the new agent starts unmuted
        where, setup = urls(), VoiceSetup.from_config(load_config())
        say = setup.caller_words("transfer")
        twiml = (voice.dial_agent(event.to_agent_id, chat.id, where, say=say, setup=setup) if event.to_agent_id
                 else voice.back_on_hold(chat.id, where, say, setup))
        try:
            redirect(call, twiml)
        except VoiceError as exc:
            log.warning("chat %s was transferred but its call %s could not follow: %s", chat.id, call.call_sid, exc)
            return
        if event.to_agent_id:
            voice_queues.taken(call)
        else:
            voice_queues.held(call)  # back in the queue: the voicemail time starts again
    announce(call, chat, transfer=True)


# --- outgoing --------------------------------------------------------------------------------

def prepare_outbound(agent: Agent, to: str, chat: Chat | None = None,
                     contact_id: int | None = None) -> tuple[Chat, str]:
    """Continue, reopen or start the customer's chat for a call the agent places.

    Returns the chat (assigned to the agent) and the number the call shows. Refuses
    another group's customer (403, naming the group), and a chat another agent works
    on or that has a call already.
    """
    contact = chats.resolve(VOICE, to, {})
    if contact_id is not None and contact.id is not None and contact.id != contact_id:
        raise VoiceError(gettext("This number belongs to another contact."), 422)
    existing = chat if chat is not None else chats.find_chat_for(contact, to)
    try:
        access.check_may_start(agent, existing, contact.group_id)
    except access.CustomerElsewhere as exc:
        raise VoiceError(str(exc), exc.status) from exc
    if existing is not None and existing.status != "archived":
        if existing.agent_id not in (None, agent.id):
            raise VoiceError(gettext("%(name)s is working on this chat; ask them to transfer it to you before "
                                     "calling.", name=_name(existing.agent)))
        if live_call(existing.id) is not None:
            raise VoiceError(gettext("There is already a call on this chat."))
    caller_id = voice.caller_id_for(load_config(), existing.sender if existing else None)
    if caller_id is None:
        raise VoiceError(gettext("There is no phone number to call from: add one in the Twilio settings."))
    try:
        chat = chats.open_chat_for(VOICE, to, contact, caller_id, "agent", agent=agent)
    except access.CustomerElsewhere as exc:  # the number typed is another group's customer's
        raise VoiceError(str(exc), exc.status) from exc
    if chat.agent_id is None or chat.status == "queued":
        try:
            chats.accept(chat, agent)
        except chats.ChatError as exc:
            db.session.rollback()
            raise VoiceError(str(exc)) from exc
    else:
        bus.commit()
    return chat, caller_id


def start_outbound(chat: Chat, call_sid: str, caller_id: str, to: str) -> Call:
    return host_calls.start_call(chat, call_sid, "out", caller_id, to, status="initiated")


# --- statuses --------------------------------------------------------------------------------

def finish(call: Call, status: str, duration: int | None = None) -> None:
    """Close the call: completed when an agent talked to the customer, else missed."""
    if call.ended_at is not None:
        return
    if call.answered_at is not None:
        status = "completed"
        if duration is None:
            duration = max(0, int((utcnow() - call.answered_at).total_seconds()))
    else:
        status = status if status in MISSED else ("canceled" if call.direction == "out" else "no-answer")
        duration = 0
    host_calls.update_call(call.call_sid, status, duration=duration)


def agent_answered(call: Call, agent_id: int | None) -> None:
    host_calls.update_call(call.call_sid, "in-progress", agent_id=agent_id)
    db.session.refresh(call)
    announce_connected(call, call.chat, agent_id)


def apply_status(form, chat_id: int | None = None) -> bool:
    """A call status callback, for any of the legs: False when we know no such call.

    * the customer who called us: only the end counts (our TwiML "answers" at once);
    * an agent's browser (``client:agent-<id>``): answered = the conversation starts;
    * the customer an agent called (``<Number>`` child): ringing, answered, end + duration;
    * the agent's own browser leg of a call they placed: only the end counts.
    """
    sid, parent = form.get("CallSid"), form.get("ParentCallSid")
    call = by_sid(sid) or by_sid(parent) or live_call(chat_id)
    if call is None:
        return False
    status = (form.get("CallStatus") or "").lower()
    final = status in host_calls.FINAL
    main_leg = sid == call.call_sid
    browser_agent = None if main_leg else voice.agent_id_of(form.get("To"))
    if browser_agent is not None:
        if status in TALKING:
            agent_answered(call, browser_agent)
        return True
    if main_leg:
        if final:
            finish(call, status)
        return True
    # the customer's leg of a call an agent placed (or moved there by a transfer)
    if status == "ringing":
        host_calls.update_call(call.call_sid, "ringing")
    elif status in TALKING:
        agent_answered(call, call.chat.agent_id)
    elif final:
        finish(call, status, duration=_int(form.get("CallDuration")) if call.answered_at else None)
    return True


def _int(value) -> int | None:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return None


# --- the caller's TwiML callbacks -----------------------------------------------------------

def after_queue(form, chat_id: int) -> str:
    """``<Enqueue action>``: the caller left the queue — hung up, timed out to voicemail, or
    was moved on by us (answer/transfer), which needs nothing."""
    call = by_sid(form.get("CallSid"))
    voice_queues.queue_seen(form.get("CallSid"), form.get("QueueSid"))
    result = (form.get("QueueResult") or "").lower()
    setup = VoiceSetup.from_config(load_config())
    if call is None:
        return voice.goodbye()
    if result == "hangup":
        finish(call, "no-answer")
    elif result == "leave":
        finish(call, "no-answer")
        return voice.voicemail(setup, chat_id, urls())
    elif result in ("queue-full", "system-error", "error"):
        finish(call, "failed")
        return voice.goodbye(setup.caller_words("busy"), setup)
    return voice.empty()


def after_dial(form, chat_id: int, agent_id: int) -> str:
    """``<Dial action>``: an agent's browser leg ended or never picked up."""
    call = by_sid(form.get("CallSid")) or live_call(chat_id)
    chat = db.session.get(Chat, chat_id)
    if call is None or chat is None:
        return voice.goodbye()
    if chat.agent_id != agent_id:
        return voice.empty()  # a transfer has moved the call on since this Dial
    caller_gone = (form.get("CallStatus") or "").lower() in host_calls.FINAL
    dial_status = (form.get("DialCallStatus") or "").lower()
    if dial_status in ("completed", "answered"):
        if call.answered_at is None:  # the answered callback never reached us
            agent_answered(call, agent_id)
        finish(call, "completed")
        return voice.empty() if caller_gone else voice.goodbye()
    if caller_gone:
        finish(call, "no-answer")
        return voice.empty()
    announce(call, chat)
    voice_queues.held(call)
    setup = VoiceSetup.from_config(load_config())
    return voice.back_on_hold(chat.id, urls(), setup.caller_words("missed"), setup)


def store_voicemail(form) -> None:
    """``<Record>`` action or recording status callback: keep the voicemail, once.

    The recording is a customer message on the voice channel (audio played through the
    plugin's media proxy, which fetches it from Twilio with the account's credentials)
    and the call's ``recording_url``.
    """
    recording_sid, url = form.get("RecordingSid"), form.get("RecordingUrl")
    call = by_sid(form.get("CallSid"))
    seconds = _int(form.get("RecordingDuration")) or 0
    if call is None or not recording_sid or not url or not seconds:
        return
    known = db.session.execute(db.select(InboundMedia.id).where(InboundMedia.message_sid == recording_sid)).first()
    if not known:
        db.session.add(InboundMedia(message_sid=recording_sid, position=0, url=url + ".mp3",
                                    content_type="audio/mpeg"))
    path = MEDIA_PATH.format(sid=recording_sid, position=0)
    if call.recording_url != path:  # commits the media reference too
        ended = call.ended_at is not None
        host_calls.update_call(call.call_sid, call.status if ended else "no-answer",
                               duration=None if ended else 0, recording_url=path)
    minutes, rest = divmod(seconds, 60)
    chats.receive(InboundMessage(channel=VOICE, external_id=recording_sid, from_address=call.from_address,
                                 to_address=call.to_address, body=f"Voicemail ({minutes}:{rest:02d})",
                                 media=(Media(path, "audio/mpeg"),)))


# --- mute ------------------------------------------------------------------------------------

def set_mute(agent: Agent, call_id, muted) -> dict:
    """Socket.IO ``call:mute`` {call_id, muted}: record the switch and tell the chat room.

    Muting itself happens in the agent's browser (``call.mute(true)``); only the agent on
    the call may report it.
    """
    if not isinstance(call_id, int) or isinstance(call_id, bool) or not isinstance(muted, bool):
        return {"ok": False, "error": gettext("Send {call_id: number, muted: true|false}.")}
    call = db.session.get(Call, call_id) if 0 < call_id < 2**31 else None
    if call is None or not access.may_see_chat(agent, call.chat):
        return {"ok": False, "error": gettext("There is no such call.")}
    if call.ended_at is not None:
        return {"ok": False, "error": gettext("This call has ended.")}
    if call.chat.agent_id != agent.id:
        return {"ok": False, "error": gettext("Only the agent on the call can mute it.")}
    host_calls.set_muted(call, muted)
    push("call:muted", {"call_id": call.id, "chat_id": call.chat_id, "muted": muted, "agent_id": agent.id},
         [chat_room(call.chat_id)])
    return {"ok": True, "muted": muted}


def urls() -> VoiceUrls:
    """Our voice webhooks' public URLs (what Twilio calls and signs)."""
    return VoiceUrls(load_config().public_url)
