"""Socket.IO: one server per app, authenticated connections, room membership by access.

With ``SWITCHBOARD_REDIS_URL`` set, Socket.IO uses Redis as its message queue
(Flask-SocketIO's ``message_queue``: python-socketio's own ``RedisManager``) so events
emitted by any process — a serving process or a ``switchboard worker`` — reach agents
connected to any other. Events are emitted by the inbox and outbox workers, off the
webhooks' request path, so a publish that waits for Redis delays no answer. Open connections follow later
changes of the agent's access (:mod:`host.realtime_access`).
"""
from __future__ import annotations

import functools
import logging
import threading

import socketio
from flask import current_app, g, request
from flask_babel import gettext
from flask_login import current_user
from flask_socketio import SocketIO, join_room, leave_room

from host import access, i18n, realtime_access
from host.access import about
from host.extensions import db

log = logging.getLogger(__name__)


def init_realtime(app) -> SocketIO:
    """The app's Socket.IO server, as this process's role asks (see :mod:`host.realtime_server`).

    * default (``make run``, ``switchboard serve``, the other commands): ``threading``,
      serving connections itself, through Redis when ``SWITCHBOARD_REDIS_URL`` is set;
    * ``switchboard realtime``: ``gevent`` (``SOCKETIO_ASYNC_MODE``), a greenlet per
      connection instead of a thread;
    * ``serve --production`` (``SOCKETIO_EMIT_ONLY``): publishes to Redis and never
      listens — Flask-SocketIO's emit from an external process — since its HTTP workers
      take no connections.
    """
    redis_url = app.config.get("SWITCHBOARD_REDIS_URL")
    channel = app.config.get("SWITCHBOARD_REDIS_CHANNEL") or "flask-socketio"
    queue: dict = {}
    if redis_url and app.config["SWITCHBOARD_SOCKETIO_EMIT_ONLY"]:
        queue = {"client_manager": socketio.RedisManager(redis_url, channel=channel, write_only=True)}
    elif redis_url:
        queue = {"message_queue": redis_url, "channel": channel}
    server = SocketIO(
        app,
        async_mode=app.config["SWITCHBOARD_SOCKETIO_ASYNC_MODE"],
        cors_allowed_origins=lambda origin, environ: allowed_origin(app, origin, environ),
        logger=False,
        engineio_logger=False,
        **queue,
    )
    app.extensions["switchboard.connect_turns"] = _connect_turns(app)
    app.wsgi_app = WithoutWebsocketCompression(app.wsgi_app)  # outside Socket.IO's own middleware
    _register_core_handlers(server)
    return server


class WithoutWebsocketCompression:
    """WSGI middleware: Socket.IO websockets are opened without ``permessage-deflate``.

    Browsers offer the extension on every websocket and simple-websocket (the server side
    under Flask-SocketIO, in every mode) takes up any offer, with no option to decline. A
    deflated connection compresses each event on its own (zlib keeps a context per
    connection), so an event to a group of ten is compressed ten times: about 0.02 ms of
    CPU more per delivery (+35 %) and some 280 KB more memory per console (zlib's window
    and hash tables), for a few hundred bytes of JSON saved. Socket.IO's reference server
    (Node's ``ws``) leaves the extension off by default for the same reasons. The offer is
    taken out of the upgrade request before the websocket server reads it, so the
    handshake answers without the extension and the browser sends and receives plain frames.
    """

    HEADER = "HTTP_SEC_WEBSOCKET_EXTENSIONS"

    def __init__(self, wsgi_app, path: str = "/socket.io/"):
        self.wsgi_app = wsgi_app
        self.path = path

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO", "").startswith(self.path):
            environ.pop(self.HEADER, None)
        return self.wsgi_app(environ, start_response)


