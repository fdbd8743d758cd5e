"""On PostgreSQL the inbox worker stores a batch of Twilio inbound messages (several
customers') in one transaction, its messages inserted by one statement."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from host.extensions import db
from plugins.twilio_channel.testing.webhooks import inbound_params
from tests.plugins.twilio_channel.test_inbox_webhooks import MESSAGING, drain, messages


@pytest.fixture
def switchboard_config(postgres_url):
    return {"DATABASE_URL": postgres_url, "TWILIO_SIMULATOR_MANUAL": True, "INBOX_SYNC": False}


def test_a_batch_stores_its_customers_messages_in_one_statement_each_in_their_own_chat(
        app, live_account, twilio_webhook, recorder):
    for n in range(3):
        twilio_webhook(MESSAGING, inbound_params(sid="SM" + str(n) * 32, frm=f"+1415555012{n}",
                                                 to="+14155550100", body=f"First {n}"))
    for n in range(3):
        twilio_webhook(MESSAGING, inbound_params(sid="SM" + str(n + 5) * 32, frm=f"+1415555012{n}",
                                                 to="+14155550100", body=f"Second {n}"))
    inserts = []

    def count_inserts(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO messages"):
            inserts.append(statement)

    event.listen(db.engine, "before_cursor_execute", count_inserts)
    try:
        drain(app)
    finally:
        event.remove(db.engine, "before_cursor_execute", count_inserts)
    # Each batch's messages go in one statement: the first batch's three, whose chats it
    # starts (the chats are written first), and the second batch's three, to open chats.
    # (A customer's second message waits for the next batch.)
    assert len(inserts) == 2
    by_chat: dict = {}
    for message in messages():
        by_chat.setdefault(message.chat_id, []).append(message.body)
    assert sorted(by_chat.values()) == [[f"First {n}", f"Second {n}"] for n in range(3)]
    received = [(e.chat["id"], e.message["body"]) for e in recorder.of("message_received")]
    assert len(received) == 6 and {chat for chat, _ in received} == set(by_chat)
