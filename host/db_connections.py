"""Database server connections that survive restarts without a round trip per request.

SQLAlchemy's ``pool_pre_ping`` asks the server ``SELECT 1`` on every checkout: safe, but
under load that is one more round trip and ~5 % of a process's CPU per webhook. Here
only a connection that sat unused in the pool for ``IDLE_PING_SECONDS`` is pinged
(a database restart, a failover or a firewall that cuts idle TCP connections all show
up there); the pool hands out the most recently used connection first, so a busy
process keeps using warm connections and never pings. A connection that dies while
in use (the server restarts mid-burst) fails that statement; SQLAlchemy then discards
every connection opened before the failure, and :func:`retry_on_disconnect` lets a
caller run its transaction once more on a fresh one.
"""
from __future__ import annotations

import functools
import logging
import time

from sqlalchemy import event
from sqlalchemy.exc import DBAPIError, DisconnectionError

from host.extensions import db

log = logging.getLogger(__name__)
IDLE_PING_SECONDS = 1.0
_IDLE_SINCE = "switchboard.idle_since"


def watch(engine) -> None:
    """Ping ``engine``'s pooled connections that sat idle (``create_app`` calls it for the
    app's engines; idempotent)."""
    for name, listener in (("checkin", _checked_in), ("checkout", _checked_out)):
        if not event.contains(engine, name, listener):
            event.listen(engine, name, listener)


def _checked_in(dbapi_connection, record):
    if dbapi_connection is not None:
        record.info[_IDLE_SINCE] = time.monotonic()


def _checked_out(dbapi_connection, record, proxy):
    since = record.info.pop(_IDLE_SINCE, None)
    if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
        return
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        return  # a file, not a server
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        dbapi_connection.rollback()
    except Exception as error:  # the pool retries with a new connection
        log.info("a pooled database connection was dead (%s); reconnecting", type(error).__name__)
        raise DisconnectionError() from error


def retry_on_disconnect(function):
    """Run ``function`` once more if its database connection died under it.

    Only for work that is safe to repeat from the start (it rolls back, then runs
    again): e.g. storing an inbound message, which a repeat finds already stored.
    """
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        staged = list(db.session.new)  # rows the caller added for this transaction (MMS media…)
        try:
            return function(*args, **kwargs)
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
            log.warning("the database connection was lost during %s; trying once more", function.__name__)
            db.session.rollback()  # expunges what was staged: stage it again
            db.session.add_all(staged)
            return function(*args, **kwargs)

    return wrapper
