"""Engine.IO's per-connection send queue on the C ``SimpleQueue``.

In ``threading`` mode every connected agent has a queue and a writer thread that
takes packets off it; an event for a group is one ``put`` on each member's queue
and one wake-up of each writer. engine.io uses ``queue.Queue``, whose ``put`` and
``get`` take its ``Condition`` locks in Python code: on a busy server they were
~17 % of the samples that held the interpreter lock (300 webhooks/s, 200 agents).
``SimpleQueue`` does the same hand-over in C.

engine.io also calls ``task_done()`` right after each ``get`` and ``join()`` when it
closes a connection with ``wait=True``; with ``queue.Queue`` that ``join`` returns
once the writer has taken every packet. Here ``join`` waits for the same thing,
the queue being empty, but not forever: a writer that died with its connection
would leave ``queue.Queue.join`` hanging.
"""
from __future__ import annotations

import queue
import time

JOIN_TIMEOUT = 5.0  # seconds a closing connection waits for its writer


class SocketQueue(queue.SimpleQueue):
    def task_done(self) -> None:
        """Nothing to count: ``join`` looks at the queue itself."""

    def join(self, timeout: float = JOIN_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not self.empty() and time.monotonic() < deadline:
            time.sleep(0.005)


def use_socket_queue(socketio) -> None:
    """Make the Engine.IO server of ``socketio`` (threading mode) create ``SocketQueue``s."""
    eio = socketio.server.eio
    if eio.async_mode == "threading":
        eio._async = {**eio._async, "queue": SocketQueue, "queue_empty": queue.Empty}
