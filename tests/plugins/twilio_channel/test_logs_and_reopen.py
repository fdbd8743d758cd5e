"""Logs across a customer's chats, and reopening an archived chat on the preferred channel."""
from __future__ import annotations

from datetime import timedelta

import pytest

from host import hookimpl
from host.chats import channel_address
from host.contracts import ContactRef
from host.extensions import db
from host.models import Call, Chat, Group, Message, utcnow
from plugins.twilio_channel.models import SimulatedMessage
from plugins.twilio_channel.testing.webhooks import inbound_params

TEMPLATE = {"sid": "HX" + "0" * 31 + "2", "variables": {"1": "Maria"}, "name": "follow_up"}


def group_id(name):
    return db.session.execute(db.select(Group.id).where(Group.name == name)).scalar_one()


def add_chat(address, channel, status="active", contact_id=None, group="Support", minutes_ago=0, messages=()):
    chat = Chat(channel=channel, customer_address=address, status=status, contact_id=contact_id,
                group_id=group_id(group), sender="+14155550000")
    db.session.add(chat)
    for offset, fields in enumerate(messages):
        created = utcnow() - timedelta(minutes=minutes_ago - offset)
        db.session.add(Message(chat=chat, created_at=created,
                               **{"direction": "out", "status": "sent", "channel": channel, **fields}))
    db.session.commit()
    return chat


def test_logs_cover_active_and_archived_chats_of_the_same_number(app, admin, agent, api):
    old = add_chat("+14155550123", "sms", status="archived", minutes_ago=120, messages=[
        {"body": "Your refund is on its way", "status": "delivered", "sender": "+14155550000"},
        {"body": "Did it arrive?", "status": "undelivered", "error_code": "30003",
         "error_message": "The customer's phone could not be reached (Twilio error 30003)."},
        {"body": "Thanks!", "direction": "in", "status": "received"},
    ])
    current = add_chat("whatsapp:+14155550123", "whatsapp", minutes_ago=5, messages=[
        {"body": "", "kind": "template", "template": TEMPLATE, "agent_id": agent.id,
         "sender": "whatsapp:+14155550000"},
    ])
    add_chat("+14155559999", "sms", messages=[{"body": "someone else"}])
    add_chat("+14155550123", "sms", group="Sales", status="archived", messages=[{"body": "Sales only"}])
    rows = api(agent).get(f"/api/v1/twilio/logs?chat_id={current.id}").get_json()
    assert [(r["chat_id"], r["channel"], r["body"]) for r in rows] == [
        (current.id, "whatsapp", "Template: follow_up"),
        (old.id, "sms", "Did it arrive?"),
        (old.id, "sms", "Your refund is on its way"),
    ]
    template_row, failed, delivered = rows
    assert template_row["template_name"] == "follow_up" and template_row["agent_name"] == "Sam Agent"
    assert (failed["status"], failed["display_status"], failed["error_code"]) == ("undelivered", "failed", "30003")
    assert "30003" in failed["error_message"] and failed["chat_status"] == "archived"
    assert delivered["sender"] == "+14155550000" and delivered["time"]

    sms_only = api(agent).get(f"/api/v1/twilio/logs?chat_id={current.id}&channel=sms").get_json()
    assert {r["channel"] for r in sms_only} == {"sms"} and len(sms_only) == 2
    assert len(api(admin).get(f"/api/v1/twilio/logs?chat_id={current.id}&channel=sms").get_json()) == 3  # + Sales


def test_logs_follow_the_contact_and_list_outgoing_calls(app, agent, api):
    first = add_chat("+14155550123", "sms", status="archived", contact_id=7, minutes_ago=60,
                     messages=[{"body": "From the first number"}])
    second = add_chat("+447700900123", "sms", contact_id=7, messages=[{"body": "From the second number"}])
    db.session.add(Call(chat_id=first.id, call_sid="CA" + "1" * 32, direction="out", status="completed",
                        from_address="+14155550000", to_address="+14155550123", duration=95,
                        started_at=utcnow() - timedelta(minutes=30)))
    db.session.commit()
    rows = api(agent).get(f"/api/v1/twilio/logs?chat_id={second.id}").get_json()
    assert [r["body"] for r in rows] == ["From the second number", "Outgoing call (1:35)", "From the first number"]
    voice = api(agent).get(f"/api/v1/twilio/logs?chat_id={second.id}&channel=voice").get_json()
    assert [(r["channel"], r["status"]) for r in voice] == [("voice", "completed")]