def _connect_turns(app) -> threading.BoundedSemaphore:
    """How many connections may run the connect handler at once: half the database pool.

    Accepting a connection can take two database connections at once (the session's, and
    a short one of its own where ``host.credentials`` records a sign-in's or token's use).
    When every console reconnects at once (a restart), a realtime process runs hundreds of
    connect handlers side by side: each would hold one pooled connection and wait for a
    second until the pool gave up. With at most half the pool's connections connecting,
    every one of them can finish; the rest wait their turn (in gevent, a greenlet each).
    """
    options = app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {}
    connections = options.get("pool_size", 5) + options.get("max_overflow", 10)
    return threading.BoundedSemaphore(max(1, connections // 2))


def allowed_origin(app, origin: str | None, environ: dict) -> bool:
    """Browsers may connect from the page's own origin or the configured public URL."""
    if not origin:
        return True  # not a browser (server-side clients send no Origin)
    same = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}"
    return origin in (same, app.config["SWITCHBOARD_PUBLIC_URL"])


def push(event: str, data, rooms) -> None:
    """Send ``event`` to the given rooms (each connection receives it once)."""
    socketio = current_app.extensions["socketio"]
    socketio.emit(event, data, to=list(rooms))


def current_agent():
    """The agent behind this connection: session cookie, or an API token in ``auth``."""
    if current_user and current_user.is_authenticated:
        return current_user._get_current_object()
    return getattr(request, "switchboard_agent", None)


def _token_agent(auth):
    from host.auth import agent_for_token

    if isinstance(auth, dict) and auth.get("token"):
        return agent_for_token(auth["token"])
    return None


def rooms_for(agent) -> list[str]:
    from host.models import Group

    rooms = [f"agent:{agent.id}", "ungrouped", "customers"]
    if agent.is_admin:
        group_ids = db.session.execute(db.select(Group.id)).scalars().all()
    else:
        group_ids = sorted(agent.group_ids())
    rooms.extend(f"group:{gid}" for gid in group_ids)
    return rooms


def _register_core_handlers(socketio: SocketIO) -> None:
    @socketio.on("connect")
    def connect(auth=None):
        with current_app.extensions["switchboard.connect_turns"]:
            return _accept(auth)

    def _accept(auth):
        # As for HTTP requests (host.app): an app context that outlives one request must
        # not hand this connection the agent an earlier request signed in with.
        g.pop("_login_user", None)
        agent = current_agent() if current_user.is_authenticated else _token_agent(auth)
        if agent is None:
            db.session.rollback()  # its pooled connection goes back before the next turn starts
            return False  # refused: the client sees a connect_error
        request.switchboard_agent = agent
        rooms = rooms_for(agent)
        for room in rooms:
            join_room(room)
        realtime_access.opened(request.sid, agent, rooms)
        from host.presence import touch
        touch(agent)  # commits: the pooled connection goes back before the next turn starts
        return True

    @socketio.on("presence:ping")
    @about(access.AGENT, reason="the agent's own presence")
    def presence_ping(*_args):
        from host.presence import touch

        agent = connection_agent()
        if agent is not None:
            touch(agent)
        return {"ok": agent is not None}

    @socketio.on("disconnect")
    def disconnect(*_args):
        realtime_access.connections().pop(request.sid, None)

    @socketio.on("chat:join")
    @about(access.CHAT, "json:chat_id")
    def chat_join(data):
        agent = connection_agent()
        chat = access.visible_chat(agent, data.get("chat_id")) if isinstance(data, dict) else None
        if chat is None:
            with i18n.speaking(agent):
                return {"ok": False, "error": gettext("You don't have access to this chat.")}
        join_room(f"chat:{chat.id}")
        _connection().chats.add(chat.id)
        return {"ok": True}

    @socketio.on("chat:leave")
    @about(access.AGENT, reason="leaving a room shows nothing")
    def chat_leave(data):
        if isinstance(data, dict) and str(data.get("chat_id", "")).isdigit():
            leave_room(f"chat:{int(data['chat_id'])}")
            _connection().chats.discard(int(data["chat_id"]))
        return {"ok": True}


def _connection() -> realtime_access.Connection:
    return realtime_access.connections().get(request.sid) or realtime_access.Connection(agent_id=0)


def connection_agent():
    """The agent of the current Socket.IO connection (set at connect), while active."""
    from host.models import Agent

    connection = realtime_access.connections().get(request.sid)
    agent = db.session.get(Agent, connection.agent_id) if connection else None
    return agent if agent is not None and agent.is_active else None


def mount_plugin_handlers(socketio: SocketIO, plugins, registrations) -> None:
    """Register plugin Socket.IO handlers, guarded by auth and the plugin's enabled flag."""
    seen = set()
    for plugin_name, events in registrations:
        for name, handler in events.handlers.items():
            key = (events.namespace, name)
            if key in seen:
                raise RuntimeError(f"Socket.IO event {name!r} is registered twice")
            seen.add(key)
            socketio.on_event(name, _guard(plugins, plugin_name, handler), namespace=events.namespace)


def _guard(plugins, plugin_name, handler):
    @functools.wraps(handler)
    def guarded(data=None):
        agent = connection_agent()
        # the handler's answers are for this connection's agent, in their language
        with i18n.speaking(agent):
            if not plugins.is_enabled(plugin_name):
                return {"ok": False, "error": gettext("This feature is switched off.")}
            if agent is None:
                return {"ok": False, "error": gettext("Please sign in again.")}
            return handler(agent, data)

    return guarded
