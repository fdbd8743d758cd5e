"""Production HTTP serving: gunicorn's threaded worker (``gthread``), a few threads.

``switchboard serve --production`` runs this; ``gunicorn … host.wsgi:app`` with the same
settings is equivalent. Realtime connections are not served here: ``switchboard
realtime`` processes hold the agents' websockets (:mod:`host.realtime_server`), and these
processes reach them by publishing to Redis (Flask-SocketIO's emit from an external
process). Why these settings:

* **gthread with a few threads** (``DEFAULT_THREADS``): every request here is short
  (a webhook's insert, an API call, a page), so a handful of threads keeps the process
  busy; more would only share one interpreter lock. ``/socket.io/`` is answered 404
  (:class:`RealtimeElsewhere`), so no thread is ever held by a connection that stays open.
* **one worker per process**, more processes to scale: each process has its own port,
  database pool and outbox thread; gunicorn's own workers would share nothing more.
* the app is created in the worker, after the fork, so database and Redis connections
  and the outbox thread belong to the process that uses them (never use ``--preload``).
* request bodies are read in full before the app runs (:class:`ReadBodyFirst`), and a
  body that arrives too slowly is cut off (``SWITCHBOARD_REQUEST_BODY_TIMEOUT``): a
  client that trickles a body holds one thread for a few seconds at most.

``GUNICORN_CMD_ARGS`` is honoured last, so any other gunicorn setting (access log,
TLS certificates, timeouts …) can be given there.
"""
from __future__ import annotations

import io
import json
import logging
import os
import shlex
import socket
import tempfile
import threading
import time
from contextlib import contextmanager

log = logging.getLogger(__name__)
DEFAULT_THREADS = 8
WORKER_CLASS = "gthread"


class RealtimeElsewhere:
    """WSGI middleware: an HTTP process takes no Socket.IO connections.

    They belong to the ``switchboard realtime`` processes (the load balancer sends
    ``/socket.io/`` there); one accepted here would hold a thread for as long as it is
    open and, since this process only publishes to Redis, never hear an event.
    """

    PREFIX = "/socket.io"
    MESSAGE = ("Realtime connections are served by the switchboard realtime processes: "
               "route /socket.io/ to them.")

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if not environ.get("PATH_INFO", "").startswith(self.PREFIX):
            return self.wsgi_app(environ, start_response)
        payload = json.dumps({"code": 404, "status": "Not Found", "message": self.MESSAGE}).encode()
        start_response("404 Not Found", [("Content-Type", "application/json"),
                                         ("Content-Length", str(len(payload)))])
        return [payload]


class BodyTooSlow(Exception):
    """The client did not send its request body within the deadline."""


class SlowBodyWatchdog:
    """Cuts off request bodies that stop arriving: one thread per process.

    A blocking ``read`` of gunicorn's ``wsgi.input`` keeps calling ``recv`` until it has
    what it asked for, so a socket timeout (which bounds each ``recv``) would let a
    client that sends a byte now and then hold the read for ever. Instead every body
    read is registered here with a deadline; the thread shuts down the reading side of
    a socket whose deadline passed (``socket.shutdown(SHUT_RD)``), which ends the
    blocked ``recv`` at once. The answer (408) can still be written.
    """

    TICK = 0.25  # seconds between checks: a cut-off comes at most this late

    def __init__(self, timeout: float):
        self.timeout = timeout
        self._lock = threading.Lock()
        self._watched: dict[int, _Watch] = {}
        self._thread: threading.Thread | None = None

    @contextmanager
    def watching(self, sock):
        """Watch one body read; ``entry.extend()`` after progress, ``entry.cut`` after."""
        entry = _Watch(self, sock)
        if sock is not None:
            self._start()
            with self._lock:
                self._watched[id(entry)] = entry
        try:
            yield entry
        finally:
            with self._lock:
                self._watched.pop(id(entry), None)

    def _start(self) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:  # started lazily: in the worker, after the fork
                    self._thread = threading.Thread(target=self._run, name="switchboard-slow-bodies", daemon=True)
                    self._thread.start()

    def _run(self) -> None:
        while True:
            time.sleep(self.TICK)
            now = time.monotonic()
            with self._lock:
                late = [entry for entry in self._watched.values() if entry.deadline <= now and not entry.cut]
                for entry in late:
                    entry.cut = True
            for entry in late:
                try:
                    entry.sock.shutdown(socket.SHUT_RD)
                except OSError:  # the client left meanwhile
                    pass


class _Watch:
    def __init__(self, watchdog: SlowBodyWatchdog, sock):
        self.watchdog, self.sock, self.cut = watchdog, sock, False
        self.deadline = time.monotonic() + watchdog.timeout

    def extend(self) -> None:
        self.deadline = time.monotonic() + self.watchdog.timeout


