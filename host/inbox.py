"""The inbox: provider webhooks are recorded first, then processed by a worker.

Inbound has the shape outbound has (:mod:`host.outbox`). A webhook handler checks the
provider's signature, calls :func:`record` — the raw event is committed, a re-delivery
is absorbed by the unique ``(provider, external_id)`` — and answers at once. The inbox
worker then hands each event to the handler a plugin registered for its kind
(``register_inbox_handlers``), which turns it into contact records, chats, messages, statuses
and realtime events through the host's services.

* **Order.** Events sharing an ``ordering_key`` (one customer) are processed one at a
  time, in arrival order (:mod:`host.work_queue`); different customers' events run side
  by side, in as many worker threads and processes as are started.
* **Batches.** A worker claims and reads up to :data:`BATCH` events — the oldest pending
  one of each customer — in one statement; a kind whose handler has ``handle_batch``
  gets its events of the batch together, to store them in one transaction with shared
  statements (the cost per event falls with the batch's size). If the batch fails, each
  of its events is handled on its own, so one bad event is retried alone.
* **Nothing lost.** The claim is an expiring lease; a worker that dies mid-batch leaves
  its events to be taken over when the lease ends. An event is marked done only after
  its handler committed, so a crash in between processes it again: handlers are
  idempotent (a message is stored once per provider id, a status only moves forward, a
  LiveChat webhook's key is stored with its effect).
* **Retention.** Processed events are kept for ``SWITCHBOARD_INBOX_KEEP_DAYS`` (7) to
  absorb late re-deliveries, then pruned by the worker.
* **Failures.** A handler that raises is retried with backoff; after
  :data:`MAX_ATTEMPTS` the event is dead-lettered (``state="dead"``), which lets the
  customer's later events through. Admins list dead letters and reprocess them on the
  *Inbox* page.

Where it runs: in every process that runs the outbox worker (``SWITCHBOARD_INBOX_WORKER``,
on by default), so the embedded server processes its own webhooks; in production,
``switchboard worker`` processes do it. Set ``SWITCHBOARD_INBOX_SYNC`` to process each
event inside the request that recorded it, after its commit (tests; one-off scripts).
"""
from __future__ import annotations

import logging
import time
from datetime import timedelta

from flask import current_app
from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite

from host import work_queue
from host.extensions import db
from host.models import InboxEvent, utcnow
from host.queue_worker import QueueWorker

log = logging.getLogger(__name__)

PRUNE_EVERY_SECONDS = 60
PRUNE_BATCH = 5000
MAX_ATTEMPTS = 8  # 1+2+4+…+64 s: about four minutes of retries before a dead letter
MAX_BACKOFF_SECONDS = 300
BATCH = 50


def record(provider: str, external_id: str, kind: str, ordering_key: str, payload: dict) -> bool:
    """Commit a webhook's raw event; False when it was recorded before (a re-delivery).

    The webhook may be answered once this returns: the event is durable.

    One statement on a connection from the engine rather than through the ORM session: a
    webhook request loads no objects and has nothing else to flush. On PostgreSQL the
    connection is in autocommit, so the INSERT is its own transaction, committed by the
    server before it answers the statement: one round trip instead of three (``BEGIN``,
    the INSERT, ``COMMIT``), each of which costs the HTTP process and the server CPU. On
    SQLite the INSERT runs in a transaction of its own, which the writer turn
    (:mod:`host.sqlite_writes`) takes and gives back as before. The request's session, if
    anything opened one, is left as it was.
    """
    values = {"provider": provider[:40], "external_id": external_id[:200], "kind": kind[:60],
              "ordering_key": (ordering_key or external_id)[:200], "payload": payload}
    # The id RETURNING gives, not the rowcount: PostgreSQL's driver reports -1 for an
    # INSERT that returns rows, and every event looked like a re-delivery (no kick).
    engine = db.engine
    dialect = engine.dialect.name
    # Either way the event is committed when the block ends, before the 200.
    with (engine.connect().execution_options(isolation_level="AUTOCOMMIT") if dialect == "postgresql"
          else engine.begin()) as connection:
        new = connection.execute(_record_statement(dialect), values).scalar() is not None
    if new:
        current_app.extensions["switchboard"].inbox.kick()
    return new


