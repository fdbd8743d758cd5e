"""Database listeners, registered per app by ``create_app`` — none by importing a module.

* On the app's own engines (:func:`install`): SQLite's pragmas on every new connection,
  the idle ping of pooled server connections (:mod:`host.db_connections`) and SQLite's
  one writer at a time (:mod:`host.sqlite_writes`). Another app's engines, and engines
  made outside an app, get none of them.
* On the session: SQLAlchemy's session events belong to the session class that every app
  shares (Flask-SQLAlchemy's one ``db``), so one dispatcher per event is attached to it
  once, and hands each event to the listeners *the current app* registered: the host's
  own (notifications after commit, the settings cache) and those plugins return from
  ``register_session_listeners``, which run only while their plugin is enabled.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.engine import Engine

from host.extensions import db

log = logging.getLogger(__name__)

SESSION_EVENTS = ("before_flush", "after_flush", "after_commit", "after_soft_rollback")
_KEY = "switchboard.session_listeners"

Listener = tuple[str | None, Callable[..., Any]]  # (owning plugin or None for the host, handler)


# --- engines ------------------------------------------------------------------------------

def sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def watch_engine(engine: Engine) -> None:
    """Everything the host asks of a connection of ``engine`` (idempotent)."""
    from host import db_connections, sqlite_writes

    if not event.contains(engine, "connect", sqlite_pragmas):
        event.listen(engine, "connect", sqlite_pragmas)
    db_connections.watch(engine)
    sqlite_writes.watch(engine)


# --- the session ----------------------------------------------------------------------------

def listen(app: Flask, name: str, handler: Callable[..., Any], owner: str | None = None) -> None:
    """Call ``handler`` on session event ``name`` in this app (while ``owner`` is enabled)."""
    if name not in SESSION_EVENTS:
        raise ValueError(f"unknown session event {name!r}; one of {', '.join(SESSION_EVENTS)}")
    app.extensions.setdefault(_KEY, {}).setdefault(name, []).append((owner, handler))


def _listeners(name: str) -> list[Listener]:
    if not has_app_context():
        return []
    registered: dict[str, list[Listener]] = current_app.extensions.get(_KEY, {})
    return registered.get(name, [])


def _dispatcher(name: str) -> Callable[..., None]:
    def dispatch(*args: Any) -> None:
        listeners = _listeners(name)
        if not listeners:
            return
        disabled: frozenset[str] = frozenset()
        if any(owner is not None for owner, _ in listeners):
            disabled = current_app.extensions["switchboard"].plugins.disabled()
        for owner, handler in listeners:
            if owner is None or owner not in disabled:
                handler(*args)

    dispatch.__name__ = f"dispatch_{name}"
    return dispatch


_DISPATCHERS = {name: _dispatcher(name) for name in SESSION_EVENTS}


def install(app: Flask) -> None:
    """Attach this app's listeners: its engines now, the session's dispatchers once."""
    with app.app_context():
        for engine in db.engines.values():
            watch_engine(engine)
    for name, dispatch in _DISPATCHERS.items():
        if not event.contains(db.session, name, dispatch):
            event.listen(db.session, name, dispatch)
