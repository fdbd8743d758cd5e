"""Hot statements run on the driver read and write the same values as ``session.execute``,
in the session's transaction, with SQLAlchemy's listeners and error handling."""
from datetime import timedelta

import pytest
from sqlalchemy import bindparam, exc
from sqlalchemy.dialects import postgresql, sqlite

from host import direct_sql
from host.chats import _CHAT_ROW_OF_CONTACT, _UPDATE_CHAT, CHATS, MESSAGES
from host.extensions import db
from host.models import Chat, Group, Message, utcnow


@pytest.fixture
def switchboard_plugins():
    return ""


@pytest.fixture(params=["sqlite", "postgresql"])
def switchboard_config(request):
    if request.param == "sqlite":
        return {}
    return {"DATABASE_URL": request.getfixturevalue("postgres_url")}


def _chat(group=None, **values) -> Chat:
    chat = Chat(channel="sms", customer_address="+15550001", contact_id=7, status="queued", group=group, **values)
    db.session.add(chat)
    db.session.commit()
    return chat


def _insert(dialect):
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    return insert(MESSAGES).on_conflict_do_nothing(index_elements=["channel", "external_id"]).returning(MESSAGES.c.id)


def _message_values(chat_id, external_id, now):
    return {"chat_id": chat_id, "direction": "in", "kind": "media", "channel": "sms", "body": "Hi <b>there</b>",
            "template": None, "agent_id": None, "media": [{"url": "https://x.test/a.png", "content_type": "image/png"}],
            "sender": "+15550001", "recipient": "+15550100", "external_id": external_id, "status": "received",
            "error_code": None, "error_message": None, "created_at": now, "updated_at": now}


def test_rows_equal_what_session_execute_reads(app):
    chat = _chat(Group(name="Support"), customer_name="Ann", last_message_at=utcnow() - timedelta(minutes=3))
    expected = db.session.execute(_CHAT_ROW_OF_CONTACT, {"contact_id": 7}).one()

    row = direct_sql.first(db.session.connection(), _CHAT_ROW_OF_CONTACT, {"contact_id": 7})

    assert row._mapping == dict(expected._mapping)  # dates come back as datetimes on SQLite too
    assert (row.id, row.group_name, row.customer_name) == (chat.id, "Support", "Ann")
    assert direct_sql.first(db.session.connection(), _CHAT_ROW_OF_CONTACT, {"contact_id": 8}) is None


def test_writes_convert_values_like_sqlalchemy_and_stay_in_the_session_transaction(app):
    chat = _chat()
    now = utcnow()
    dialect = db.engine.dialect.name

    message_id = direct_sql.scalar(db.session.connection(), _insert(dialect), _message_values(chat.id, "SM1", now))
    direct_sql.execute(db.session.connection(), _UPDATE_CHAT, {"last_message_at": now, "updated_at": now, "chat_id": chat.id})
    assert direct_sql.scalar(db.session.connection(), _insert(dialect), _message_values(chat.id, "SM1", now)) is None  # a repeat
    db.session.rollback()
    assert db.session.get(Message, message_id) is None  # rolled back with the session

    message_id = direct_sql.scalar(db.session.connection(), _insert(dialect), _message_values(chat.id, "SM1", now))
    direct_sql.execute(db.session.connection(), _UPDATE_CHAT, {"last_message_at": now, "updated_at": now, "chat_id": chat.id})
    db.session.commit()
    db.session.expire_all()
    message = db.session.get(Message, message_id)
    assert (message.created_at, message.media, message.body) == (
        now, [{"url": "https://x.test/a.png", "content_type": "image/png"}], "Hi <b>there</b>")
    assert db.session.get(Chat, chat.id).last_message_at == now


def test_statements_run_in_the_session_transaction(app):
    group = Group(name="Night shift")
    db.session.add(group)
    db.session.flush()
    query = db.select(Group.__table__.c.name).where(Group.__table__.c.name == bindparam("name"))
    assert [row.name for row in direct_sql.rows(db.session.connection(), query, {"name": "Night shift"})] \
        == ["Night shift"]  # sees what the session flushed and has not committed


def test_listeners_see_each_statement(app, sql_statements):
    _chat()
    sql_statements.clear()
    direct_sql.first(db.session.connection(), _CHAT_ROW_OF_CONTACT, {"contact_id": 7})
    assert [s.split()[0] for s in sql_statements if s not in ("begin", "commit")] == ["select"]


def test_driver_errors_are_sqlalchemy_errors(app):
    chat = _chat()
    values = {**_message_values(chat.id, "SM2", utcnow()), "direction": None}  # NOT NULL
    with pytest.raises(exc.IntegrityError):
        direct_sql.scalar(db.session.connection(), _insert(db.engine.dialect.name), values)
    db.session.rollback()


def test_statements_that_would_need_python_defaults_are_refused(app):
    chat = _chat()
    values = _message_values(chat.id, "SM3", utcnow())
    del values["created_at"]  # the model fills it in Python: not done here
    with pytest.raises(ValueError, match="created_at"):
        direct_sql.scalar(db.session.connection(), _insert(db.engine.dialect.name), values)


def test_a_statement_run_here_can_still_be_built_upon(app):
    chat = _chat()
    base = _insert(db.engine.dialect.name)
    direct_sql.scalar(db.session.connection(), base, _message_values(chat.id, "SM4", utcnow()))
    wider = base.returning(MESSAGES.c.chat_id).cte("m")
    assert "chat_id" in wider.c  # nothing stale memoized on the statement
    assert CHATS.c.id is not None
