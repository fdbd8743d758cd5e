"""A worker woken once per queued item (a webhook recorded, a wake-up from another process)
takes a steady stream of them in a few passes, each with what came meanwhile, while a lone
item after a quiet spell is taken at once."""
from __future__ import annotations

import threading
import time

from flask import Flask

from host.queue_worker import PollingWorker


class Passes(PollingWorker):
    """Counts what each pass took."""

    poll_setting = "POLL"
    gather_setting = "GATHER"

    def __init__(self, app):
        super().__init__(app)
        self.passes: list[int] = []
        self.queued = 0
        self.lock = threading.Lock()

    def drain(self) -> int:
        with self.lock:
            taken, self.queued = self.queued, 0
        if taken:
            self.passes.append(taken)
        return taken

    def queue(self) -> None:
        with self.lock:
            self.queued += 1
        self.kick()

    def wait_for(self, total: int, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while sum(self.passes) < total and time.monotonic() < deadline:
            time.sleep(0.005)
        return sum(self.passes) == total


def started(gather: float) -> Passes:
    app = Flask(__name__)
    app.config.update(POLL=30.0, GATHER=gather)  # the poll never comes: only kicks wake it
    worker = Passes(app)
    worker.start(lambda run: threading.Thread(target=run, daemon=True).start() or "thread")
    return worker


def test_a_stream_of_kicks_is_taken_in_passes_spaced_by_the_gathering_time():
    worker = started(gather=0.2)
    try:
        began = time.monotonic()
        for _ in range(40):
            worker.queue()
            time.sleep(0.01)
        elapsed = time.monotonic() - began
        assert worker.wait_for(40, 5.0), worker.passes
        # One pass per kick without the gathering (40); with it, one per 0.2 s of the stream.
        assert len(worker.passes) <= elapsed / 0.2 + 2, (elapsed, worker.passes)
    finally:
        worker.stop()


def test_a_lone_item_is_taken_at_once_and_the_next_waits_for_the_gathering():
    worker = started(gather=5.0)
    try:
        worker.queue()
        assert worker.wait_for(1, 2.0), "a first item waits for no gathering"
        worker.queue()
        assert not worker.wait_for(2, 1.0), "the next pass comes only once the gathering time is up"
    finally:
        worker.stop()
