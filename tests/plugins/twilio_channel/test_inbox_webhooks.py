"""Twilio's messaging webhooks answer once the raw event is recorded; the inbox worker
stores the message later, and nothing recorded is lost."""
from __future__ import annotations

import pytest

from host.extensions import db
from host.models import InboxEvent, Message
from plugins.twilio_channel.testing.webhooks import inbound_params, status_params

MESSAGING, STATUS = "/webhooks/twilio/messaging", "/webhooks/twilio/status"


@pytest.fixture
def switchboard_config():
    return {"TWILIO_SIMULATOR_MANUAL": True, "INBOX_SYNC": False}


def events():
    return db.session.execute(db.select(InboxEvent).order_by(InboxEvent.id)).scalars().all()


def messages():
    return db.session.execute(db.select(Message).order_by(Message.id)).scalars().all()


def drain(app):
    while app.extensions["switchboard"].inbox.drain():
        pass
    db.session.remove()


def test_an_inbound_message_is_answered_once_recorded_and_stored_by_the_worker(app, live_account, twilio_webhook,
                                                                               recorder):
    params = inbound_params(sid="SM" + "1" * 32, to="+14155550100", body="Hello there", ProfileName="Ada")
    response = twilio_webhook(MESSAGING, params)
    assert response.status_code == 200 and response.data.startswith(b"<?xml")
    [event] = events()
    assert (event.provider, event.kind, event.state) == ("twilio", "twilio.message", "pending")
    assert event.payload == params and event.ordering_key == "twilio:+14155550123"
    assert messages() == [] and recorder.of("message_received") == []

    assert twilio_webhook(MESSAGING, params).status_code == 200  # Twilio re-delivers
    assert len(events()) == 1

    drain(app)
    [message] = messages()
    assert (message.body, message.external_id, message.direction) == ("Hello there", "SM" + "1" * 32, "in")
    assert [e.message["body"] for e in recorder.of("message_received")] == ["Hello there"]
    assert events()[0].state == "done"


def test_acknowledging_a_webhook_begins_no_orm_session_transaction(app, live_account, twilio_webhook, monkeypatch):
    """The acknowledgement is the inbox INSERT in a transaction of its own, on a
    connection from the engine: no ORM session transaction begins for it (the settings and
    the plugins' enabled state come from their per-process caches, held still here)."""
    import host.plugins
    import host.settings
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    monkeypatch.setattr(host.settings, "CACHE_SECONDS", 3600.0)
    monkeypatch.setattr(host.plugins, "STATE_TTL", 3600.0)
    assert twilio_webhook(MESSAGING, inbound_params(sid="SM" + "1" * 32, to="+14155550100")).status_code == 200
    db.session.remove()
    begun = []

    def began(session, transaction, connection):
        begun.append(session)

    event.listen(Session, "after_begin", began)
    try:
        assert twilio_webhook(MESSAGING, inbound_params(sid="SM" + "2" * 32, to="+14155550100")).status_code == 200
        assert twilio_webhook(STATUS, status_params("SM" + "2" * 32, "delivered")).status_code == 204
    finally:
        event.remove(Session, "after_begin", began)
    assert begun == []
    assert [e.kind for e in events()] == ["twilio.message", "twilio.message", "twilio.status"]


def test_whatsapp_and_sms_of_one_number_are_one_customer_in_the_inbox(app, live_account, twilio_webhook):
    twilio_webhook(MESSAGING, inbound_params(sid="SM" + "1" * 32, to="+14155550100"))
    twilio_webhook(MESSAGING, inbound_params(sid="SM" + "2" * 32, frm="whatsapp:+14155550123",
                                             to="whatsapp:+14155550100"))
    assert {e.ordering_key for e in events()} == {"twilio:+14155550123"}


def test_a_forged_webhook_records_nothing(app, live_account, twilio_webhook):
    response = twilio_webhook(MESSAGING, inbound_params(sid="SM" + "1" * 32, to="+14155550100"),
                              token="f" * 32)
    assert response.status_code == 403 and events() == []


def test_a_status_callback_is_recorded_per_status_and_applied_by_the_worker(app, live_account, twilio_webhook):
    from host.models import Chat
    chat = Chat(customer_address="+14155550123", channel="sms", status="active")
    db.session.add(chat)
    db.session.flush()
    db.session.add(Message(chat_id=chat.id, direction="out", channel="sms", body="Hi", external_id="SM" + "9" * 32,
                           status="sent", recipient="+14155550123"))
    db.session.commit()
    sid = "SM" + "9" * 32
    for status in ("delivered", "delivered", "read"):
        assert twilio_webhook(STATUS, status_params(sid, status)).status_code == 204
    assert [e.external_id for e in events()] == [f"status:{sid}:delivered", f"status:{sid}:read"]
    assert messages()[0].status == "sent"
    drain(app)
    assert messages()[0].status == "read"


def test_a_worker_dying_after_the_ack_loses_nothing(app, live_account, twilio_webhook):
    from datetime import timedelta

    from host import work_queue
    from host.models import utcnow

    twilio_webhook(MESSAGING, inbound_params(sid="SM" + "1" * 32, to="+14155550100", body="Still there?"))
    inbox = app.extensions["switchboard"].inbox
    claimed = work_queue.claim_many(InboxEvent, inbox.due_ids(), 60)  # a worker takes it, then is killed
    assert claimed and messages() == []
    db.session.execute(db.update(InboxEvent).values(locked_until=utcnow() - timedelta(seconds=1)))  # lease over
    db.session.commit()
    drain(app)
    assert [m.body for m in messages()] == ["Still there?"]


def test_a_batch_of_customers_messages_is_stored_together_and_a_repeat_among_them_changes_nothing(
        app, live_account, twilio_webhook, recorder):
    """Three customers' messages are claimed in one batch and stored in one transaction.
    One of them was stored already (a worker died after storing it, before marking its
    event done): the batch is refused as a whole and each is stored on its own, so the
    others are stored once and the repeat is neither stored again nor announced twice."""
    from host.models import Chat

    sids = ["SM" + str(n) * 32 for n in (1, 2, 3)]
    for n, sid in enumerate(sids):
        twilio_webhook(MESSAGING, inbound_params(sid=sid, frm=f"+1415555012{n}", to="+14155550100",
                                                 body=f"Hello {n}"))
    chat = Chat(customer_address="+14155550121", channel="sms", status="queued")
    db.session.add(chat)
    db.session.flush()
    db.session.add(Message(chat_id=chat.id, direction="in", channel="sms", body="Hello 1", external_id=sids[1],
                           status="received", sender="+14155550121"))
    db.session.commit()

    drain(app)
    assert sorted((m.external_id, m.body) for m in messages()) == sorted(
        (sid, f"Hello {n}") for n, sid in enumerate(sids))
    assert sorted(e.message["body"] for e in recorder.of("message_received")) == ["Hello 0", "Hello 2"]
    assert [e.state for e in events()] == ["done", "done", "done"]

