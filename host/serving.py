"""Production serving: gunicorn's threaded worker (``gthread``), one worker per process.

``switchboard serve --production`` runs this; ``gunicorn … host.wsgi:app`` with the same
settings is equivalent. Why these settings:

* **gthread** (:class:`SocketIOThreadWorker`, which closes websockets on SIGTERM so a
  restart takes a moment, not ``graceful_timeout``): Flask-SocketIO's ``threading`` mode with simple-websocket works under it
  (the websocket takes over ``gunicorn.socket``). Every connected websocket keeps one
  pool thread for as long as it is open, so ``threads`` must cover the agents connected
  to this process plus the concurrent HTTP requests (webhooks, API, long-polls); when
  the pool is full, new requests wait for a free thread.
* **one worker**: Socket.IO sessions live in the memory of the process that accepted
  them, and gunicorn spreads connections over its workers without stickiness, so the
  long-polling transport would break with several. Scale out with more processes (each
  on its own port, behind a load balancer with sticky sessions) on Redis instead.
* the app is created in the worker, after the fork, so database and Redis connections
  and the outbox thread belong to the process that uses them (never use ``--preload``).

``GUNICORN_CMD_ARGS`` is honoured last, so any other gunicorn setting (access log,
TLS certificates, timeouts …) can be given there.
"""
from __future__ import annotations

import logging
import os
import shlex
import threading

from gunicorn.workers.gthread import ThreadWorker

log = logging.getLogger(__name__)
DEFAULT_THREADS = 200
WORKER_CLASS = "host.serving.SocketIOThreadWorker"


class SocketIOThreadWorker(ThreadWorker):
    """gthread that closes its Socket.IO connections when told to stop.

    A websocket holds its pool thread until the client leaves, so plain gthread would
    wait the whole ``graceful_timeout`` on SIGTERM and then be killed. Disconnecting
    everyone at once lets the worker finish the requests in flight and exit; agents'
    browsers reconnect (through the load balancer, to a process that is up). The
    outbox worker stops claiming rows too.
    """

    def handle_exit(self, sig, frame):
        super().handle_exit(sig, frame)
        threading.Thread(target=self._close_realtime, name="switchboard-shutdown", daemon=True).start()

    def _close_realtime(self):
        app = getattr(self, "wsgi", None)
        extensions = getattr(app, "extensions", {})
        try:
            if "switchboard" in extensions:
                extensions["switchboard"].outbox.stop()
            if "socketio" in extensions:
                extensions["socketio"].server.eio.disconnect()
        except Exception:  # shutting down regardless
            log.exception("closing Socket.IO connections at shutdown failed")


class RequestLimit:
    """WSGI middleware: at most ``limit`` HTTP requests run the app at once; others wait.

    Python threads share one interpreter lock, so a process that works on dozens of
    requests at once spends its CPU handing that lock around, not serving: the load
    benchmark offered 300 webhooks/s on 2 cores stored ~285/s at 4.3 ms of CPU each with
    2 at a time per process, ~230/s at 5.1 ms with 4 and ~180/s at 6.3 ms with 16.
    Waiting requests sleep on the semaphore (in their gunicorn thread) and go in arrival
    order. Socket.IO's requests (websockets, long-polls) live long and are not counted.
    The price: a request that waits on something slow (an external API) holds its turn
    meanwhile.
    """

    def __init__(self, wsgi_app, limit: int, exempt: str = "/socket.io"):
        self.wsgi_app, self.limit, self.exempt = wsgi_app, limit, exempt
        self.gate = threading.Semaphore(limit)

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith(self.exempt):
            return self.wsgi_app(environ, start_response)
        with self.gate:
            return self.wsgi_app(environ, start_response)


def production_app(outbox: bool | None = None):
    """Create the app in this process and start its outbox worker (unless switched off)."""
    from host import create_app

    app = create_app()
    if app.config["SWITCHBOARD_MAX_ACTIVE_REQUESTS"] > 0:
        app.wsgi_app = RequestLimit(app.wsgi_app, app.config["SWITCHBOARD_MAX_ACTIVE_REQUESTS"])
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
        "bind": f"{host}:{port}",
        "worker_class": WORKER_CLASS,
        "workers": 1,
        "threads": threads,
        # Websockets never finish on their own: don't wait long for them on a restart
        # (browsers reconnect, to this process once it is back or to another one).
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
    """Serve until stopped (SIGTERM/SIGINT), in the foreground."""
    from gunicorn.app.base import BaseApplication

    options = gunicorn_options(host, port, threads)

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
            return production_app(outbox)

    Server().run()
