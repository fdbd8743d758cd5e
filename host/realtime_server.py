"""Realtime processes: the agents' Socket.IO connections on gevent, a greenlet each.

``switchboard realtime`` runs one (``python -m host.realtime_server`` is the same):
gunicorn with one gevent worker — Flask-SocketIO's documented ``gunicorn -k gevent -w 1``,
websockets through simple-websocket — serving the app with ``async_mode="gevent"`` and
Redis as its message queue. An open connection costs a greenlet and a socket, not a
thread, so one process holds thousands (``--connections``, gunicorn's
``worker_connections``). It runs no outbox or inbox worker: events reach it through
Redis from the HTTP processes (``serve --production``) and ``switchboard worker``.

Why the app is safe here, under gevent's monkey patching:

* gunicorn's gevent worker patches the standard library (``patch_all``) right after the
  fork, before the app is imported; the ``realtime`` command starts this module in a
  fresh interpreter, and this module imports nothing of the app at the top, so no lock
  or socket of the app was made before the patch.
* psycopg 3 cooperates with gevent by itself once ``select`` is patched (documented,
  "Gevent support", from psycopg 3.1.14 on); redis-py and simple-websocket use the
  patched sockets; SQLAlchemy's pool and the access checks wait on patched locks.
* background work — the access checks (:mod:`host.realtime_access`), the Redis listener
  — runs through ``socketio.start_background_task``, a greenlet in this mode.
"""
from __future__ import annotations

import argparse
import logging

import gevent
from gunicorn.workers.ggevent import GeventWorker

from host import serving

log = logging.getLogger(__name__)
DEFAULT_CONNECTIONS = 10000
WORKER_CLASS = "host.realtime_server.RealtimeWorker"


class RealtimeWorker(GeventWorker):
    """gunicorn's gevent worker that closes its Socket.IO connections when told to stop.

    Open websockets never finish on their own, so the plain worker would wait the whole
    ``graceful_timeout`` on SIGTERM and then kill them. Closing them at once lets it exit
    within a second or two; agents' browsers reconnect through the load balancer to a
    realtime process that is up.
    """

    def handle_exit(self, sig, frame):
        super().handle_exit(sig, frame)
        gevent.spawn(close_connections, getattr(self, "wsgi", None))


def close_connections(app) -> None:
    socketio = getattr(app, "extensions", {}).get("socketio")
    if socketio is None:
        return
    try:
        socketio.server.eio.disconnect()  # every client of this process
    except Exception:  # shutting down regardless
        log.exception("closing Socket.IO connections at shutdown failed")


def realtime_app():
    """Create the app of a realtime process (in the worker, after gevent's patch)."""
    from host import create_app

    app = create_app({"SOCKETIO_ASYNC_MODE": "gevent"})
    if not app.config["SWITCHBOARD_REDIS_URL"]:
        raise RuntimeError("A realtime process needs SWITCHBOARD_REDIS_URL: events reach it through Redis.")
    serving.settle_garbage_collector()
    return app


def gunicorn_options(host: str, port: int, connections: int = DEFAULT_CONNECTIONS) -> dict:
    return {
        **serving.common_options(host, port),
        "worker_class": WORKER_CLASS,
        "worker_connections": connections,
    }


def run(host: str, port: int, connections: int = DEFAULT_CONNECTIONS) -> None:
    """Serve realtime connections until stopped (SIGTERM/SIGINT), in the foreground."""
    serving.serve(gunicorn_options(host, port, connections), realtime_app)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="switchboard realtime", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--connections", type=int, default=DEFAULT_CONNECTIONS)
    args = parser.parse_args(argv)
    run(args.host, args.port, args.connections)


if __name__ == "__main__":
    main()