class ReadBodyFirst:
    """WSGI middleware: read the whole request body, against a deadline, before the app.

    gunicorn reads a body only as fast as the client sends it and sets no deadline, so a
    client that trickles its body would hold one of the process's few threads for as
    long as it likes. Read here, under :class:`SlowBodyWatchdog`, it holds the thread
    for a few seconds at most, and the app gets the body from memory (or a temporary
    file past 1 MiB).

    Each 64 KiB of a body (or the whole body, when smaller) must arrive within
    ``timeout`` seconds — at least ~6.5 KB/s with the default 10 s, which any real
    client manages — else the request is answered 408 and the connection closed.
    A body declared larger than ``max_bytes`` is not read: the app refuses it (413)
    from its ``Content-Length``. Requests without a body pass straight through.
    """

    CHUNK = 64 * 1024
    IN_MEMORY = 1024 * 1024

    def __init__(self, wsgi_app, max_bytes: int | None, timeout: float):
        self.wsgi_app, self.max_bytes = wsgi_app, max_bytes
        self.watchdog = SlowBodyWatchdog(timeout)

    def __call__(self, environ, start_response):
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if not chunked and length <= 0:
            return self.wsgi_app(environ, start_response)
        limit = self.max_bytes
        if not chunked and limit is not None and length > limit:
            return self.wsgi_app(environ, start_response)  # refused from its Content-Length, unread
        wanted = length if not chunked else (limit + 1 if limit is not None else None)
        try:
            body, size = self._read(environ, wanted)
        except BodyTooSlow:
            return self._too_slow(start_response)
        if not chunked and size < length:  # the client stopped sending
            return self._too_slow(start_response)
        environ["wsgi.input"] = body
        environ["CONTENT_LENGTH"] = str(size)
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        environ["wsgi.input_terminated"] = True
        return self.wsgi_app(environ, start_response)

    def _read(self, environ, wanted: int | None):
        stream = environ["wsgi.input"]
        small = wanted is not None and wanted <= self.IN_MEMORY
        body = io.BytesIO() if small else tempfile.SpooledTemporaryFile(max_size=self.IN_MEMORY)
        size = 0
        with self.watchdog.watching(environ.get("gunicorn.socket")) as watch:
            try:
                while wanted is None or size < wanted:
                    step = self.CHUNK if wanted is None else min(self.CHUNK, wanted - size)
                    chunk = stream.read(step)
                    if not chunk:
                        break
                    body.write(chunk)
                    size += len(chunk)
                    watch.extend()
            except Exception as exc:  # the server's reader gives up on a cut-off chunked body
                if not watch.cut:
                    raise
                raise BodyTooSlow() from exc
        if watch.cut:  # checked once unwatched: a cut-off can't happen after this
            raise BodyTooSlow()
        body.seek(0)
        return body, size

    def _too_slow(self, start_response):
        seconds = self.watchdog.timeout
        payload = json.dumps({"code": 408, "status": "Request Timeout", "message": (
            f"The request body arrived too slowly: each 64 KiB must arrive within {seconds:g} seconds.")}).encode()
        start_response("408 Request Timeout", [("Content-Type", "application/json"),
                                               ("Content-Length", str(len(payload))), ("Connection", "close")])
        return [payload]


def production_app(outbox: bool | None = None, config: dict | None = None):
    """Create the app of an HTTP process and start its outbox worker (unless switched off);
    ``config``: more settings for ``create_app`` (the webhook benchmark's)."""
    from host import create_app

    app = create_app({**(config or {}), "SOCKETIO_EMIT_ONLY": True})
    app.wsgi_app = RealtimeElsewhere(ReadBodyFirst(app.wsgi_app, app.config["MAX_CONTENT_LENGTH"],
                                                   app.config["SWITCHBOARD_REQUEST_BODY_TIMEOUT"]))
    if app.config["SWITCHBOARD_OUTBOX_WORKER"] if outbox is None else outbox:
        app.extensions["switchboard"].outbox.start(app.extensions["socketio"].start_background_task)
    settle_garbage_collector()
    return app


def settle_garbage_collector() -> None:
    """Keep what startup built (modules, the app, SQLAlchemy's metadata) out of the
    collector's full passes: they hold the interpreter lock for every thread, and on a
    busy server they walked all of it — 100–200 ms pauses every few seconds."""
    import gc

    gc.collect()
    gc.freeze()


def gunicorn_options(host: str, port: int, threads: int = DEFAULT_THREADS) -> dict:
    return {
        **common_options(host, port),
        "worker_class": WORKER_CLASS,
        "threads": threads,
    }


def common_options(host: str, port: int) -> dict:
    """What HTTP and realtime processes share: one worker, the app made after the fork."""
    return {
        "bind": f"{host}:{port}",
        "workers": 1,
        "graceful_timeout": 10,
        "keepalive": 5,
        "errorlog": "-",
        "accesslog": None,
        "preload_app": False,
        # gunicorn ≥ 25 opens a control socket at one fixed path per user: two
        # processes on one host would fight over it, and we don't use it.
        "control_socket_disable": True,
    }


def run(host: str, port: int, threads: int = DEFAULT_THREADS, outbox: bool | None = None) -> None:
    """Serve HTTP until stopped (SIGTERM/SIGINT), in the foreground."""
    serve(gunicorn_options(host, port, threads), lambda: production_app(outbox))


def serve(options: dict, load) -> None:
    """Run gunicorn with ``options``, then ``GUNICORN_CMD_ARGS``; ``load()`` makes the app."""
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self):
            for key, value in options.items():
                if key in self.cfg.settings:  # older gunicorn lacks some settings
                    self.cfg.set(key, value)
            env_args = shlex.split(os.environ.get("GUNICORN_CMD_ARGS", ""))
            if env_args:
                parsed = self.cfg.parser().parse_args(env_args)
                for key, value in vars(parsed).items():
                    if value is not None and key in self.cfg.settings:
                        self.cfg.set(key.lower(), value)

        def load(self):
            return load()

    Server().run()