_RECORD: dict = {}


def _record_statement(dialect: str):
    """INSERT … ON CONFLICT DO NOTHING into the inbox, built once per dialect: every
    webhook runs it, with its values as parameters."""
    statement = _RECORD.get(dialect)
    if statement is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = _RECORD[dialect] = insert(InboxEvent.__table__).on_conflict_do_nothing(
            index_elements=["provider", "external_id"]).returning(InboxEvent.id)
    return statement


def backoff(attempts: int) -> float:
    return work_queue.backoff(attempts, MAX_BACKOFF_SECONDS)


class Inbox(QueueWorker):
    """The inbox worker of one process (``app.extensions["switchboard"].inbox``)."""

    model = InboxEvent
    key = "ordering_key"
    poll_setting = "SWITCHBOARD_INBOX_POLL_SECONDS"
    gather_setting = "SWITCHBOARD_INBOX_GATHER_SECONDS"
    wake_channel = "switchboard_inbox"
    claim_setting = "SWITCHBOARD_INBOX_CLAIM_SECONDS"
    max_attempts = MAX_ATTEMPTS
    max_backoff = MAX_BACKOFF_SECONDS
    batch = BATCH
    name = "inbox"

    def __init__(self, app):
        super().__init__(app)
        self._pruned_at = 0.0

    # --- worker lifecycle (started and stopped with the outbox worker) -----------------

    def enabled(self) -> bool:
        # With SWITCHBOARD_INBOX_SYNC each request processes its own event: no thread
        # that could take it first and answer the webhook before it is processed.
        return self.app.config["SWITCHBOARD_INBOX_WORKER"] and not self.app.config.get("SWITCHBOARD_INBOX_SYNC")

    def kick(self) -> None:
        """An event was recorded in this process: wake the worker (or, with
        ``SWITCHBOARD_INBOX_SYNC``, process what is due now)."""
        if self.app.config.get("SWITCHBOARD_INBOX_SYNC"):
            while self.drain():
                pass
        else:
            super().kick()

    def drain_pass(self) -> None:
        """Batch after batch while another claim could find events (:func:`host.work_queue.more_due`).

        A batch that was not full and left none of its customers a later event ends the
        pass without the claim that would come back empty (under a steady stream of
        webhooks, one statement per pass fewer); whatever was recorded meanwhile woke the
        thread for its next pass."""
        while not self._stop.is_set() and work_queue.more_due(self.drain_batch(self.batch), self.batch):
            pass

    def housekeeping(self) -> None:
        if time.monotonic() - self._pruned_at > PRUNE_EVERY_SECONDS:
            self._pruned_at = time.monotonic()
            prune(self.app.config["SWITCHBOARD_INBOX_KEEP_DAYS"])

    # --- processing ---------------------------------------------------------------------

    def due_ids(self, limit: int = BATCH) -> list[int]:
        return work_queue.due_ids(InboxEvent, limit, key=InboxEvent.ordering_key)

    def work(self, events: list) -> None:
        """Process a claimed batch (at most one event per customer, so they may be handled
        in any order): a kind's events go to its handler's ``handle_batch`` together when
        it has one, in one transaction; if that fails, each is handled on its own, so one
        bad event is retried or dead-lettered alone. Finished events are marked done in
        one statement."""
        sb = current_app.extensions["switchboard"]
        by_kind: dict[str, list] = {}
        for event in events:
            by_kind.setdefault(event.kind, []).append(event)
        done: list[int] = []
        for kind, group in by_kind.items():
            handler = sb.inbox_handler(kind)
            if handler is None:
                for event in group:
                    self._failed(event, f"No enabled plugin handles {kind} events.", retryable=False)
                continue
            if handler.handle_batch is not None and len(group) > 1 and self._handle_together(handler, group):
                done.extend(event.id for event in group)
                continue
            done.extend(event.id for event in group if self._handle(handler.handle, event))
        self.mark_done(done, processed_at=utcnow())

    def _handle_together(self, handler, events: list) -> bool:
        try:
            # A fresh app context per call: what a handler leaves on ``g`` (a messaging
            # service, a signed-in agent) never reaches the next call.
            with self.app.app_context():
                handler.handle_batch([dict(event.payload) for event in events])
                db.session.commit()
                db.session.remove()
        except Exception:
            log.warning("a batch of %d %s events failed; handling them one by one", len(events), handler.kind,
                        exc_info=True)
            db.session.rollback()
            return False
        return True

    def _handle(self, handle, event) -> bool:
        """Run the handler of one claimed event; True when it succeeded (the caller marks
        it done), False when it was rescheduled or dead-lettered."""
        try:
            with self.app.app_context():
                handle(dict(event.payload))
                db.session.commit()
                db.session.remove()
        except Exception as exc:
            log.exception("inbox event %s (%s) failed", event.id, event.kind)
            db.session.rollback()
            self._failed(event, f"{type(exc).__name__}: {exc}")
            return False
        return True

    def _failed(self, event, error: str, retryable: bool = True) -> None:
        values = self.after_failure(event.attempts + 1, error, retryable)
        if values.get("state") == "dead":
            values["processed_at"] = utcnow()
        db.session.execute(update(InboxEvent).where(InboxEvent.id == event.id).values(**values))
        db.session.commit()

    # --- for admins and /healthz --------------------------------------------------------

    def reprocess(self, event_id: int) -> bool:
        """Put a dead letter back in line (its customer's order as of now); False when it
        is not a dead letter."""
        result = db.session.execute(update(InboxEvent).where(InboxEvent.id == event_id, InboxEvent.state == "dead")
                                    .values(state="pending", attempts=0, next_attempt_at=utcnow(),
                                            locked_until=None, processed_at=None))
        db.session.commit()
        if result.rowcount == 1:
            self.kick()
            return True
        return False


