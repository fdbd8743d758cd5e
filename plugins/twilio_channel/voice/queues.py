"""Each call's Twilio queue as the call flow reports it: when voicemail is due, and the queue's sid.

Written by the call flow (:mod:`.calls`, :mod:`.routes`) and read by the housekeeper
(:mod:`.housekeeping`), which starts voicemail on time and deletes the queues of ended calls.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from host.plugin_api import db, utcnow, Call

from plugins.twilio_channel.models import CallQueue
from plugins.twilio_channel.settings import load_config
from plugins.twilio_channel.voice import channel as voice
from plugins.twilio_channel.voice.channel import VoiceSetup


def held(call: Call) -> None:
    """The caller is (again) waiting in the chat's queue: voicemail is due after the
    configured seconds from now. Commits."""
    row = db.session.get(CallQueue, call.call_sid) or CallQueue(
        call_sid=call.call_sid, chat_id=call.chat_id, queue_name=voice.queue_name(call.chat_id))
    after = VoiceSetup.from_config(load_config()).voicemail_after
    row.voicemail_at = utcnow() + timedelta(seconds=after) if after else None
    db.session.add(row)
    db.session.commit()


def taken(call: Call) -> None:
    """An agent's browser is ringing for the caller (or talking to them): no voicemail."""
    db.session.execute(update(CallQueue).where(CallQueue.call_sid == call.call_sid).values(voicemail_at=None))
    db.session.commit()


def queue_seen(call_sid: str | None, queue_sid: str | None) -> None:
    """Twilio named the queue (wait URL and ``<Enqueue action>`` requests carry QueueSid)."""
    if not call_sid or not queue_sid:
        return
    db.session.execute(update(CallQueue).where(CallQueue.call_sid == call_sid, CallQueue.queue_sid.is_(None))
                       .values(queue_sid=queue_sid))
    db.session.commit()
