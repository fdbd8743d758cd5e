"""Socket.IO's Redis message queue, publishing from a background thread.

python-socketio's ``RedisManager`` delivers an event to this process's own clients and
then publishes it for the other processes, in the emitting thread: every webhook
waited for Redis's reply before it could answer (and, with Redis unreachable, for the
connection attempts). Here the publish is handed to one thread per process, which
keeps the emit order and sends whatever has queued up meanwhile in one round trip
(a pipeline). Events are best effort either way: a console that misses one catches up
when it reconnects; what the queue holds when the process stops is dropped.

Every process also hears its own publishes on the shared channel. python-socketio
decodes each message before it sees whose it is (after trying ``pickle`` on it);
here each message starts with the publishing process's id (``from_host``), so a
process recognises its own by the first bytes and decodes only the others' (once, as
JSON). Its own are of no use to it: python-socketio ignores them too (its ``host_id``
names the process a message is for, which for a callback is not the publisher).
"""
from __future__ import annotations

import logging
import queue
import threading

import socketio

log = logging.getLogger(__name__)
BATCH = 200  # messages per pipeline, at most


class QueuedRedisManager(socketio.RedisManager):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._outgoing: queue.SimpleQueue = queue.SimpleQueue()
        self._publisher: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._client = None  # the publisher's own connection (the listener's is left alone)
        # What our own messages start with: the first key/value of _encode's output
        # (None if this JSON module reorders keys: then every message is decoded).
        prefix = self.json.dumps({"from_host": self.host_id})[:-1]
        self._own_prefix = prefix.encode() if self._encode({"method": "emit"}).startswith(prefix) else None

    def _encode(self, data) -> str:
        return self.json.dumps({"from_host": self.host_id, **data})

    def _listen(self):
        channel = self.channel.encode()
        for message in self._redis_listen_with_retries():
            if message["channel"] != channel or message["type"] != "message" or "data" not in message:
                continue
            payload = message["data"]
            if self._own_prefix and isinstance(payload, bytes) and payload.startswith(self._own_prefix):
                continue  # ours: this process's clients got it when it was emitted
            try:
                data = self.json.loads(payload)
            except ValueError:
                log.warning("ignored a realtime message that is not JSON (%d bytes)", len(payload))
                continue
            if isinstance(data, dict):
                data.pop("from_host", None)
                yield data

    def _publish(self, data):
        if "sentinel" in self.redis_url.split("://", 1)[0]:
            return super()._publish(data)  # Sentinel discovery stays with python-socketio
        if self._publisher is None:
            with self._start_lock:
                if self._publisher is None:
                    self._publisher = threading.Thread(target=self._publish_forever, daemon=True,
                                                       name="switchboard-redis-publisher")
                    self._publisher.start()
        self._outgoing.put(data)

    def _publish_forever(self):
        while True:
            batch = [self._outgoing.get()]
            while len(batch) < BATCH:
                try:
                    batch.append(self._outgoing.get_nowait())
                except queue.Empty:
                    break
            try:
                self._publish_batch(batch)
            except Exception:  # never let one bad batch stop the publisher
                log.exception("publishing %d realtime event(s) failed", len(batch))

    def _publish_batch(self, batch) -> None:
        for attempt in (1, 2):
            try:
                if self._client is None:
                    self._client = self._get_redis_module().Redis.from_url(
                        self.redis_url, **{"socket_timeout": 5, "socket_connect_timeout": 5, **self.redis_options})
                pipe = self._client.pipeline(transaction=False)
                for data in batch:
                    pipe.publish(self.channel, self._encode(data))
                pipe.execute()
                return
            except Exception as exc:  # Redis down: this process's own clients already have them
                if attempt == 2:
                    dropped = len(batch) + self._drop_queued()
                    log.error("could not publish %d realtime event(s) to Redis (%s): agents connected to "
                              "other processes miss them", dropped, type(exc).__name__)

    def _drop_queued(self) -> int:
        """While Redis is unreachable, what queued up meanwhile is stale: don't pile it up."""
        dropped = 0
        while True:
            try:
                self._outgoing.get_nowait()
            except queue.Empty:
                return dropped
            dropped += 1
