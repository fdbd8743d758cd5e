"""Recording a webhook's event: committed before the answer, stored once, and on
PostgreSQL in one round trip to the server.

The PostgreSQL case uses the host's ``postgres_url`` fixture (skips without a server,
fails under CI=true).
"""
from __future__ import annotations

import tempfile

import pytest
from sqlalchemy import create_engine, event, text

from host import inbox
from host.extensions import db
from host.models import InboxEvent


@pytest.fixture(params=["sqlite", "postgresql"])
def switchboard_config(request):
    config = {"INBOX_SYNC": False}
    if request.param == "postgresql":
        config["DATABASE_URL"] = request.getfixturevalue("postgres_url")
    return config


@pytest.fixture
def switchboard_plugins():
    return ""


def record(n):
    return inbox.record("bench", f"event-{n}", "bench.entry", "a", {"n": n})


def stored_elsewhere(app) -> list[str]:
    """The events another connection sees: only what was committed."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with engine.connect() as conn:
        ids = list(conn.execute(text("SELECT external_id FROM inbox_events ORDER BY id")).scalars())
    engine.dispose()
    return ids


def test_an_event_is_committed_when_record_returns_and_a_redelivery_is_stored_once(app):
    assert record(1) is True
    assert stored_elsewhere(app) == ["event-1"]
    assert record(1) is False
    assert stored_elsewhere(app) == ["event-1"]


class ProtocolTrace:
    """What the app's PostgreSQL connection that inserts into the inbox sends to the
    server (libpq's protocol trace, one per checkout: the wake-up thread's ``NOTIFY`` goes
    through a connection of its own)."""

    def __init__(self, engine):
        self.engine = engine
        self.files: list = []

    def __enter__(self):
        event.listen(self.engine, "checkout", self._checkout)
        event.listen(self.engine, "checkin", self._checkin)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "checkout", self._checkout)
        event.remove(self.engine, "checkin", self._checkin)

    def _checkout(self, dbapi_connection, record, proxy):
        self.files.append(tempfile.TemporaryFile("w+"))
        dbapi_connection.pgconn.trace(self.files[-1].fileno())

    def _checkin(self, dbapi_connection, record):
        if dbapi_connection is not None:
            dbapi_connection.pgconn.untrace()

    def sent(self) -> list[str]:
        """Frontend messages of the checkout that inserted, e.g. ``Query "BEGIN"``, ``Parse …``, ``Sync``."""
        for file in self.files:
            file.seek(0)
            fields = [line.rstrip("\n").split("\t") for line in file]
            sent = [" ".join(f[3:]).strip() for f in fields if len(f) > 3 and f[1] == "F"]
            if any("INSERT INTO inbox_events" in message for message in sent):
                return sent
        return []


@pytest.mark.postgres
@pytest.mark.parametrize("switchboard_config", ["postgresql"], indirect=True)
def test_on_postgresql_an_event_is_recorded_in_one_round_trip_and_the_pool_stays_transactional(app):
    record(0)  # the pool's connection is open
    with ProtocolTrace(db.engine) as trace:
        assert record(1) is True
    sent = trace.sent()
    assert sent, "no INSERT was traced"
    # One statement, one Sync: no BEGIN before it and no COMMIT after it (the server
    # commits the single statement itself before it answers).
    assert [m.split()[0] for m in sent].count("Sync") == 1, sent
    assert not [m for m in sent if m.startswith("Query")], sent
    assert stored_elsewhere(app) == ["event-0", "event-1"]

    # The connection goes back to the pool as it came: the next transaction on it is one.
    db.session.add(InboxEvent(provider="bench", external_id="rolled-back", kind="bench.entry", ordering_key="a",
                              payload={}))
    db.session.flush()
    db.session.rollback()
    assert stored_elsewhere(app) == ["event-0", "event-1"]
