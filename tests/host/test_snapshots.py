"""The inbound path builds its event snapshots by hand from plain rows: they must say exactly
what the schemas say about the same chat and message, in every shape a chat can have."""
from datetime import datetime

import pytest

from host import chats
from host.contracts import InboundMessage, Media
from host.extensions import db
from host.models import Chat, Message
from host.schemas import snapshot_chat, snapshot_chat_row, snapshot_message, snapshot_message_values


@pytest.fixture
def switchboard_plugins():
    return ""


def row_of(chat):
    return db.session.execute(chats._CHAT_ROW_OF_ADDRESS, {"address": chat.customer_address}).first()


@pytest.mark.parametrize("shape", ["queued, no group", "assigned to an agent with a name",
                                   "assigned to an agent without a name", "archived"])
def test_chat_rows_snapshot_like_the_schema(app, agent, make_agent, shape):
    chat = Chat(channel="sms", customer_address="+15550001", customer_name="Ann <b>", status="queued")
    db.session.add(chat)
    db.session.flush()
    if shape == "queued, no group":
        chat.group_id = None
    else:
        chat.group_id = agent.groups[0].id
    if shape.startswith("assigned"):
        chat.status = "active"
        owner = agent if "with a name" in shape else make_agent("noname@example.test")
        if owner is not agent:
            owner.name = ""  # the console shows the email then
        chat.agent_id = owner.id
    if shape == "archived":
        chat.status, chat.archived_at = "archived", datetime(2026, 11, 1, 8, 30, 15, 123456)
    chat.last_inbound_at = chat.last_message_at = datetime(2026, 11, 2, 9, 0)
    db.session.commit()
    changes = {"sender": "+14155550100", "last_message_at": datetime(2026, 11, 3, 10, 0, 0, 1),
               "updated_at": datetime(2026, 11, 3, 10, 0, 0, 1)}

    hand_built = snapshot_chat_row(row_of(chat), changes)

    for key, value in changes.items():
        setattr(chat, key, value)
    assert hand_built == snapshot_chat(chat)


@pytest.mark.parametrize("media", [(), (Media("/twilio/media/SM1/0", "image/jpeg"),
                                        Media("/twilio/media/SM1/1", "application/pdf"))])
def test_inbound_message_values_snapshot_like_the_schema(app, agent, recorder, media):
    chats.receive(InboundMessage(channel="loopback", external_id="snap-1", from_address="+15550001",
                                 to_address="+15550000", body="first"))
    chats.receive(InboundMessage(channel="loopback", external_id="snap-2", from_address="+15550001",
                                 to_address="+15550000", body="<script>x</script>", media=media))

    event = recorder.of("message_received")[-1]
    db.session.remove()
    stored = db.session.execute(db.select(Message).where(Message.external_id == "snap-2")).scalar_one()
    assert event.message == snapshot_message(stored)
    assert event.chat == snapshot_chat(stored.chat)
    values = {c.name: getattr(stored, c.name) for c in Message.__table__.columns}
    assert snapshot_message_values(values) == snapshot_message(stored)
