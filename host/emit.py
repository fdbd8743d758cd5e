"""Dispatch notification events after the database commit.

Services call :func:`emit` while they write; the events wait in the session and are
handed to plugins by :func:`commit` only once the transaction is durable. A rollback
drops them, so plugins never hear about data that does not exist.
"""
from __future__ import annotations

import logging

from flask import current_app

from host import db_listeners
from host.extensions import db

log = logging.getLogger(__name__)
_PENDING = "switchboard.pending_events"
_READY = "switchboard.ready_events"


def emit(event) -> None:
    """Queue a notification event until the current transaction commits."""
    session = db.session()
    if not session.in_transaction():
        session.begin()  # tie the event to a transaction so a rollback drops it
    session.info.setdefault(_PENDING, []).append(event)


def commit() -> None:
    """Commit the session, then dispatch every event the transaction produced."""
    db.session.commit()
    dispatch_ready()


def dispatch_ready() -> None:
    session = db.session
    host = current_app.extensions["switchboard"].plugins
    # Handlers may write and commit in turn; their events join the queue.
    while session.info.get(_READY):
        event = session.info[_READY].pop(0)
        host.notify(event.hook, event)


def install(app) -> None:
    """Hold events until their transaction commits, in this app (``create_app``)."""
    db_listeners.listen(app, "after_commit", _committed)
    db_listeners.listen(app, "after_soft_rollback", _rolled_back)


def _committed(session):
    pending = session.info.pop(_PENDING, None)
    if pending:
        session.info.setdefault(_READY, []).extend(pending)


def _rolled_back(session, previous_transaction):
    if session.info.pop(_PENDING, None):
        log.debug("discarded events of a rolled back transaction")
