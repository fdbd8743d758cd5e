"""The worker skeleton the outbox, the inbox and plugins' queues share.

:class:`PollingWorker` is the thread: it wakes on :meth:`~PollingWorker.kick` or polls,
drains until nothing is due, runs the worker's housekeeping, and keeps going through a
database outage. A plugin's worker subclasses it (through :mod:`host.plugin_api.workers`)
and says only how to drain. :class:`QueueWorker` adds what the host's own queues share:
a batch claimed from a persisted queue (:mod:`host.work_queue`), the retry/dead-letter
bookkeeping of a row, and the process's other workers started and stopped with it
(``companions``).
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask

from host import wakeups, work_queue
from host.extensions import db
from host.models import utcnow

log = logging.getLogger(__name__)


class PollingWorker:
    """One background thread per app that drains work.

    Subclasses implement :meth:`drain` (work on what is due now, return how much; 0 when
    there is nothing, or while their plugin is off) and may override :meth:`housekeeping`
    (after each pass that emptied the queue) and :meth:`enabled` (whether this process
    runs the thread). ``poll_setting`` names the app config value of the poll interval in
    seconds; work added in another process is found at the next poll.
    """

    poll_setting = "SWITCHBOARD_OUTBOX_POLL_SECONDS"
    name = "worker"
    # The channel on which work queued in another process wakes this worker at once
    # (:mod:`host.wakeups`, PostgreSQL); None: that work waits for the next poll.
    wake_channel: str | None = None
    # Names the app config value of the least time between the starts of two passes (None:
    # none). Wake-ups come one per queued item: a pass for each would pay a batch's fixed
    # cost (claim, commit, emits) per item, so under a steady stream passes are spaced
    # this far apart and each takes what came meanwhile, while a lone item after a quiet
    # spell is taken at once.
    gather_setting: str | None = None

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: Any = None
        self._start_lock = threading.Lock()

    def enabled(self) -> bool:
        """Whether this process runs the thread."""
        return True

    def kick(self) -> None:
        """Work was added in this process (and committed): wake the thread now rather than at
        the next poll, or, when this process doesn't run it, the workers of the others."""
        self._wake.set()
        if self.wake_channel is not None and not self.running:
            wakeups.notify(self.app, self.wake_channel)

    def wake(self) -> None:
        """Wake this process's thread (work was added elsewhere)."""
        self._wake.set()

    @property
    def running(self) -> bool:
        return self._thread is not None and not self._stop.is_set()

    def start(self, start_background_task: Callable[..., Any]) -> None:
        """Start the thread with the server's ``start_background_task``; returns at once."""
        with self._start_lock:
            if self._thread is None and self.enabled():
                self._stop.clear()
                self._thread = start_background_task(self._run)
                if self.wake_channel is not None:
                    wakeups.listen(self.app, self.wake_channel, self, start_background_task)

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def _run(self) -> None:
        # An idle poll is one indexed query.
        poll = float(self.app.config[self.poll_setting])
        gather = float(self.app.config[self.gather_setting]) if self.gather_setting else 0.0
        last_pass = float("-inf")
        while not self._stop.is_set():
            self._wake.wait(poll)
            early = last_pass + gather - time.monotonic()
            if early > 0:
                self._stop.wait(early)
            self._wake.clear()
            last_pass = time.monotonic()
            try:
                with self.app.app_context():
                    self.drain_pass()
                    self.housekeeping()
            except Exception:  # the worker must survive a database (or provider) outage
                log.exception("%s pass failed; retrying", self.name)
                self._stop.wait(max(poll, 1.0))

    def drain(self) -> int:
        """Work on what is due now; return how many items were tried (0 ends the pass)."""
        raise NotImplementedError

    def drain_pass(self) -> None:
        """One pass of the thread: drain until nothing is due (or the worker stops)."""
        while self.drain() and not self._stop.is_set():
            pass

    def housekeeping(self) -> None:
        """Run after each pass that emptied the queue (pruning and the like)."""


class QueueWorker(PollingWorker):
    """Subclasses set ``model`` (the queue's rows), ``key`` (the name of the column whose
    rows are worked on in order; ``chat_id`` by default), the config names of the poll interval
    and the claim's length, ``max_attempts`` and ``max_backoff``, and implement
    :meth:`work`."""

    model: type
    key = "chat_id"
    claim_setting = "SWITCHBOARD_OUTBOX_CLAIM_SECONDS"
    max_attempts = 8
    max_backoff = 300.0
    batch = 50
    name = "queue"

    def __init__(self, app):
        super().__init__(app)
        # Other workers started and stopped with this one (e.g. a plugin's own queue);
        # each has start(start_background_task) and stop().
        self.companions: list = []

    # --- lifecycle ------------------------------------------------------------------------

    def start(self, start_background_task) -> None:
        super().start(start_background_task)
        for companion in self.companions:  # asked on their own, whether this one runs or not
            companion.start(start_background_task)

    def stop(self) -> None:
        super().stop()
        for companion in self.companions:
            companion.stop()

    # --- one batch ------------------------------------------------------------------------

    def drain(self, limit: int | None = None) -> int:
        """Claim the rows due now (at most one per ``key``) and work on them; how many."""
        return len(self.drain_batch(limit or self.batch))

    def drain_batch(self, limit: int) -> list:
        """Claim the rows due now (at most one per ``key``), work on them and return them."""
        rows = work_queue.claim_due(self.model, limit, self.app.config[self.claim_setting],
                                    key=getattr(self.model, self.key))
        if rows:
            self.work(rows)
        return rows

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
            work_queue.finish(self.model, ids, **values)
            db.session.commit()
