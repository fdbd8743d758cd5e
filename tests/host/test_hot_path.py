"""The inbound path stays lean: a message to an existing chat loads no group members,
and the event snapshots still carry the group's and the assignee's names."""
import pytest

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
    # check: the unique index refuses a repeat
    assert len(selects) == 1, selects
    snapshot = recorder.of("message_received")[-1].chat
    assert (snapshot["group_name"], snapshot["agent_name"]) == ("Support", "Sam Agent")


def test_snapshots_equal_the_stored_rows(app, agent, recorder):
    """The events say exactly what the API says about the stored chat and message."""
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
