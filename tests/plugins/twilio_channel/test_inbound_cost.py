"""What one inbound Twilio message costs in SQL, with contacts on: every statement here
runs for every message a customer sends, so an extra one is a regression.

The webhook itself writes one row (the inbox event); the inbox worker's statements
follow, counted separately."""
from __future__ import annotations

import pytest

from host.extensions import db
from host.models import Chat, Message
from plugins.contacts.models import Contact
from plugins.twilio_channel.testing.webhooks import inbound_params

MESSAGING = "/webhooks/twilio/messaging"


@pytest.fixture
def switchboard_plugins():
    return "twilio_channel,contacts"


@pytest.fixture
def switchboard_config():
    return {"INBOX_SYNC": False}


@pytest.fixture(autouse=True)
def settings_stay_cached(monkeypatch):
    """Settings are re-read every ``CACHE_SECONDS``; on a slow machine that re-read can land
    between two counted messages. It is a per-process cost, not a per-message one, so the
    counts here hold the cache still."""
    import host.settings
    monkeypatch.setattr(host.settings, "CACHE_SECONDS", 3600.0)


def send(twilio_webhook, n, frm="+14155550123", sql_statements=None):
    """Post the webhook (its statements must be the inbox insert alone), then process it."""
    response = twilio_webhook(MESSAGING, inbound_params(sid=f"SM{n:032x}", frm=frm, body=f"message {n}"))
    assert response.status_code == 200
    if sql_statements is not None:
        assert verbs(sql_statements) == ["insert into inbox_events"], sql_statements
        sql_statements.clear()
    db.session.remove()
    while app_inbox().drain():
        pass
    db.session.remove()
    if sql_statements is not None:  # the worker's own bookkeeping, around the handler's statements:
        # the batch claimed and read in one statement, marked done in another, and the
        # next (empty) claim
        statements = verbs(sql_statements)
        assert statements[:1] == ["update inbox_events set"], statements
        assert statements[-2:] == ["update inbox_events set", "update inbox_events set"], statements
        sql_statements[:] = sql_statements[1:-2]


def app_inbox():
    from flask import current_app
    return current_app.extensions["switchboard"].inbox


def verbs(sql_statements):
    return [s.split()[0] + " " + s.split(" from ")[-1].split()[0] if s.startswith("select")
            else " ".join(s.split()[:3]) for s in sql_statements]


def test_a_message_to_an_open_chat_costs_four_statements(app, agent, twilio_webhook, sql_statements, recorder):
    send(twilio_webhook, 1)
    sql_statements.clear()

    send(twilio_webhook, 2, sql_statements=sql_statements)

    # the identity with its contact, the chat with its group and assignee, then the
    # chat's times and the message (refused by the unique index if it is a repeat)
    assert verbs(sql_statements) == ["select contact_identities", "select chats", "update chats set",
                                     "insert into messages"], sql_statements
    event = recorder.of("message_received")[-1]
    assert event.contact_id == db.session.execute(db.select(Contact.id)).scalar_one()
    assert event.chat["group_name"] is not None and event.message["body"] == "message 2"


def test_a_first_message_from_a_new_number_costs_ten_statements(app, agent, twilio_webhook, sql_statements,
                                                                    recorder):
    send(twilio_webhook, 1)
    sql_statements.clear()

    send(twilio_webhook, 2, frm="+14155550199", sql_statements=sql_statements)

    assert verbs(sql_statements) == [
        "select contact_identities",                                          # no contact yet
        "insert into contacts", "insert into contact_identities", "select chats",  # + adopt old chats
        "select chats", "select groups",                                      # no chat yet; route it
        "insert into chats",                                                  # once, with its group
        "select groups",                                                      # its name, for chat_started
        "update chats set", "insert into messages"], sql_statements  # its times, at the flush
    chat = db.session.execute(db.select(Chat).where(Chat.customer_address == "+14155550199")).scalar_one()
    assert chat.group_id is not None and chat.contact_id is not None
    assert recorder.of("chat_started")[-1].chat["group_id"] == chat.group_id


def test_a_repeated_webhook_is_absorbed_by_the_insert(app, agent, twilio_webhook, sql_statements):
    send(twilio_webhook, 1)
    sql_statements.clear()

    response = twilio_webhook(MESSAGING, inbound_params(sid=f"SM{1:032x}", frm="+14155550123", body="message 1"))
    assert response.status_code == 200
    db.session.remove()

    # a re-delivery (Twilio re-delivers after a timeout) is absorbed by the inbox's
    # unique index: nothing is recorded, nothing is left for the worker
    assert verbs(sql_statements) == ["insert into inbox_events"], sql_statements
    assert app_inbox().due_ids() == []
    assert db.session.execute(db.select(db.func.count()).select_from(Message)).scalar() == 1


def test_whatsapp_from_a_known_sms_number_joins_its_contact(app, agent, twilio_webhook, sql_statements):
    send(twilio_webhook, 1)
    sql_statements.clear()

    send(twilio_webhook, 2, frm="whatsapp:+14155550123", sql_statements=sql_statements)

    # the plain look-up finds only the SMS twin, so the contact is loaded to add the
    # WhatsApp identity (once per customer)
    assert verbs(sql_statements)[:2] == ["select contact_identities", "select contact_identities"], sql_statements
    [contact] = db.session.execute(db.select(Contact)).scalars().all()
    assert sorted(i.kind for i in contact.identities) == ["phone", "whatsapp"]
    assert {c.contact_id for c in db.session.execute(db.select(Chat)).scalars()} == {contact.id}



def test_a_batch_from_known_numbers_costs_one_contact_query(app, agent, twilio_webhook, sql_statements, recorder):
    numbers = [f"+1415555{n:04d}" for n in range(5)]
    for n, number in enumerate(numbers):
        send(twilio_webhook, n, frm=number)
    for n, number in enumerate(numbers, start=len(numbers)):
        response = twilio_webhook(MESSAGING, inbound_params(sid=f"SM{n:032x}", frm=number, body=f"message {n}"))
        assert response.status_code == 200
    db.session.remove()
    sql_statements.clear()

    assert app_inbox().drain() == len(numbers)  # one batch: one event of each customer

    # the five customers' identities in one statement, their chats in another, then
    # their chats' times and their messages, together
    statements = verbs(sql_statements)
    assert statements.count("select contact_identities") == 1, statements
    assert statements.count("select chats") == 1, statements
    assert [event.contact_id is not None for event in recorder.of("message_received")[-5:]] == [True] * 5
    assert db.session.execute(db.select(db.func.count()).select_from(Message)).scalar() == 10
