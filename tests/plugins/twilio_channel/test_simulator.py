"""The offline simulator end to end: real twilio client → simulator → signed callbacks → host."""
from __future__ import annotations

from datetime import timedelta

from host.extensions import db
from host.models import Chat, Message, OutboxItem, utcnow
from plugins.twilio_channel.models import SimulatedMessage
from plugins.twilio_channel.settings import SIMULATOR_ACCOUNT_SID, load_config


def chat_of(address):
    return db.session.execute(db.select(Chat).where(Chat.customer_address == address)).scalar_one()


def reply(api, agent, chat, **json):
    response = api(agent).post(f"/api/v1/chats/{chat.id}/messages", json=json)
    assert response.status_code == 201, response.get_json()
    return db.session.get(Message, response.get_json()["id"])


def drain(app):
    return app.extensions["switchboard"].outbox.drain()


def test_without_credentials_the_simulator_is_the_account(app):
    account = load_config().account
    assert account.mode == "simulator" and account.sid == SIMULATOR_ACCOUNT_SID
    assert len(account.token) == 32 and account.token not in app.config["SECRET_KEY"]


def test_reply_is_sent_through_the_real_client_and_status_callbacks_come_back(app, agent, api, simulator,
                                                                              recorder):
    status, _ = simulator.customer_sends("+14155550123", "+14155550000", "Hi, is my parcel lost?")
    assert status == 200
    chat = chat_of("+14155550123")
    message = reply(api, agent, chat, body="Let me check that for you.")
    assert drain(app) == 1
    db.session.refresh(message)
    assert message.status == "queued" and message.external_id.startswith("SM")  # Twilio's answer to a create
    sim = db.session.get(SimulatedMessage, message.external_id)
    assert (sim.from_address, sim.to_address, sim.body) == ("+14155550000", "+14155550123", "Let me check that for you.")
    assert sim.status_callback == app.config["SWITCHBOARD_PUBLIC_URL"] + "/webhooks/twilio/status"

    assert simulator.run_pending() == 2  # sent, delivered — signed, through the real endpoint
    db.session.refresh(message)
    assert message.status == "delivered"
    changes = [e.message["status"] for e in recorder.of("message_status_changed")]
    assert changes == ["sent", "delivered"]


def test_customer_phone_page_round_trip(app, admin, signed_in, simulator):
    client = signed_in(admin)
    page = client.get("/simulator/phone")
    assert page.status_code == 200 and "Customer phone" in page.get_data(as_text=True)
    response = client.post("/simulator/phone/send", json={"from": "(415) 555-0188", "channel": "sms", "body": "Hello?"},
                           headers={"X-CSRFToken": client.csrf_token})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["webhook_status"] == 200
    chat = chat_of("+14155550188")
    response = client.post(f"/api/v1/chats/{chat.id}/messages", json={"body": "Hi there!"},
                           headers={"X-CSRFToken": client.csrf_token})
    assert response.status_code == 201
    drain(app)
    simulator.run_pending()
    thread = client.get("/simulator/phone/messages?number=%2B14155550188").get_json()
    assert [(m["direction"], m["body"], m["status"]) for m in thread] == [
        ("inbound", "Hello?", "received"), ("outbound-api", "Hi there!", "delivered")]


def test_customer_phone_validates_and_is_for_admins(app, agent, admin, signed_in):
    assert app.test_client().get("/simulator/phone").status_code == 302
    # It plays every customer (their numbers, what every group sent them).
    assert signed_in(agent).get("/simulator/phone").status_code == 403
    client = signed_in(admin)
    response = client.post("/simulator/phone/send", json={"from": "12", "body": ""},
                           headers={"X-CSRFToken": client.csrf_token})
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"from", "body"}
    # Its refusals come in the admin's language, under the fields' own names.
    refused = client.post("/simulator/phone/send", json={"from": "+14155550188", "channel": "fax", "body": ""},
                          headers={"X-CSRFToken": client.csrf_token, "Accept-Language": "es"}).get_json()["errors"]
    assert refused == {"channel": ["Elige sms o whatsapp."], "body": ["Escribe un mensaje o adjunta un archivo."]}


