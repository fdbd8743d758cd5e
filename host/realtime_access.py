"""Open Socket.IO connections follow access changes; each process re-checks its own.

A connection is authenticated once, when it opens. Every
``SWITCHBOARD_ACCESS_CHECK_SECONDS`` (1 s) a background task compares what each of this
process's connections holds with what the database says now:

* the agent was deactivated, the sign-in behind the connection ended (signed out, a
  new password, idle too long) or its API token was revoked or expired: the connection
  gets ``session:ended`` with a sentence saying why, and is disconnected;
* otherwise it gets exactly the rooms the connect rule (``rooms_for``) and the
  ``chat:join`` rule (``host.access.visible_chat``) give the agent now: a group the agent left (or
  a chat that moved to another group) stops reaching it, a group the agent joined — for
  an admin, a new group — starts to. The connection then gets ``access:changed`` so the
  console reloads its lists;
* and plugins switched on or off since the last pass are announced (``host.plugin_watch``).

Only the database is asked, so a change made anywhere — the admin pages, the API, the
``switchboard`` command in another process, with or without Redis — reaches every
process within a check and no message can be lost on the way. The task runs while the
process has connections. A check is at most five small indexed queries read as plain
rows, however many agents are connected, the connections' ids passed on PostgreSQL as
one array parameter (about 2 ms of CPU for 200 connections and 6 ms for 1000 on a busy
2-core machine, against 5 and 14 with ``IN`` lists); the rules themselves run only for
what changed.
Rooms are changed only through python-socketio's public ``enter_room``/``leave_room``/
``disconnect``.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import lazy_gettext
from sqlalchemy import any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY

from host import i18n, plugin_watch
from host.extensions import db

log = logging.getLogger(__name__)

# Why a connection was closed: a code for programs, a sentence (in the agent's own
# language, chosen when it is sent) for people.
ENDED_SENTENCES = {
    "deactivated": lazy_gettext("Your account was deactivated. Ask an admin if you need access again."),
    "signed_out": lazy_gettext("You were signed out: this sign-in ended (signed out elsewhere, or the "
                               "password was changed). Sign in again to continue."),
    "token_ended": lazy_gettext("This API token was revoked or has expired."),
}


@dataclass
class Connection:
    """What one Socket.IO connection of this process was given."""

    agent_id: int
    session_id: int | None = None   # the sign-in (cookie) it was opened with
    token_id: int | None = None     # or the API token
    rooms: set[str] = field(default_factory=set)   # rooms from ``rooms_for``
    chats: set[int] = field(default_factory=set)   # chat rooms joined with ``chat:join``
    checked: bool = False           # rooms compared with the database at least once


def connections(app=None) -> dict[str, Connection]:
    """This process's connections by Socket.IO sid."""
    return (app or current_app).extensions.setdefault("switchboard.connections", {})


def opened(sid: str, agent, rooms) -> Connection:
    """Record a connection that was just accepted (and joined ``rooms``) and make sure
    the checks run."""
    from host.models import AgentSession, ApiToken

    credential = getattr(agent, "credential", None)
    connection = Connection(agent.id, rooms=set(rooms),
                            session_id=credential.id if isinstance(credential, AgentSession) else None,
                            token_id=credential.id if isinstance(credential, ApiToken) else None)
    connections()[sid] = connection
    plugin_watch.remember(current_app._get_current_object())
    _keep_checking(current_app._get_current_object())
    return connection


