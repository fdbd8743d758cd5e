"""The inbound hot path stays lean: a message to an existing chat loads no group members,
and the event snapshots still carry the group's and the assignee's names."""
import pytest

from host import hookimpl
from host.chats import receive
from host.contracts import InboundMessage, Stored
from host.extensions import db
from host.models import Chat, Message
from host.schemas import snapshot_chat, snapshot_message
from host.testing.loopback import webhook


@pytest.fixture
def switchboard_plugins():
    return ""  # the host alone (contacts would add its own lookups)


def test_inbound_to_an_assigned_chat_loads_no_group_members(app, agent, make_agent, recorder, sql_statements):
    for n in range(5):  # a busy group: its members must not be read for every message
        make_agent(f"member{n}@example.test", groups=("Support", "Sales"))
    client = app.test_client()
    assert webhook(client, {"id": "hp-1", "from": "+15550001", "body": "first"}).status_code == 200
    chat = db.session.execute(db.select(Chat)).scalar_one()
    chat.agent_id, chat.status = agent.id, "active"
    db.session.commit()
    db.session.remove()
    sql_statements.clear()

    assert webhook(client, {"id": "hp-2", "from": "+15550001", "body": "second"}).status_code == 200

    assert not [s for s in sql_statements if "agent_groups" in s], sql_statements
    selects = [s[:90] for s in sql_statements if s.startswith("select")]
    # only the chat (with its group and assignee joined in); no lazy loads, and no repeat
    # check: the unique index absorbs a repeat
    assert len(selects) == 1, selects
    snapshot = recorder.of("message_received")[-1].chat
    assert (snapshot["group_name"], snapshot["agent_name"]) == ("Support", "Sam Agent")


def test_fast_path_snapshots_equal_the_stored_rows(app, agent, recorder):
    """The open-chat path writes plain statements: its snapshots must still say exactly
    what the API says about the stored chat and message."""
    client = app.test_client()
    assert webhook(client, {"id": "hp-1", "from": "+15550001", "body": "first"}).status_code == 200
    chat = db.session.execute(db.select(Chat)).scalar_one()
    chat.agent_id, chat.status, chat_id = agent.id, "active", chat.id
    db.session.commit()

    assert webhook(client, {"id": "hp-2", "from": "+15550001", "body": "<b>second</b>",
                            "profile": {"name": "Ann"}}).status_code == 200

    db.session.remove()
    event = recorder.of("message_received")[-1]
    chat = db.session.get(Chat, chat_id)
    message = db.session.execute(db.select(Message).where(Message.external_id == "hp-2")).scalar_one()
    assert event.chat == snapshot_chat(chat)
    assert event.message == snapshot_message(message)
    assert chat.last_inbound_at == message.created_at and chat.customer_name == "Ann"


def test_a_repeat_changes_nothing_and_answers_with_the_stored_ids(app, agent, recorder):
    first = receive(InboundMessage(channel="loopback", external_id="rp-1", from_address="+15550001", body="hi"))
    last = db.session.get(Chat, first.chat_id).last_message_at
    assert not first.repeat and db.session.get(Message, first.message_id).external_id == "rp-1"

    again = receive(InboundMessage(channel="loopback", external_id="rp-1", from_address="+15550001", body="hi"))

    assert again == Stored(message_id=first.message_id, chat_id=first.chat_id, repeat=True)
    assert db.session.get(Chat, again.chat_id).last_message_at == last
    assert db.session.execute(db.select(db.func.count()).select_from(Message)).scalar() == 1
    assert len(recorder.of("message_received")) == 1


def test_groups_page_still_lists_members(app, admin, agent, signed_in):
    page = signed_in(admin).get("/admin/groups").get_data(as_text=True)
    assert "agent@example.test" in page and "admin@example.test" in page


