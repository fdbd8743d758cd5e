"""Calls: the host's record of a phone call on a chat, and its transcript line.

Adapters of channels that carry calls call :func:`start_call` when a call rings in or is placed,
:func:`update_call` for each status callback and :func:`set_muted` when the agent mutes.
Statuses only move forward; a call that ends leaves one line in the chat transcript
(and missed calls say so).
"""
from __future__ import annotations

from host import emit as bus
from host.channel_descriptions import call_channel_for
from host.events import CallStatusChanged
from host.extensions import db
from host.models import Call, Chat, Message, utcnow
from host.schemas import snapshot_call, snapshot_chat

CALL_RANK = {"queued": 0, "initiated": 0, "ringing": 1, "in-progress": 2, "answered": 2,
             "completed": 3, "busy": 3, "no-answer": 3, "failed": 3, "canceled": 3}
FINAL = {"completed", "busy", "no-answer", "failed", "canceled"}
MISSED = {"busy", "no-answer", "failed", "canceled"}


def start_call(chat: Chat, call_sid: str, direction: str, from_address: str, to_address: str,
               status: str = "ringing") -> Call:
    existing = db.session.execute(db.select(Call).where(Call.call_sid == call_sid)).scalar_one_or_none()
    if existing is not None:
        return existing
    call = Call(chat=chat, call_sid=call_sid, direction=direction, from_address=from_address,
                to_address=to_address, status=status)
    chat.last_message_at = utcnow()  # a call is the chat's latest activity: it comes to the top of lists
    db.session.add(call)
    db.session.flush()
    bus.emit(CallStatusChanged(call=snapshot_call(call), chat=snapshot_chat(chat), previous_status=None))
    bus.commit()
    return call


def update_call(call_sid: str, status: str, duration: int | None = None, agent_id: int | None = None,
                recording_url: str | None = None) -> Call | None:
    call = db.session.execute(db.select(Call).where(Call.call_sid == call_sid)).scalar_one_or_none()
    if call is None:
        return None
    previous = call.status
    if CALL_RANK.get(status, -1) <= CALL_RANK.get(previous, -1) and not recording_url:
        return call
    if CALL_RANK.get(status, -1) > CALL_RANK.get(previous, -1):
        call.status = status
    if status in ("in-progress", "answered") and call.answered_at is None:
        call.answered_at = utcnow()
        call.answered_by_id = agent_id or call.answered_by_id
    if duration is not None:
        call.duration = duration
    if recording_url:
        call.recording_url = recording_url
    if status in FINAL and call.ended_at is None:
        call.ended_at = utcnow()
        db.session.add(transcript_line(call))
    db.session.flush()
    bus.emit(CallStatusChanged(call=snapshot_call(call), chat=snapshot_chat(call.chat), previous_status=previous))
    bus.commit()
    return call


def set_muted(call: Call, muted: bool) -> Call:
    """Record the agent's mute switch (muting itself happens in the agent's browser)."""
    call.muted = bool(muted)
    db.session.commit()
    return call


def transcript_line(call: Call) -> Message:
    way = "Incoming" if call.direction == "in" else "Outgoing"
    if call.status in MISSED and call.answered_at is None:
        text = f"Missed {way.lower()} call ({call.status.replace('-', ' ')})"
    else:
        minutes, seconds = divmod(call.duration or 0, 60)
        text = f"{way} call, {minutes}:{seconds:02d}"
    # on the channel that carries the call (the chat itself may be bound to a text channel)
    channel = call_channel_for(call.chat.channel) or call.chat.channel
    return Message(chat_id=call.chat_id, direction=call.direction, kind="call", channel=channel, body=text,
                   sender=call.from_address, recipient=call.to_address, agent_id=call.answered_by_id,
                   external_id=None, status="delivered" if call.answered_at else "failed",
                   media=[{"url": call.recording_url, "content_type": "audio/mpeg"}] if call.recording_url else [])
