"""The worker skeleton the outbox and the inbox share: a thread that drains a persisted
queue (:mod:`host.work_queue`) in batches, and the retry/dead-letter bookkeeping of a row.

A queue's worker says only what to do with a claimed batch (:meth:`QueueWorker.work`);
this class claims it, wakes on :meth:`kick` or polls, keeps going through a database
outage, and starts and stops with the process's other workers (``companions``).
"""
from __future__ import annotations

import logging
import threading
from datetime import timedelta

from host import work_queue
from host.extensions import db
from host.models import utcnow

log = logging.getLogger(__name__)


class QueueWorker:
    """Subclasses set ``model`` (the queue's rows), ``key`` (the name of the column whose
    rows are worked on in order; ``chat_id`` by default), the config names of the poll interval
    and the claim's length, ``max_attempts`` and ``max_backoff``, and implement
    :meth:`work`."""

    model: type
    key = "chat_id"
    poll_setting = "SWITCHBOARD_OUTBOX_POLL_SECONDS"
    claim_setting = "SWITCHBOARD_OUTBOX_CLAIM_SECONDS"
    max_attempts = 8
    max_backoff = 300.0
    batch = 50
    name = "queue"

    def __init__(self, app):
        self.app = app
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = None
        # Other workers started and stopped with this one (e.g. a plugin's own queue);
        # each has start(start_background_task) and stop().
        self.companions: list = []

    # --- lifecycle ------------------------------------------------------------------------

    def enabled(self) -> bool:
        """Whether this process runs the thread (the companions are asked on their own)."""
        return True

    def kick(self) -> None:
        """Work was added in this process: wake the thread now rather than at the next poll."""
        self._wake.set()

    def start(self, start_background_task) -> None:
        if self._thread is None and self.enabled():
            self._stop.clear()
            self._thread = start_background_task(self._run)
        for companion in self.companions:
            companion.start(start_background_task)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        for companion in self.companions:
            companion.stop()

    def _run(self) -> None:
        # Work added by other processes is found by polling; an idle poll is one indexed query.
        poll = self.app.config[self.poll_setting]
        while not self._stop.is_set():
            self._wake.wait(poll)
            self._wake.clear()
            try:
                with self.app.app_context():
                    while self.drain() and not self._stop.is_set():
                        pass
                    self.housekeeping()
            except Exception:  # the worker must survive a database outage
                log.exception("%s pass failed; retrying", self.name)
                self._stop.wait(max(poll, 1.0))

    def housekeeping(self) -> None:
        """Run after each pass that emptied the queue (pruning and the like)."""

    # --- one batch ------------------------------------------------------------------------

    def drain(self, limit: int | None = None) -> int:
        """Claim the rows due now (at most one per ``key``) and work on them; how many."""
        rows = work_queue.claim_due(self.model, limit or self.batch, self.app.config[self.claim_setting],
                                    key=getattr(self.model, self.key))
        if rows:
            self.work(rows)
        return len(rows)

    def work(self, rows: list) -> None:
        """What to do with a claimed batch (plain rows, oldest first, claims committed)."""
        raise NotImplementedError

    # --- bookkeeping of one row -----------------------------------------------------------

    def after_failure(self, attempts: int, error: str, retryable: bool = True) -> dict:
        """A row's new values after a failed attempt (``attempts`` counts it): backed off,
        or dead (``state="dead"``) when it may not be retried or has used its attempts."""
        values = {"attempts": attempts, "last_error": error[:300], "locked_until": None}
        if retryable and attempts < self.max_attempts:
            return {**values, "next_attempt_at": utcnow() + timedelta(seconds=self.backoff(attempts))}
        return {**values, "state": "dead"}

    def backoff(self, attempts: int) -> float:
        return work_queue.backoff(attempts, self.max_backoff)

    def claim(self, row_id: int) -> bool:
        """Take one row (a retry from the admins' screens)."""
        return work_queue.claim(self.model, row_id, self.app.config[self.claim_setting])

    def mark_done(self, ids: list[int], **values) -> None:
        """Finish the rows of ``ids`` in one statement and commit."""
        if ids:
            db.session.execute(db.update(self.model).where(self.model.id.in_(ids))
                               .values(state="done", locked_until=None, last_error=None, **values))
            db.session.commit()