def test_customer_phone_is_off_with_real_credentials(app, admin, signed_in, live_account):
    client = signed_in(admin)
    assert "works only in simulator mode" in client.get("/simulator/phone").get_data(as_text=True)
    assert client.get("/simulator/phone/messages?number=%2B14155550123").status_code == 409


def test_stop_then_reply_fails_with_21610_without_retry(app, agent, api, simulator, recorder):
    simulator.customer_sends("+14155550123", "+14155550000", "Help me please")
    simulator.customer_sends("+14155550123", "+14155550000", "STOP")
    received = recorder.of("message_received")
    assert [e.opt_out for e in received] == [None, "stop"]
    twilio_reply = db.session.execute(db.select(SimulatedMessage).where(
        SimulatedMessage.direction == "outbound-reply")).scalar_one()
    assert "unsubscribed" in twilio_reply.body  # Twilio answers STOP, we don't
    assert db.session.execute(db.select(db.func.count(Message.id)).where(Message.direction == "out")).scalar() == 0

    message = reply(api, agent, chat_of("+14155550123"), body="Are you still there?")
    drain(app)
    db.session.refresh(message)
    item = db.session.execute(db.select(OutboxItem).where(OutboxItem.message_id == message.id)).scalar_one()
    assert (message.status, message.error_code) == ("failed", "21610")
    assert "replied STOP" in message.error_message
    assert (item.state, item.attempts) == ("dead", 1)
    assert recorder.of("message_status_changed")[-1].opted_out is True

    simulator.customer_sends("+14155550123", "+14155550000", "start")
    again = reply(api, agent, chat_of("+14155550123"), body="Welcome back")
    drain(app)
    db.session.refresh(again)
    assert again.status == "queued" and again.external_id


def test_whatsapp_reply_is_read_and_template_list_comes_from_the_simulator(app, admin, api, simulator):
    simulator.customer_sends("+447700900123", "+14155550000", "Hallo", channel="whatsapp", profile_name="Tom")
    chat = chat_of("whatsapp:+447700900123")
    message = reply(api, admin, chat, body="Hi Tom!")
    drain(app)
    sim = db.session.get(SimulatedMessage, message.external_id)
    assert (sim.from_address, sim.to_address) == ("whatsapp:+14155550000", "whatsapp:+447700900123")
    simulator.run_pending()
    db.session.refresh(message)
    assert message.status == "read"

    templates = api(admin).get("/api/v1/twilio/templates").get_json()
    assert [t["friendly_name"] for t in templates] == ["appointment_reminder", "follow_up", "order_shipped"]
    assert all(t["sid"].startswith("HX") and t["body"] for t in templates)


def test_window_closed_at_the_provider_arrives_as_63016(app, agent, api, simulator):
    simulator.customer_sends("+447700900123", "+14155550000", "Hallo", channel="whatsapp")
    chat = chat_of("whatsapp:+447700900123")
    old = utcnow() - timedelta(hours=25)
    db.session.execute(db.update(SimulatedMessage).values(created_at=old))  # only Twilio's clock says "closed"
    db.session.commit()
    message = reply(api, agent, chat, body="Sorry for the wait")
    drain(app)
    simulator.run_pending()
    db.session.refresh(message)
    assert (message.status, message.error_code) == ("failed", "63016")
    assert "approved template" in message.error_message


def test_magic_invalid_number_fails_at_once(app, agent, api, simulator):
    response = api(agent).post("/api/v1/chats", json={"channel": "sms", "to": "+15005550001", "body": "Hello"})
    assert response.status_code == 201
    drain(app)
    message = db.session.execute(db.select(Message).where(Message.direction == "out")).scalar_one()
    assert (message.status, message.error_code) == ("failed", "21211")
    assert "not a valid number" in message.error_message


def test_credentials_test_against_the_simulator(app, admin, agent, api):
    result = api(admin).post("/api/v1/twilio/credentials/test").get_json()
    assert result["ok"] is True and result["mode"] == "simulator"
    assert "Switchboard simulator" in result["message"]
    assert api(agent).post("/api/v1/twilio/credentials/test").status_code == 403
