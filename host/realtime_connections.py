"""How the agents' Engine.IO connections run in ``threading`` mode: two adjustments.

**Send queues.** Every connected agent has a queue and a writer thread that takes
packets off it; an event for a group is one ``put`` on each member's queue and one
wake-up of each writer. engine.io uses ``queue.Queue``, whose ``put`` and ``get``
take its ``Condition`` locks in Python code: on a busy server they were ~17 % of the
samples that held the interpreter lock (300 webhooks/s, 200 agents).
:class:`SocketQueue` does the same hand-over in C (``SimpleQueue``). engine.io calls
``task_done()`` right after each ``get`` and ``join()`` when it closes a connection
with ``wait=True``, so ``join`` returns once the writer has taken every packet; here
it waits for the same thing, the queue being empty, but not forever (a writer that
died with its connection left ``queue.Queue.join`` hanging).

**Ping rounds.** The server pings each connection ``ping_interval`` (25 s) after the
connection opened and then 25 s after each answer, so agents who connected together —
a whole team after a deploy or a network blip — are pinged together forever after:
every 25 s the process wakes a thread per connection at once, a burst that requests
wait behind. Here the first ping of each connection comes after a random 50–100 % of
the interval, which spreads the rounds for good. Earlier, never later: clients give
up on a server that has not pinged them for a while (python-socketio's after 30 s).
"""
from __future__ import annotations

import queue
import random
import time

import engineio.packet
import engineio.socket

JOIN_TIMEOUT = 5.0  # seconds a closing connection waits for its writer
FIRST_PING_SPREAD = 0.5  # the first ping comes after (1 - this … 1) × ping_interval


class SocketQueue(queue.SimpleQueue):
    def task_done(self) -> None:
        """Nothing to count: ``join`` looks at the queue itself."""

    def join(self, timeout: float = JOIN_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not self.empty() and time.monotonic() < deadline:
            time.sleep(0.005)


def _send_ping(self):
    """``engineio.socket.Socket._send_ping``, with a shorter random wait the first time."""
    interval = self.server.ping_interval
    if not self.__dict__.get("_switchboard_pinged"):
        self._switchboard_pinged = True
        interval *= random.uniform(1 - FIRST_PING_SPREAD, 1)
    self.server.sleep(interval)
    if not self.closing and not self.closed:
        self.last_ping = time.time()
        self.send(engineio.packet.Packet(engineio.packet.PING))


def tune_connections(socketio) -> None:
    """Apply both adjustments to the Engine.IO server of ``socketio`` (threading mode)."""
    eio = socketio.server.eio
    if eio.async_mode != "threading":
        return
    eio._async = {**eio._async, "queue": SocketQueue, "queue_empty": queue.Empty}
    engineio.socket.Socket._send_ping = _send_ping
