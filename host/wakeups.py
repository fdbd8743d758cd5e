"""Wake-ups across processes: work queued in one process wakes the worker of another.

A queue's worker thread wakes at once for work queued in its own process
(:meth:`host.queue_worker.PollingWorker.kick`) and otherwise polls. In production the
webhooks are recorded and replies queued by the HTTP processes while ``switchboard worker``
processes do the work, so without a wake-up every event would wait for the next poll.

On PostgreSQL (with psycopg 3) a process that queues work for a worker it does not run
sends ``NOTIFY`` on the queue's channel, and every process that runs that worker
``LISTEN``\\s on it and wakes it. PostgreSQL delivers a notification only after the
sending transaction commits, and ours is sent after the work's own commit, so the woken
worker always finds the work. The poll stays as the fallback: a notification lost with a
dropped connection costs one poll interval, nothing more. SQLite (one process) needs none
of this: the in-process kick already wakes the only worker.

Cost on the request path: none beyond setting a flag. One thread per process sends the
notifications on a pooled connection it holds (about 30 µs of client CPU each), at most
one per :data:`NOTIFY_EVERY_SECONDS`: kicks that arrive meanwhile ride on the next
``NOTIFY``, so a stream of webhooks costs a few per second, not one each, and a lone
webhook after a quiet spell is still announced at once. The woken worker spaces its
passes the same way (``SWITCHBOARD_INBOX_GATHER_SECONDS``). The worker side is one connection per worker process, idle in
``LISTEN``.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Flask
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

# A notifier thread with nothing to send for this long ends (a new kick starts another), so
# apps that are built and dropped (tests, one-off scripts) leave no thread behind.
NOTIFIER_IDLE_SECONDS = 30.0
# How often the listener looks whether its workers were stopped, and waits after losing
# its connection before trying again (the workers poll meanwhile).
LISTEN_CHECK_SECONDS = 1.0
RECONNECT_SECONDS = 2.0
# The least time between two notifications from one process: no shorter than the woken
# worker's own gathering (host.config INBOX_GATHER_SECONDS), which would not use them.
NOTIFY_EVERY_SECONDS = 0.05

_EXTENSION = "switchboard.wakeups"


def install(app: Flask) -> None:
    """Give ``app`` cross-process wake-ups when its database can carry them."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "postgresql" and url.get_driver_name() == "psycopg":
        app.extensions[_EXTENSION] = Wakeups(app)


def notify(app: Flask, channel: str) -> None:
    """Work was queued for ``channel`` here and no worker of it runs here: wake the ones
    elsewhere (nothing on a database without wake-ups; they poll)."""
    wakeups = app.extensions.get(_EXTENSION)
    if wakeups is not None:
        wakeups.notify(channel)


def listen(app: Flask, channel: str, worker: Any, start_background_task: Callable[..., Any]) -> None:
    """``worker`` (its ``wake()``) runs in this process: wake it on ``channel``'s
    notifications while it runs."""
    wakeups = app.extensions.get(_EXTENSION)
    if wakeups is not None:
        wakeups.listen(channel, worker, start_background_task)


class Wakeups:
    """The notifier and the listener of one app in one process."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._pending: set[str] = set()
        self._send = threading.Event()
        self._notifier: threading.Thread | None = None
        self._workers: dict[str, Any] = {}
        self._listener: Any = None

    # --- sending ---------------------------------------------------------------------------

    def notify(self, channel: str) -> None:
        with self._lock:
            self._pending.add(channel)
            self._send.set()
            if self._notifier is None or not self._notifier.is_alive():
                self._notifier = threading.Thread(target=self._notify_loop, name="switchboard-notify", daemon=True)
                self._notifier.start()

    def _notify_loop(self) -> None:
        from host.extensions import db

        # One of the app's pooled connections, held while the thread runs and used in
        # autocommit: a NOTIFY is then one round trip and about a third of the client CPU
        # of a checkout, a statement and a reset per notification. The pool gets it back
        # (as it lent it, not in autocommit) when the thread idles out.
        with self.app.app_context():
            engine = db.engine
        raw: Any = None
        try:
            while True:
                if not self._send.wait(NOTIFIER_IDLE_SECONDS):
                    with self._lock:
                        if not self._send.is_set():
                            self._notifier = None
                            return
                with self._lock:
                    self._send.clear()
                    channels, self._pending = sorted(self._pending), set()
                try:
                    if raw is None:
                        raw = engine.raw_connection()
                        raw.driver_connection.autocommit = True
                    for channel in channels:
                        raw.driver_connection.execute(f"NOTIFY {channel}", prepare=False)
                    # Kicks that come in the next moment ride on the next NOTIFY: a steady
                    # stream of webhooks costs at most one per NOTIFY_EVERY_SECONDS, not
                    # one each (the woken worker gathers its pass anyway).
                    time.sleep(NOTIFY_EVERY_SECONDS)
                except Exception:  # the workers still poll: a lost wake-up costs one interval
                    log.warning("could not notify the workers of %s", ", ".join(channels), exc_info=True)
                    raw, lost = None, raw
                    if lost is not None:
                        lost.invalidate()
        finally:
            if raw is not None:
                raw.driver_connection.autocommit = False
                raw.close()

    def _conninfo(self) -> str:
        url = make_url(self.app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
        return url.render_as_string(hide_password=False)

    # --- receiving ---------------------------------------------------------------------------

    def listen(self, channel: str, worker: Any, start_background_task: Callable[..., Any]) -> None:
        with self._lock:
            self._workers[channel] = worker
            if self._listener is None:
                self._listener = start_background_task(self._listen_loop)

    def _running(self) -> dict[str, Any]:
        with self._lock:
            running = {channel: worker for channel, worker in self._workers.items() if worker.running}
            if not running:
                self._workers.clear()
                self._listener = None
            return running

    def _listen_loop(self) -> None:
        import psycopg  # the listener's own connection, outside the pool: it stays in LISTEN

        conninfo = self._conninfo()
        stop = threading.Event()
        while workers := self._running():
            try:
                with psycopg.connect(conninfo, autocommit=True) as conn:
                    listening: set[str] = set()
                    while workers := self._running():
                        for channel in workers.keys() - listening:
                            conn.execute(f"LISTEN {channel}")
                            listening.add(channel)
                            workers[channel].wake()  # what was queued before we listened
                        for note in conn.notifies(timeout=LISTEN_CHECK_SECONDS):
                            worker = workers.get(note.channel)
                            if worker is not None:
                                worker.wake()
            except psycopg.Error:
                log.warning("lost the connection that wakes the workers; they poll until it is back", exc_info=True)
                stop.wait(RECONNECT_SECONDS)