def test_all_channels_lists_each_call_once_and_names_attachments(app, agent, api):
    chat = add_chat("+14155550123", "sms", messages=[
        {"body": "", "kind": "media", "media": [
            {"url": "https://files.example.com/up/invoice%20March.pdf?sig=1", "content_type": "application/pdf"},
            {"url": "https://files.example.com/up/photo.jpg", "content_type": "image/jpeg"}]},
        # the transcript line an outgoing call leaves in its chat
        {"body": "Outgoing call, 1:35", "kind": "call", "channel": "voice", "status": "delivered"},
    ])
    db.session.add(Call(chat_id=chat.id, call_sid="CA" + "2" * 32, direction="out", status="completed",
                        from_address="+14155550000", to_address="+14155550123", duration=95,
                        started_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    rows = api(agent).get(f"/api/v1/twilio/logs?chat_id={chat.id}").get_json()
    calls = [r for r in rows if r["channel"] == "voice"]
    assert [(r["kind"], r["body"]) for r in calls] == [("call", "Outgoing call (1:35)")]
    (media,) = [r for r in rows if r["kind"] == "media"]
    assert media["attachments"] == [{"name": "invoice March.pdf", "content_type": "application/pdf"},
                                    {"name": "photo.jpg", "content_type": "image/jpeg"}]
    assert media["body"] == "Attachments: invoice March.pdf, photo.jpg"
    voice = api(agent).get(f"/api/v1/twilio/logs?chat_id={chat.id}&channel=voice").get_json()
    assert [r["body"] for r in voice] == ["Outgoing call (1:35)"]
    # The lines the logs word themselves come in the agent's language.
    agent.language = "pl"
    db.session.commit()
    rows = api(agent).get(f"/api/v1/twilio/logs?chat_id={chat.id}").get_json()
    assert [r["body"] for r in rows if r["channel"] == "voice"] == ["Połączenie wychodzące (1:35)"]
    assert [r["body"] for r in rows if r["kind"] == "media"] == ["Załączniki: invoice March.pdf, photo.jpg"]


def test_logs_validate_their_arguments(app, agent, api):
    response = api(agent).get("/api/v1/twilio/logs?chat_id=1&channel=fax")
    assert response.status_code == 422
    assert response.get_json()["errors"]["query"]["channel"] == ["Choose sms, whatsapp or voice."]
    assert api(agent).get("/api/v1/twilio/logs").status_code == 422
    # The refusals speak the agent's language.
    agent.language = "pl"
    refused = api(agent).get("/api/v1/twilio/logs?chat_id=0&channel=fax").get_json()["errors"]["query"]
    assert refused == {"channel": ["Wybierz sms, whatsapp lub voice."], "chat_id": ["Podaj id czatu (liczbę dodatnią)."]}
    assert api(agent).get("/api/v1/twilio/logs?chat_id=12345").status_code == 404


# --- reopening on the preferred channel ------------------------------------------------------

@pytest.mark.parametrize("channel, address, expected", [
    ("whatsapp", "+14155550123", "whatsapp:+14155550123"), ("sms", "whatsapp:+14155550123", "+14155550123"),
    ("voice", "whatsapp:+14155550123", "+14155550123"), ("sms", "+14155550123", "+14155550123")])
def test_channel_address_maps_sms_and_whatsapp(app, channel, address, expected):
    assert channel_address(channel, address) == expected


class PrefersWhatsApp:
    @hookimpl
    def resolve_contact(self, channel, address, profile):
        return ContactRef(id=7, name="Maria Lopez", preferred_channel="whatsapp")


@pytest.fixture
def extra_plugins(loopback):
    return [("loopback", loopback), ("test.contacts", PrefersWhatsApp())]


def test_reopen_uses_the_contacts_preferred_channel(app, agent, api, twilio_webhook, simulator):
    assert twilio_webhook("/webhooks/twilio/messaging", inbound_params(body="Hi by SMS")).status_code == 200
    chat = db.session.execute(db.select(Chat)).scalar_one()
    assert (chat.channel, chat.contact_id) == ("sms", 7)
    assert api(agent).post(f"/api/v1/chats/{chat.id}/archive").status_code == 200

    reopened = api(agent).post(f"/api/v1/chats/{chat.id}/reopen", json={})
    assert reopened.status_code == 200, reopened.get_json()
    body = reopened.get_json()
    assert (body["status"], body["channel"], body["customer_address"]) == ("active", "whatsapp",
                                                                           "whatsapp:+14155550123")

    # No WhatsApp message from this customer yet: free text is refused, a template goes out
    # from our WhatsApp sender although the chat is bound to the SMS number.
    assert api(agent).post(f"/api/v1/chats/{chat.id}/messages", json={"body": "Hi"}).status_code == 409
    sent = api(agent).post(f"/api/v1/chats/{chat.id}/messages", json={"template": TEMPLATE})
    assert sent.status_code == 201
    app.extensions["switchboard"].outbox.drain()
    message = db.session.get(Message, sent.get_json()["id"])
    sim = db.session.get(SimulatedMessage, message.external_id)
    assert (sim.from_address, sim.to_address, sim.content_sid) == (
        "whatsapp:+14155550000", "whatsapp:+14155550123", TEMPLATE["sid"])


def test_reopen_on_an_explicit_channel(app, agent, api, twilio_webhook):
    twilio_webhook("/webhooks/twilio/messaging", inbound_params(frm="whatsapp:+14155550123",
                                                               to="whatsapp:+14155550000"))
    chat = db.session.execute(db.select(Chat)).scalar_one()
    api(agent).post(f"/api/v1/chats/{chat.id}/archive")
    body = api(agent).post(f"/api/v1/chats/{chat.id}/reopen", json={"channel": "sms"}).get_json()
    assert (body["channel"], body["customer_address"]) == ("sms", "+14155550123")