def prune(keep_days: float) -> int:
    """Forget processed events older than ``keep_days`` (in chunks, so no statement holds
    the table for long); how many went. Re-deliveries come within hours, so a week of
    processed events is plenty to absorb them; dead letters stay until reprocessed."""
    cutoff = utcnow() - timedelta(days=keep_days)
    removed = 0
    while True:
        ids = list(db.session.execute(db.select(InboxEvent.id).where(
            InboxEvent.state == "done", InboxEvent.received_at < cutoff).limit(PRUNE_BATCH)).scalars())
        if not ids:
            return removed
        db.session.execute(db.delete(InboxEvent).where(InboxEvent.id.in_(ids)))
        db.session.commit()
        removed += len(ids)


def backlog() -> dict:
    """Pending events and the age in seconds of the oldest one."""
    count, oldest = db.session.execute(
        db.select(db.func.count(InboxEvent.id), db.func.min(InboxEvent.received_at))
        .where(InboxEvent.state == "pending")).one()
    dead = db.session.execute(db.select(db.func.count(InboxEvent.id)).where(InboxEvent.state == "dead")).scalar()
    age = (utcnow() - oldest).total_seconds() if oldest is not None else 0.0
    return {"pending": count, "oldest_seconds": round(max(age, 0.0), 3), "dead": dead}


def dead_letters(limit: int = 200) -> list[InboxEvent]:
    """The most recent dead letters, newest first."""
    return list(db.session.execute(db.select(InboxEvent).where(InboxEvent.state == "dead")
                                   .order_by(InboxEvent.id.desc()).limit(limit)).scalars())


def describe(sb, event: InboxEvent) -> str:
    """What the event was, in words, from its handler's ``describe`` (else its kind)."""
    owner, handler = sb.inbox_handlers.get(event.kind, (None, None))
    if handler is not None and handler.describe is not None:
        try:
            return handler.describe(dict(event.payload))
        except Exception:  # a payload it can't read: say what we know
            log.exception("inbox event %s could not be described", event.id)
    return f"A {event.kind} event from {event.provider}"


def health(max_age: float) -> dict:
    """``/healthz``: the backlog, not ok once its oldest event waited longer than ``max_age``."""
    state = backlog()
    ok = state["oldest_seconds"] <= max_age
    return {"ok": ok, **state, **({} if ok else {
        "detail": f"the oldest webhook has waited {state['oldest_seconds']:.0f} s to be processed "
                  f"(more than {max_age:.0f} s): are the workers running?"})}
