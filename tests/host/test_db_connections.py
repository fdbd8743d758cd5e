"""Server database connections: no ping per request, yet a restarted server loses no message.

Uses the host's ``postgres_url`` fixture (skips without a server, fails under CI=true).
"""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from host import db_connections
from host.chats import receive
from host.contracts import InboundMessage
from host.extensions import db
from host.models import Message

pytestmark = pytest.mark.postgres


@pytest.fixture
def switchboard_config(request):
    return {"DATABASE_URL": request.getfixturevalue("postgres_url")}


@pytest.fixture
def switchboard_plugins():
    return ""


def cut_every_connection_of_this_database(postgres_url):
    """What a server restart does to the app's pooled connections."""
    engine = create_engine(postgres_url)
    with engine.connect() as conn:
        cut = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    engine.dispose()
    return cut


def inbound(external_id, body="hello"):
    stored = receive(InboundMessage(channel="loopback", external_id=external_id, from_address="+15550001", body=body))
    return db.session.get(Message, stored.message_id)


def test_a_busy_process_does_not_ping_its_connections(app, agent, monkeypatch):
    pings = []
    real_ping = db.engine.dialect.do_ping
    monkeypatch.setattr(db.engine.dialect, "do_ping", lambda conn: pings.append(1) or real_ping(conn))
    inbound("warm-1")
    db.session.remove()

    inbound("warm-2")
    inbound("warm-3")

    assert pings == []  # pool_pre_ping would ask the server "SELECT 1" before each of them
    assert db.session.execute(db.select(db.func.count()).select_from(Message)).scalar() == 3


def test_a_message_arriving_right_after_a_restart_is_stored(app, agent, postgres_url):
    inbound("before-restart")
    db.session.remove()
    assert cut_every_connection_of_this_database(postgres_url) >= 1

    message = inbound("after-restart", "still here")  # the pooled connection is dead

    assert message.body == "still here"
    db.session.remove()
    stored = db.session.execute(db.select(Message.body).where(Message.external_id == "after-restart")).scalars()
    assert list(stored) == ["still here"]


def test_rows_staged_with_the_message_survive_the_retry(app, agent, postgres_url):
    """A channel adds its own rows before ``receive`` commits them (Twilio's MMS media)."""
    from host.models import Group

    inbound("before-restart")
    db.session.remove()
    cut_every_connection_of_this_database(postgres_url)

    db.session.add(Group(name="Staged with the message"))
    inbound("after-restart", "with media")

    db.session.remove()
    assert db.session.execute(db.select(Group.name).where(Group.name == "Staged with the message")).scalar()
    assert db.session.execute(db.select(db.func.count()).select_from(Message)).scalar() == 2


def test_a_connection_idle_in_the_pool_is_checked_before_use(app, agent, postgres_url, monkeypatch):
    monkeypatch.setattr(db_connections, "IDLE_PING_SECONDS", 0.0)
    inbound("before-restart")
    db.session.remove()
    cut_every_connection_of_this_database(postgres_url)

    # no retry needed: the ping finds the dead connection and the pool opens a new one
    assert db.session.execute(db.select(db.func.count()).select_from(Message)).scalar() == 1
