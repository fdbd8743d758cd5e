"""One writer at a time per process on SQLite, queued in Python.

SQLite lets one connection write at a time. A second writer gets ``SQLITE_BUSY`` and
its busy handler sleeps and retries on a fixed ladder (1, 2, 5, 10 … 100 ms), so under a
burst of webhooks a writer often sleeps far longer than the lock was held: the
embedded server measured p99 latencies of 140–240 ms at saturation that way. Here a
connection takes a process-wide lock before its first INSERT/UPDATE/DELETE (when
SQLite would take its write lock) and gives it back when the connection returns to the
pool (a session's commit or rollback does that), so writers wait their turn and wake
the moment it is theirs.

There is one turn per database file; other processes on the same file still meet
SQLite's own lock, the rare case (``switchboard worker`` beside ``serve``). A writer
that waits longer than the database's busy timeout gets the same "database is locked"
error SQLite would give.
"""
from __future__ import annotations

import threading

from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import scoped_session

WAIT_SECONDS = 30.0  # as long as SQLite's own busy timeout (host.config)
_HOLDS = "switchboard.sqlite_writer"
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
# Not re-entrant, and released by whichever thread returns the connection. A thread
# that writes on a second connection while its first holds the lock waits, exactly as
# SQLite would make it wait for its own write lock.
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def lock_for(database: str | None) -> threading.Lock:
    """The writer turn of one database file."""
    key = database or ":memory:"
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


def watch(engine) -> None:
    """Give ``engine``'s SQLite connections one writer at a time (``create_app`` calls it
    for the app's engines; idempotent, and nothing happens on other databases)."""
    for name, listener in (("before_cursor_execute", _before_write), ("reset", _returned),
                           ("invalidate", _invalidated)):
        if not event.contains(engine, name, listener):
            event.listen(engine, name, listener)


def _before_write(conn, cursor, statement, parameters, context, executemany):
    if conn.dialect.name != "sqlite" or conn.info.get(_HOLDS):
        return
    if statement.lstrip()[:7].upper().startswith(_WRITES):
        _take(conn, statement, parameters)


def begin_writing(session) -> None:
    """Take the writer turn now, for a transaction that reads first and then writes.

    Its reads then run alone too. That is cheaper than it sounds: every connection keeps
    its own page cache, which SQLite throws away when another connection has written
    since, so reads interleaved with other threads' writes re-read their pages from
    the file (the inbound webhook benchmark, 8 threads: ~20 page reads a message, none
    in turn). The turn comes before the pool hands out a connection, so the writer gets
    the one the previous writer just returned (the pool is LIFO), its cache current.
    A no-op on other databases.
    """
    if isinstance(session, scoped_session):
        session = session()
    if session.in_transaction():  # begun already (it may hold a connection): take the turn on it
        conn = session.connection()
        if conn.dialect.name == "sqlite" and not conn.info.get(_HOLDS):
            _take(conn, "BEGIN (writer turn)", None)
        return
    engine = session.get_bind()
    if engine.dialect.name != "sqlite":
        return
    lock = _acquire(engine.url.database, "BEGIN (writer turn)", None)
    try:
        conn = session.connection()
    except BaseException:
        lock.release()
        raise
    conn.info[_HOLDS] = lock


def _take(conn, statement, parameters) -> None:
    conn.info[_HOLDS] = _acquire(conn.engine.url.database, statement, parameters)


def _acquire(database: str | None, statement, parameters) -> threading.Lock:
    lock = lock_for(database)
    if not lock.acquire(timeout=WAIT_SECONDS):
        raise OperationalError(statement, parameters, Exception("database is locked"))
    return lock


def _release(record) -> None:
    lock = record.info.pop(_HOLDS, None)
    if lock is not None:
        lock.release()


def _returned(dbapi_connection, record, reset_state=None):
    _release(record)


def _invalidated(dbapi_connection, record, exception):
    _release(record)