def check(app) -> None:
    """One pass over this process's connections (the background task calls it).

    What decides an agent's rooms (``rooms_for``: active, role, groups and, for admins,
    every group) and a chat room (``visible_chat``: the chat's group and assignee) is
    read as plain rows and remembered; agents and chats whose rows changed since the last
    pass, and connections never checked, are then re-evaluated with the rules themselves.
    """
    from host.credentials import IDLE_LIMIT
    from host.models import Agent, AgentSession, ApiToken, Chat, Group, agent_groups, utcnow

    snapshot = list(connections(app).items())
    if not snapshot:
        return
    now = utcnow()
    seen = app.extensions.setdefault("switchboard.access_seen", {"agents": {}, "chats": {}})

    access: dict[int, tuple] = {}
    for agent_id, active, role, group_id in db.session.execute(
            db.select(Agent.id, Agent.is_active_agent, Agent.role, agent_groups.c.group_id)
            .outerjoin(agent_groups, agent_groups.c.agent_id == Agent.id)
            .where(_among(Agent.id, {c.agent_id for _, c in snapshot}))):
        _, _, groups = access.setdefault(agent_id, (active, role, set()))
        if group_id is not None:
            groups.add(group_id)
    every_group = frozenset(db.session.execute(db.select(Group.id)).scalars()) \
        if any(role == "admin" for _, role, _ in access.values()) else None
    agents_now = {agent_id: (active, role, frozenset(groups), every_group if role == "admin" else None)
                  for agent_id, (active, role, groups) in access.items()}

    session_ids = {c.session_id for _, c in snapshot if c.session_id}
    live_sessions = set(db.session.execute(db.select(AgentSession.id).where(
        _among(AgentSession.id, session_ids), AgentSession.last_seen_at >= now - IDLE_LIMIT)).scalars()) \
        if session_ids else set()
    token_ids = {c.token_id for _, c in snapshot if c.token_id}
    live_tokens = set(db.session.execute(db.select(ApiToken.id).where(
        _among(ApiToken.id, token_ids), ApiToken.revoked_at.is_(None),
        db.or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now))).scalars()) if token_ids else set()
    chat_ids = set().union(*(c.chats for _, c in snapshot))
    chats_now = {row.id: (row.group_id, row.agent_id) for row in db.session.execute(
        db.select(Chat.id, Chat.group_id, Chat.agent_id).where(_among(Chat.id, chat_ids)))} if chat_ids else {}

    changed_agents = {a for a, state in agents_now.items() if seen["agents"].get(a) != state}
    changed_chats = {c for c in chat_ids if c not in chats_now or seen["chats"].get(c) != chats_now[c]}
    server = app.extensions["socketio"].server
    for sid, connection in snapshot:
        try:
            state = agents_now.get(connection.agent_id)
            reason = _ended(connection, state, live_sessions, live_tokens)
            if reason:
                log.info("closing a realtime connection of agent %s: %s", connection.agent_id, reason)
                server.emit("session:ended", {"reason": reason, "message": _ended_sentence(reason, connection)},
                            to=sid, ignore_queue=True)
                server.disconnect(sid)
                connections(app).pop(sid, None)
            elif not connection.checked or connection.agent_id in changed_agents or connection.chats & changed_chats:
                agent = db.session.get(Agent, connection.agent_id)
                if _follow(server, sid, connection, agent):
                    server.emit("access:changed", {}, to=sid, ignore_queue=True)
                connection.checked = True
        except Exception:  # one connection going away meanwhile must not stop the others' checks
            log.exception("checking the realtime connection %s failed", sid)
            connection.checked = False
    seen["agents"], seen["chats"] = agents_now, chats_now


def _among(column, ids: set[int]):
    """``column IN ids``; on PostgreSQL ``column = ANY(:ids)``, one array parameter.

    The ids are every connection's, and a pass runs every second: an ``IN`` list is rendered
    with one parameter per id each time (by SQLAlchemy, then again by psycopg, which caches
    no statement that long), about half of a pass's CPU. One array parameter keeps the
    statement the same whatever the ids, so it is compiled once and prepared by psycopg.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, sorted(ids), type_=ARRAY(column.type)))
    return column.in_(ids)


def _ended(connection: Connection, state, live_sessions: set, live_tokens: set) -> str | None:
    if state is None or not state[0]:
        return "deactivated"
    if connection.session_id and connection.session_id not in live_sessions:
        return "signed_out"
    if connection.token_id and connection.token_id not in live_tokens:
        return "token_ended"
    return None


def _ended_sentence(reason: str, connection: Connection) -> str:
    """The closing sentence in the agent's language (read only now: closings are rare)."""
    from host.models import Agent

    with i18n.speaking(db.session.get(Agent, connection.agent_id)):
        return str(ENDED_SENTENCES[reason])


def _follow(server, sid: str, connection: Connection, agent) -> bool:
    """Move the connection into exactly the rooms the rules give it; whether any moved."""
    from host.access import visible_chat
    from host.realtime import rooms_for

    wanted = set(rooms_for(agent))
    changed = False
    for room in connection.rooms - wanted:
        server.leave_room(sid, room)
        changed = True
    for room in wanted - connection.rooms:
        server.enter_room(sid, room)
        changed = True
    connection.rooms = wanted
    for chat_id in list(connection.chats):
        if visible_chat(agent, chat_id) is None:
            server.leave_room(sid, f"chat:{chat_id}")
            connection.chats.discard(chat_id)
            changed = True
    return changed


# --- the background task ---------------------------------------------------------------

def _keep_checking(app) -> None:
    """Start the checks for this process unless they run (or are switched off)."""
    interval = app.config["SWITCHBOARD_ACCESS_CHECK_SECONDS"]
    if interval <= 0:
        return
    state = app.extensions.setdefault("switchboard.access_checks", {"lock": threading.Lock(), "running": False})
    with state["lock"]:
        if state["running"]:
            return
        state["running"] = True
    app.extensions["socketio"].start_background_task(_check_while_connected, app, interval, state)


def _check_while_connected(app, interval: float, state: dict) -> None:
    socketio = app.extensions["socketio"]
    failing = False
    while True:
        socketio.sleep(interval)
        with state["lock"]:
            if not connections(app):  # a connection opened after this starts the task again
                state["running"] = False
                return
        try:
            with app.app_context():
                check(app)
                plugin_watch.check(app, list(connections(app)))
            failing = False
        except Exception as exc:  # the database is away: try again next time, say so once
            if not failing:
                log.exception("checking realtime connections against the database failed; retrying")
            else:
                log.debug("checking realtime connections still fails: %s", type(exc).__name__)
            failing = True
