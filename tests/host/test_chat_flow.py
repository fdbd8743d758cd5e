"""Inbound → chat → reply → outbox → provider → status, through the real HTTP surface."""
from host.extensions import db
from host.models import Chat, Message, OutboxItem
from host.testing.loopback import webhook


def test_inbound_starts_a_queued_chat_in_the_default_group(app, agent, recorder):
    client = app.test_client()
    response = webhook(client, {"id": "in-1", "from": "+15550001", "body": "Hello there"})
    assert response.status_code == 200
    chat = db.session.execute(db.select(Chat)).scalar_one()
    assert (chat.status, chat.channel, chat.customer_address, chat.sender) == (
        "queued", "loopback", "+15550001", "loopback-number")
    assert chat.group.name == "Support"
    assert recorder.names() == ["chat_started", "message_received"]
    assert recorder.of("message_received")[0].message["body"] == "Hello there"


def test_duplicate_webhook_is_stored_once(app, agent, recorder):
    client = app.test_client()
    for _ in range(3):
        assert webhook(client, {"id": "in-dup", "from": "+15550001", "body": "once"}).status_code == 200
    assert db.session.execute(db.select(db.func.count(Message.id))).scalar() == 1
    assert recorder.names().count("message_received") == 1


def test_forged_webhook_is_refused_and_stores_nothing(app, agent, recorder):
    response = webhook(app.test_client(), {"id": "in-x", "from": "+1", "body": "x"}, secret="wrong")
    assert response.status_code == 403
    assert db.session.execute(db.select(db.func.count(Message.id))).scalar() == 0
    assert recorder.events == []


def test_second_message_lands_in_the_same_open_chat(app, agent):
    client = app.test_client()
    webhook(client, {"id": "a", "from": "+15550001", "body": "one"})
    webhook(client, {"id": "b", "from": "+15550001", "body": "two"})
    webhook(client, {"id": "c", "from": "+15550002", "body": "other customer"})
    counts = dict(db.session.execute(db.select(Chat.customer_address, db.func.count(Message.id))
                                     .join(Message).group_by(Chat.customer_address)).all())
    assert counts == {"+15550001": 2, "+15550002": 1}


def test_reply_is_persisted_before_sending_then_sent_by_the_outbox(app, agent, api, loopback, recorder):
    webhook(app.test_client(), {"id": "in-1", "from": "+15550001", "body": "Hi"})
    chat = db.session.execute(db.select(Chat)).scalar_one()
    response = api(agent).post(f"/api/v1/chats/{chat.id}/messages", json={"body": "How can I help?"})
    assert response.status_code == 201, response.json
    assert response.json["status"] == "queued"
    item = db.session.execute(db.select(OutboxItem)).scalar_one()
    assert item.state == "pending" and loopback.channel.sent == []
    db.session.refresh(chat)
    assert chat.status == "active" and chat.agent_id == agent.id  # replying takes the chat

    assert app.extensions["switchboard"].outbox.drain() == 1
    assert [m.body for m in loopback.channel.sent] == ["How can I help?"]
    assert loopback.channel.sent[0].to == "+15550001" and loopback.channel.sent[0].sender == "loopback-number"
    message = db.session.get(Message, response.json["id"])
    db.session.refresh(message)
    assert (message.status, message.external_id) == ("sent", "LB000001")
    assert "message_sent" in recorder.names()


def test_status_only_moves_forward(app, agent, api, loopback):
    client = app.test_client()
    webhook(client, {"id": "in-1", "from": "+15550001", "body": "Hi"})
    chat = db.session.execute(db.select(Chat)).scalar_one()
    api(agent).post(f"/api/v1/chats/{chat.id}/messages", json={"body": "reply"})
    app.extensions["switchboard"].outbox.drain()
    for status in ("delivered", "sent", "sending"):
        webhook(client, {"type": "status", "id": "LB000001", "status": status})
    message = db.session.execute(db.select(Message).where(Message.direction == "out")).scalar_one()
    db.session.refresh(message)
    assert message.status == "delivered"


def test_a_batch_stores_each_message_as_receiving_it_alone_would(app, agent, recorder):
    from host.chats import receive, receive_many
    from host.contracts import InboundMessage

    def inbound(external_id, address):
        return InboundMessage(channel="loopback", external_id=external_id, from_address=address,
                              to_address="loopback-number", body=f"hello {external_id}")

    receive(inbound("alone", "+15550001"))
    stored = receive_many([inbound("batch-1", "+15550002"), inbound("batch-2", "+15550003")])

    varying = ("id", "chat_id", "external_id", "body", "sender", "created_at", "updated_at")
    columns = [c.name for c in Message.__table__.columns if c.name not in varying]
    rows = {m.external_id: m for m in db.session.execute(db.select(Message)).scalars()}
    alone = {name: getattr(rows["alone"], name) for name in columns}
    for external_id, ids in zip(("batch-1", "batch-2"), stored, strict=True):
        message = rows[external_id]
        assert {name: getattr(message, name) for name in columns} == alone  # NULLs stay NULL, defaults apply
        assert (message.id, message.chat_id) == (ids.message_id, ids.chat_id)
        chat = db.session.get(Chat, ids.chat_id)
        assert chat.last_message_at == chat.last_inbound_at == message.created_at
    # the template column of a batch's message is SQL NULL, not a JSON null
    assert db.session.execute(db.select(db.func.count(Message.id)).where(Message.template.is_(None))).scalar() == 3
    received = recorder.of("message_received")
    assert [(e.message["id"], e.message["body"]) for e in received[1:]] == [
        (ids.message_id, f"hello {external_id}") for ids, external_id in zip(stored, ("batch-1", "batch-2"), strict=True)]
    # the events show the chats as stored, their message times included
    assert [(e.chat["last_message_at"], e.chat["last_inbound_at"]) for e in received[1:]] == [
        (e.message["created_at"], e.message["created_at"]) for e in received[1:]]
