"""SQLite writers in one process queue in Python and wake when the previous writer is done,
instead of sleeping on SQLite's busy ladder; readers never wait."""
import threading
import time

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from host import sqlite_writes
from host.extensions import db
from host.models import Group


@pytest.fixture
def switchboard_plugins():
    return ""


def turn():
    return sqlite_writes.lock_for(db.engine.url.database)


def test_each_database_file_has_its_own_turn(app, tmp_path):
    from sqlalchemy import create_engine, text

    other = create_engine(f"sqlite:///{tmp_path / 'other.db'}")
    with Session(db.engine) as session:
        session.add(Group(name="Holds the app's turn"))
        session.flush()
        with other.begin() as conn:  # another file: no waiting on the app's writer
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
        session.rollback()
    other.dispose()


def test_a_write_holds_the_writer_turn_until_commit_or_rollback(app):
    with Session(db.engine) as session:
        session.execute(db.select(Group)).all()
        assert not turn().locked()  # reading takes no turn

        session.add(Group(name="Night shift"))
        session.flush()
        assert turn().locked()
        session.commit()
        assert not turn().locked()

        session.add(Group(name="Weekend"))
        session.flush()
        assert turn().locked()
        session.rollback()
        assert not turn().locked()
    assert [g.name for g in db.session.execute(db.select(Group).where(Group.name.like("%t"))).scalars()] \
        == ["Night shift"]


def test_a_second_writer_waits_its_turn_and_goes_right_after_the_commit(app):
    first = Session(db.engine)
    first.add(Group(name="First"))
    first.flush()  # holds the writer turn
    done = {}

    def second_writer():
        with app.app_context(), Session(db.engine) as session:
            session.add(Group(name="Second"))
            session.commit()
            done["at"] = time.perf_counter()

    thread = threading.Thread(target=second_writer)
    thread.start()
    time.sleep(0.3)
    assert "at" not in done  # still waiting: the first writer hasn't committed
    committed_at = time.perf_counter()
    first.commit()
    first.close()
    thread.join(timeout=10)

    # SQLite's own busy handler would have it asleep on its ladder (up to 100 ms a nap)
    assert done["at"] - committed_at < 0.08
    names = set(db.session.execute(db.select(Group.name)).scalars())
    assert {"First", "Second"} <= names


def test_a_writer_that_waits_too_long_gets_database_is_locked(app, monkeypatch):
    monkeypatch.setattr(sqlite_writes, "WAIT_SECONDS", 0.2)
    first = Session(db.engine)
    first.add(Group(name="Holder"))
    first.flush()
    errors = []

    def second_writer():
        with app.app_context(), Session(db.engine) as session:
            session.add(Group(name="Impatient"))
            try:
                session.commit()
            except OperationalError as error:
                errors.append(str(error))

    thread = threading.Thread(target=second_writer)
    thread.start()
    thread.join(timeout=10)
    first.rollback()
    first.close()

    assert errors and "database is locked" in errors[0]
    assert not turn().locked()


def test_an_inbound_message_takes_the_turn_before_its_first_read(app, sql_statements):
    """Its reads run in turn too: interleaved with other writers they would find their
    connection's page cache thrown away and re-read it from the file."""
    from host.chats import receive
    from host.contracts import InboundMessage
    from host.models import Message

    held = turn()
    held.acquire()  # another writer is in the middle of its transaction
    sql_statements.clear()

    def webhook():
        with app.app_context():
            receive(InboundMessage(channel="loopback", external_id="turn-1", from_address="+15550001", body="hi"))

    thread = threading.Thread(target=webhook)
    thread.start()
    time.sleep(0.3)
    assert sql_statements == []  # waiting for its turn before reading anything
    held.release()
    thread.join(timeout=10)
    assert sql_statements and sql_statements[0].startswith("select")
    assert db.session.execute(db.select(Message.body).where(Message.external_id == "turn-1")).scalar() == "hi"


def test_a_writer_waits_for_its_turn_before_taking_a_connection(app):
    held = turn()
    held.acquire()
    before = db.engine.pool.checkedout()
    got = {}

    def writer():
        with app.app_context(), Session(db.engine) as session:
            sqlite_writes.begin_writing(session)
            got["connection"] = session.connection().connection.dbapi_connection
            session.rollback()

    thread = threading.Thread(target=writer)
    thread.start()
    time.sleep(0.3)
    assert db.engine.pool.checkedout() == before  # waiting without holding a pooled connection
    held.release()
    thread.join(timeout=10)
    assert got["connection"] is not None and not held.locked()


def test_the_next_writer_gets_the_connection_the_last_one_returned(app):
    """Its page cache is the one that saw the last write."""
    idle = [Session(db.engine) for _ in range(3)]
    for session in idle:  # several connections in the pool
        session.connection()
    for session in idle:
        session.close()
    with Session(db.engine) as first:
        sqlite_writes.begin_writing(first)
        used = first.connection().connection.dbapi_connection
        first.add(Group(name="Writers"))
        first.commit()
    with Session(db.engine) as second:
        sqlite_writes.begin_writing(second)
        assert second.connection().connection.dbapi_connection is used
        second.rollback()
