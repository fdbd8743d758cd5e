"""SMS/WhatsApp through the Twilio plugin (its offline simulator, signed webhooks) ⇄ LiveChat (the fake)."""
from __future__ import annotations

import httpx
import pytest

from host.extensions import db
from host.models import Chat, Message
from plugins.livechat import sync_queue
from plugins.livechat.models import LiveChatChat, LiveChatEvent, LiveChatSyncItem

CUSTOMER, OUR_NUMBER = "+14155550123", "+14155550000"
LC_AGENT = "agent@example.test"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'


@pytest.fixture
def switchboard_config(lc_transport, media_host):
    return {"LIVECHAT_TRANSPORT": lc_transport, "LIVECHAT_MEDIA_TRANSPORT": httpx.MockTransport(media_host),
            "TWILIO_SIMULATOR_MANUAL": True}


@pytest.fixture
def simulator(app):
    from plugins.twilio_channel.simulator.engine import simulator_for

    return simulator_for(app)


def chat_of(address):
    return db.session.execute(db.select(Chat).where(Chat.customer_address == address)).scalar_one()


def lc_chat_of(chat):
    return db.session.execute(db.select(LiveChatChat.lc_chat_id).where(LiveChatChat.chat_id == chat.id)).scalar_one()


def test_sms_to_livechat_and_a_livechat_reply_back_by_sms_with_delivery(app, livechat, simulator, drain, lc_post,
                                                                        agent):
    fake = livechat
    calls = len(fake.requests)
    status, _ = simulator.customer_sends(CUSTOMER, OUR_NUMBER, "Hi, where is my parcel?")
    assert status == 200
    assert len(fake.requests) == calls  # Twilio's webhook request made no LiveChat call
    drain()
    chat = chat_of(CUSTOMER)
    lc_chat_id = lc_chat_of(chat)
    assert [e["text"] for e in fake.events(lc_chat_id)] == ["Hi, where is my parcel?"]

    body = fake.incoming_event_webhook(lc_chat_id, "It arrives tomorrow.", agent_id=LC_AGENT)
    assert lc_post(body).status_code == 200
    assert app.extensions["switchboard"].outbox.drain() == 1  # Twilio messages.create (simulated)
    reply = db.session.execute(db.select(Message).where(Message.direction == "out")).scalar_one()
    sent = [m for m in simulator.conversation(CUSTOMER) if m.direction == "outbound-api"]
    assert [(m.to_address, m.body) for m in sent] == [(CUSTOMER, "It arrives tomorrow.")]
    simulator.run_pending()  # Twilio's status callbacks: sent, delivered
    db.session.refresh(reply)
    assert reply.status == "delivered"
    drain()
    event = next(e for e in fake.events(lc_chat_id) if e["id"] == body["payload"]["event"]["id"])
    assert event["properties"] == {"status": {"delivered": True}}
    assert db.session.execute(db.select(LiveChatEvent.delivered).where(
        LiveChatEvent.message_id == reply.id)).scalar_one() is True


def test_whatsapp_profile_name_and_mms_reach_livechat(app, livechat, simulator, drain):
    fake = livechat
    jpeg = b"\xff\xd8\xff\xe0 simulated photo"
    simulator.customer_sends(CUSTOMER, OUR_NUMBER, "Photo of the damage", channel="whatsapp",
                             attachments=[("image/jpeg", jpeg)], profile_name="Tom Jones")
    drain()
    chat = chat_of("whatsapp:" + CUSTOMER)
    lc_chat_id = lc_chat_of(chat)
    events = fake.events(lc_chat_id)
    assert [e["type"] for e in events] == ["message", "file"]
    stored = fake.files[events[1]["url"]]
    assert stored["content"] == jpeg and stored["content_type"] == "image/jpeg"
    assert fake.requests_for("update_customer")[-1].json["name"] == "Tom Jones"


def test_twilio_webhook_answers_even_when_livechat_and_its_queue_fail(app, livechat, simulator, drain, monkeypatch,
                                                                     lc_transport, agent, api):
    lc_transport.down = True
    status, _ = simulator.customer_sends(CUSTOMER, OUR_NUMBER, "LiveChat is down")
    assert status == 200
    drain()
    assert {i.state for i in db.session.execute(db.select(LiveChatSyncItem)).scalars()} <= {"pending", "done"}

    monkeypatch.setattr(sync_queue, "enqueue", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("db locked")))
    from plugins.twilio_channel.testing.webhooks import inbound_params, post_twilio

    response = post_twilio(app, "/webhooks/twilio/messaging",
                           inbound_params(sid="SM" + "b" * 32, frm=CUSTOMER, to=OUR_NUMBER, body="still here"))
    assert response.status_code == 200 and response.get_data(as_text=True) == EMPTY_TWIML
    chat = chat_of(CUSTOMER)
    assert [m.body for m in chat.messages] == ["LiveChat is down", "still here"]
    assert api(agent).post(f"/api/v1/chats/{chat.id}/messages", json={"body": "We hear you"}).status_code == 201
    assert app.extensions["switchboard"].outbox.drain() == 1


def test_a_livechat_reply_to_a_call_goes_out_by_sms(app, livechat, simulator, drain, lc_post):
    from host import emit as bus
    from host.chats import open_chat_for
    from host.contracts import ContactRef

    fake = livechat
    chat = open_chat_for("voice", CUSTOMER, ContactRef(id=None), OUR_NUMBER, "inbound")
    bus.commit()
    drain()
    lc_post(fake.incoming_event_webhook(lc_chat_of(chat), "Sorry we missed your call!", agent_id=LC_AGENT))
    reply = db.session.execute(db.select(Message).where(Message.direction == "out")).scalar_one()
    assert (reply.channel, reply.recipient) == ("sms", CUSTOMER)
    app.extensions["switchboard"].outbox.drain()
    sent = [m for m in simulator.conversation(CUSTOMER) if m.direction == "outbound-api"]
    assert [(m.from_address, m.body) for m in sent] == [(OUR_NUMBER, "Sorry we missed your call!")]