@pytest.mark.postgres
class TestOnPostgreSQL:
    """PostgreSQL writes the message and the chat's times in one statement (one round trip)."""

    @pytest.fixture
    def switchboard_config(self, request):
        return {"DATABASE_URL": request.getfixturevalue("postgres_url")}

    def test_a_message_to_an_open_chat_is_one_read_and_one_write(self, app, agent, recorder, sql_statements):
        first = receive(InboundMessage(channel="loopback", external_id="pg-1", from_address="+15550001", body="a"))
        chat_id = first.chat_id
        db.session.remove()
        sql_statements.clear()

        receive(InboundMessage(channel="loopback", external_id="pg-2", from_address="+15550001", body="b",
                               profile={"name": "Ann"}))

        heads = [s.split()[0] for s in sql_statements if s.split()[0] not in ("begin", "commit", "rollback")]
        assert heads == ["select", "with"], sql_statements
        assert "on conflict (channel, external_id) do nothing" in sql_statements[-1]
        db.session.remove()
        chat = db.session.get(Chat, chat_id)
        message = db.session.execute(db.select(Message).where(Message.external_id == "pg-2")).scalar_one()
        assert chat.last_message_at == message.created_at and chat.customer_name == "Ann"
        event = recorder.of("message_received")[-1]
        assert event.chat == snapshot_chat(chat) and event.message == snapshot_message(message)

    def test_a_repeat_changes_nothing(self, app, agent, recorder):
        first = receive(InboundMessage(channel="loopback", external_id="pg-r", from_address="+15550001", body="x"))
        receive(InboundMessage(channel="loopback", external_id="pg-other", from_address="+15550001", body="y"))
        db.session.remove()
        last = db.session.execute(db.select(Chat.last_message_at)).scalar_one()

        again = receive(InboundMessage(channel="loopback", external_id="pg-r", from_address="+15550001", body="x"))

        assert again == Stored(message_id=first.message_id, chat_id=first.chat_id, repeat=True)
        db.session.remove()
        assert db.session.execute(db.select(Chat.last_message_at)).scalar_one() == last
        assert db.session.execute(db.select(db.func.count()).select_from(Message)).scalar() == 2
        assert len(recorder.of("message_received")) == 2

    def test_a_known_customer_s_message_runs_outside_a_transaction_block(self, app, agent, recorder):
        """No BEGIN and no COMMIT round trip: the write is one statement, atomic on its own."""
        from psycopg.pq import TransactionStatus
        from sqlalchemy import event

        receive(InboundMessage(channel="loopback", external_id="ac-1", from_address="+15550001", body="a"))
        db.session.remove()
        seen = []

        def status(conn, cursor, statement, params, context, executemany):
            seen.append((statement.split()[0].lower(), conn.connection.dbapi_connection.info.transaction_status))

        event.listen(db.engine, "after_cursor_execute", status)
        try:
            second = receive(InboundMessage(channel="loopback", external_id="ac-2", from_address="+15550001",
                                            body="b"))
            chat_id = second.chat_id
            db.session.remove()
            third = receive(InboundMessage(channel="loopback", external_id="ac-3", from_address="+15550002",
                                           body="c"))  # a new customer: the transactional way
        finally:
            event.remove(db.engine, "after_cursor_execute", status)

        assert seen[:2] == [("select", TransactionStatus.IDLE), ("with", TransactionStatus.IDLE)], seen
        assert ("insert", TransactionStatus.INTRANS) in seen[2:], seen  # the new chat, in a transaction
        assert third.chat_id != chat_id
        # the pooled connection is back in its usual isolation level
        assert db.session.connection().connection.dbapi_connection.autocommit is False
        assert [e.message["external_id"] for e in recorder.of("message_received")] == ["ac-1", "ac-2", "ac-3"]
        chat = db.session.get(Chat, chat_id)
        message = db.session.execute(db.select(Message).where(Message.external_id == "ac-2")).scalar_one()
        assert chat.last_message_at == message.created_at
        assert recorder.of("message_received")[1].chat == snapshot_chat(chat)

    def test_a_customer_another_plugin_resolves_goes_the_transactional_way(self, app):
        plugins = app.extensions["switchboard"].plugins
        assert plugins.ask("known_contact", channel="loopback", address="+15550001", profile={}).id is None

        class Directory:
            @hookimpl
            def resolve_contact(self, channel, address, profile):
                return None

        plugins.pm.register(Directory(), name="directory")
        try:  # the host can't tell who that plugin would say is writing
            assert plugins.ask("known_contact", channel="loopback", address="+15550001", profile={}) is None
        finally:
            plugins.pm.unregister(name="directory")
