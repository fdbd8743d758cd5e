"""Voice housekeeping: voicemail on time, and each call's Twilio queue deleted when it is over.

* **Voicemail on time.** A waiting caller hears the hold music; Twilio asks the queue's
  wait URL again only when the music ends, so a ``<Leave/>`` answered there comes at the
  end of a track — with a twenty-minute track, twenty minutes late. So the time is kept
  here (``CallQueue.voicemail_at``, set when the caller is put on hold, cleared when an
  agent takes the call) and, when it comes, the caller's leg is redirected to the
  voicemail TwiML through the REST API, as answering does. The wait URL's ``<Leave/>``
  stays as a fallback for a server without this worker.
* **Queues deleted.** ``<Enqueue>`` makes a queue per chat (``chat-<id>``) and Twilio keeps
  every queue until it is deleted ("Queues persist. To optimize fetch operations,
  inactive Queues should be deleted." — https://www.twilio.com/docs/voice/api/queue-resource;
  an account has a limited number of them). Once the call has ended the queue is deleted
  (only an empty queue can be); a refusal is tried again with backoff.

:class:`VoiceHousekeeper` runs :func:`run_due` about once a second wherever the host runs
its outbox worker (``register_workers``); tests call :func:`run_due` themselves. What the call flow reports
(held, taken, the queue's sid) is written down by :mod:`.queues`.
"""
from __future__ import annotations

import logging
import threading
from datetime import timedelta

import requests
from sqlalchemy import and_, or_, update
from twilio.base.exceptions import TwilioException, TwilioRestException

from host.plugin_api import db, utcnow, workers, Call, is_enabled

from plugins.twilio_channel.voice import channel as voice
from plugins.twilio_channel.models import CallQueue
from plugins.twilio_channel.settings import NAME, load_config
from plugins.twilio_channel.voice.calls import VoiceError, finish, redirect, twilio_client_for, urls
from plugins.twilio_channel.voice.channel import VoiceSetup

log = logging.getLogger(__name__)

EXTENSION = "twilio_channel.voice_housekeeper"
CLAIM_SECONDS = 60
MAX_BACKOFF_SECONDS = 600
KEEP_DAYS = 7
WAITING = ("queued", "ringing")


# --- the work ---------------------------------------------------------------------------------

def run_due(now=None) -> int:
    """Start the voicemails that are due and delete the queues of ended calls; returns
    how many of those were done."""
    now = now or utcnow()
    return _start_voicemails(now) + _remove_queues(now)


def _start_voicemails(now) -> int:
    started = 0
    due = db.session.execute(db.select(CallQueue.call_sid, CallQueue.voicemail_at)
                             .where(CallQueue.voicemail_at <= now).limit(50)).all()
    for call_sid, at in due:
        # Claimed by clearing the time: of several workers exactly one goes on.
        claimed = db.session.execute(update(CallQueue).where(CallQueue.call_sid == call_sid,
                                                             CallQueue.voicemail_at == at)
                                     .values(voicemail_at=None)).rowcount == 1
        db.session.commit()
        call = db.session.execute(db.select(Call).where(Call.call_sid == call_sid)).scalar_one_or_none()
        if not claimed or call is None or call.ended_at is not None or call.answered_at is not None \
                or call.status not in WAITING:
            continue
        started += _to_voicemail(call)
    return started


def _to_voicemail(call: Call) -> int:
    setup = VoiceSetup.from_config(load_config())
    try:
        redirect(call, voice.voicemail(setup, call.chat_id, urls()))
    except VoiceError as exc:
        log.info("voicemail for call %s not started: %s", call.call_sid, exc)
        return 0
    finish(call, "no-answer")  # a missed call that leaves a voicemail, as after <Leave/>
    return 1


def _remove_queues(now) -> int:
    removed = 0
    rows = db.session.execute(
        db.select(CallQueue.call_sid, CallQueue.queue_sid).join(Call, Call.call_sid == CallQueue.call_sid)
        .where(CallQueue.queue_sid.is_not(None), CallQueue.removed_at.is_(None), Call.ended_at.is_not(None),
               or_(CallQueue.next_attempt_at.is_(None), CallQueue.next_attempt_at <= now))
        .limit(50)).all()
    for call_sid, queue_sid in rows:
        claimed = db.session.execute(update(CallQueue).where(
            CallQueue.call_sid == call_sid, CallQueue.removed_at.is_(None),
            or_(CallQueue.next_attempt_at.is_(None), CallQueue.next_attempt_at <= now))
            .values(next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS))).rowcount == 1
        db.session.commit()
        if not claimed:
            continue
        row = db.session.get(CallQueue, call_sid)
        call = db.session.execute(db.select(Call).where(Call.call_sid == call_sid)).scalar_one()
        try:
            twilio_client_for(call).queues(queue_sid).delete()
        except TwilioRestException as exc:
            if exc.status != 404:  # not empty yet (another call of the chat waits in it), or Twilio trouble
                _later(row, now, f"HTTP {exc.status}: {exc.msg}")
                continue
        except (TwilioException, requests.RequestException, ValueError) as exc:
            _later(row, now, type(exc).__name__)
            continue
        else:
            removed += 1
        row.removed_at = now  # deleted, or already gone (the chat's earlier call deleted it)
        db.session.commit()
    return removed


def _later(row: CallQueue, now, why: str) -> None:
    row.attempts += 1
    # 16 s, 32 s, 64 s … up to ten minutes: a call of the same chat may hold the queue a while
    row.next_attempt_at = now + timedelta(seconds=workers.backoff(row.attempts + 4, MAX_BACKOFF_SECONDS))
    db.session.commit()
    log.info("queue %s of call %s not deleted yet (%s)", row.queue_sid, row.call_sid, why)


def prune(now=None) -> int:
    """Forget queues deleted (or never named) long ago."""
    old = (now or utcnow()) - timedelta(days=KEEP_DAYS)
    gone = db.session.execute(db.delete(CallQueue).where(
        or_(CallQueue.removed_at < old, and_(CallQueue.queue_sid.is_(None), CallQueue.created_at < old))))
    db.session.commit()
    return gone.rowcount


# --- the worker -------------------------------------------------------------------------------

class VoiceHousekeeper:
    """A companion of the host's outbox worker: :func:`run_due` about once a second."""

    def __init__(self, app):
        self.app = app
        self._stop = threading.Event()
        self._thread = None
        self._lock = threading.Lock()

    def start(self, start_background_task) -> None:
        with self._lock:
            if self._thread is None:
                self._stop.clear()
                self._thread = start_background_task(self._run)

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        poll = self.app.config.get("SWITCHBOARD_OUTBOX_POLL_SECONDS", 1.0)
        passes = 0
        while not self._stop.wait(poll):
            try:
                with self.app.app_context():
                    if is_enabled(NAME):
                        run_due()
                        passes += 1
                        if passes % 3600 == 1:
                            prune()
                    db.session.remove()
            except Exception:  # the worker must survive a database or Twilio outage
                log.exception("voice housekeeping pass failed; retrying")


def worker(app) -> VoiceHousekeeper:
    """The app's housekeeper (``register_workers``: it runs wherever the host's workers run)."""
    return app.extensions.setdefault(EXTENSION, VoiceHousekeeper(app))
