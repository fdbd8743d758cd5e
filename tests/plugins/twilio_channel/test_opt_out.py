"""Opt-out as Twilio does it: plain numbers send the bare keyword, Advanced Opt-Out adds OptOutType.

A plain number (no Messaging Service with Advanced Opt-Out) forwards "STOP",
"unsubscribe", "Cancel" … as an ordinary message: Twilio's default SMS keyword lists,
the whole message, any case. ``OptOutType`` comes only from Advanced Opt-Out and wins
when present. The simulator does the same, and refuses sends to an opted-out customer
with 21610 until they text START.
"""
from __future__ import annotations

import pytest

from host import settings
from host.extensions import db
from host.models import Message
from plugins.twilio_channel.simulator import engine as simulator_module
from plugins.twilio_channel.models import SimulatedMessage
from plugins.twilio_channel.testing.webhooks import inbound_params

MESSAGING = "/webhooks/twilio/messaging"
AOO_SERVICE = "MG" + "a0" * 16


def opt_out_of(recorder):
    return recorder.of("message_received")[-1].opt_out


@pytest.mark.parametrize("body, expected", [
    ("STOP", "stop"), ("  Cancel ", "stop"), ("unsubscribe", "stop"), ("StopAll", "stop"), ("end", "stop"),
    ("quit", "stop"), ("revoke", "stop"), ("OPTOUT", "stop"),
    ("start", "start"), ("Yes", "start"), (" UNSTOP", "start"),
    ("HELP", None), ("info", None), ("STOP PLEASE", None), ("please cancel my order", None), ("stop.", None),
])
def test_a_plain_number_sends_bare_keywords_and_they_count(app, agent, recorder, twilio_webhook, body, expected):
    response = twilio_webhook(MESSAGING, inbound_params(body=body))  # no OptOutType, as Twilio sends it
    assert response.status_code == 200
    assert opt_out_of(recorder) == expected


@pytest.mark.parametrize("body, opt_out_type, expected", [
    ("alto", "STOP", "stop"),       # an Advanced Opt-Out keyword Twilio's default list doesn't have
    ("inicio", "START", "start"),
    ("STOP", "HELP", None),         # OptOutType wins over the body
    ("stop", "stop", "stop"),
])
def test_opt_out_type_wins_when_present(app, agent, recorder, twilio_webhook, body, opt_out_type, expected):
    twilio_webhook(MESSAGING, inbound_params(body=body, OptOutType=opt_out_type))
    assert opt_out_of(recorder) == expected


def test_in_an_advanced_opt_out_service_no_opt_out_type_means_no_keyword(app, agent, recorder, twilio_webhook):
    # The service's own lists may have dropped CANCEL: without OptOutType Twilio did not treat it as one.
    settings.save("twilio_channel", {"advanced_opt_out_service_sids": [AOO_SERVICE]})
    twilio_webhook(MESSAGING, inbound_params(body="cancel", MessagingServiceSid=AOO_SERVICE))
    assert opt_out_of(recorder) is None
    twilio_webhook(MESSAGING, inbound_params(sid="SM" + "b" * 32, body="cancel", MessagingServiceSid="MG" + "b" * 32))
    assert opt_out_of(recorder) == "stop"  # another service without Advanced Opt-Out: default lists


def test_whatsapp_keywords_count_only_with_opt_out_type(app, agent, recorder, twilio_webhook):
    # Twilio's default filtering is SMS only; WhatsApp opts out through Advanced Opt-Out.
    whatsapp = {"frm": "whatsapp:+447700900123", "to": "whatsapp:+14155550000"}
    twilio_webhook(MESSAGING, inbound_params(body="STOP", **whatsapp))
    assert opt_out_of(recorder) is None
    twilio_webhook(MESSAGING, inbound_params(sid="SM" + "c" * 32, body="STOP", OptOutType="STOP", **whatsapp))
    assert opt_out_of(recorder) == "stop"


def test_the_advanced_opt_out_setting_takes_only_service_sids(app, admin, signed_in):
    client = signed_in(admin)
    response = client.post("/admin/plugins/twilio_channel/settings", data={
        "csrf_token": client.csrf_token, "advanced_opt_out_service_sids": '["+14155550000"]'})
    assert response.status_code == 200
    assert "is not a Messaging Service SID" in response.get_data(as_text=True)
    assert settings.stored("twilio_channel") == {}


# --- the simulator ---------------------------------------------------------------------------

@pytest.fixture
def posted(monkeypatch):
    """Every webhook the simulator posts: (url, params)."""
    seen = []
    real = simulator_module.post_signed

    def record(app, url, params, token):
        seen.append((url, dict(params)))
        return real(app, url, params, token)

    monkeypatch.setattr(simulator_module, "post_signed", record)
    return seen


def inbound_posts(posted):
    return [params for url, params in posted if url.endswith(MESSAGING)]


def test_simulator_plain_number_never_sends_opt_out_type(app, simulator, recorder, posted):
    for body in ("Hello", "STOP", "start", "HELP"):
        simulator.customer_sends("+14155550123", "+14155550000", body)
    assert [p.get("OptOutType") for p in inbound_posts(posted)] == [None, None, None, None]
    # … and Switchboard still hears the keywords, from the message itself
    assert [e.opt_out for e in recorder.of("message_received")] == [None, "stop", "start", None]
    replies = db.session.execute(db.select(SimulatedMessage.body).where(
        SimulatedMessage.direction == "outbound-reply").order_by(SimulatedMessage.created_at)).scalars().all()
    assert len(replies) == 3 and "unsubscribed" in replies[0]  # Twilio answers keywords itself


def test_simulator_advanced_opt_out_service_sends_opt_out_type(app, simulator, recorder, posted):
    settings.save("twilio_channel", {"numbers": ["+14155550000"], "messaging_service_sids": [AOO_SERVICE],
                                     "advanced_opt_out_service_sids": [AOO_SERVICE]})
    for body in ("Hello", " stop ", "START", "help"):
        simulator.customer_sends("+14155550123", "+14155550000", body)
    posts = inbound_posts(posted)
    assert [p.get("OptOutType") for p in posts] == [None, "STOP", "START", "HELP"]
    assert {p["MessagingServiceSid"] for p in posts} == {AOO_SERVICE}
    assert [e.opt_out for e in recorder.of("message_received")] == [None, "stop", "start", None]


def test_simulator_whatsapp_without_advanced_opt_out_filters_nothing(app, simulator, recorder, posted):
    simulator.customer_sends("+447700900123", "+14155550000", "STOP", channel="whatsapp")
    assert inbound_posts(posted)[0].get("OptOutType") is None
    assert recorder.of("message_received")[-1].opt_out is None
    assert not simulator.opted_out("whatsapp:+447700900123", "whatsapp:+14155550000")


def reply(api, agent, chat_id, body):
    response = api(agent).post(f"/api/v1/chats/{chat_id}/messages", json={"body": body})
    assert response.status_code == 201, response.json
    return response.json["id"]


def sent(app, message_id):
    app.extensions["switchboard"].outbox.drain()
    message = db.session.get(Message, message_id)
    db.session.refresh(message)
    return message


def test_simulator_refuses_opted_out_recipients_with_21610_per_number_until_start(app, agent, api, simulator):
    settings.save("twilio_channel", {"numbers": ["+14155550000", "+14155550001"]})
    simulator.customer_sends("+14155550123", "+14155550000", "Hi")
    chat_id = recorder_chat(simulator)
    simulator.customer_sends("+14155550123", "+14155550000", "Stop")
    refused = sent(app, reply(api, agent, chat_id, "Still there?"))
    assert (refused.status, refused.error_code) == ("failed", "21610")
    # Twilio blocks the pair: the same customer is still reachable from our other number
    assert not simulator.opted_out("+14155550123", "+14155550001")
    simulator.customer_sends("+14155550123", "+14155550000", "unstop")
    accepted = sent(app, reply(api, agent, chat_id, "Welcome back"))
    assert accepted.status == "queued" and accepted.external_id.startswith("SM")


def recorder_chat(simulator):
    from host.models import Chat

    return db.session.execute(db.select(Chat.id).where(Chat.customer_address == "+14155550123")).scalar_one()


# --- with the contacts plugin keeping consent ------------------------------------------------

class TestWithContacts:
    @pytest.fixture
    def switchboard_plugins(self):
        return "twilio_channel,contacts"

    def identity(self):
        from plugins.contacts.models import ContactIdentity

        return db.session.execute(db.select(ContactIdentity).filter_by(kind="phone", address="+14155550123")
                                  ).scalar_one()

    def test_a_plain_stop_blocks_at_once_and_start_unblocks(self, app, agent, api, simulator):
        simulator.customer_sends("+14155550123", "+14155550000", "Hi")
        chat_id = recorder_chat(simulator)
        simulator.customer_sends("+14155550123", "+14155550000", "Cancel")
        assert self.identity().opted_out is True
        created = len(simulator.created)
        refused = sent(app, reply(api, agent, chat_id, "Are you there?"))
        assert (refused.status, refused.error_code) == ("failed", "opted-out")  # refused here, Twilio never asked
        assert len(simulator.created) == created
        simulator.customer_sends("+14155550123", "+14155550000", "Start")
        assert self.identity().opted_out is False
        assert sent(app, reply(api, agent, chat_id, "Welcome back")).status == "queued"

    def test_an_opt_in_after_a_21610_unblocks_the_customer(self, app, agent, api, simulator):
        simulator.customer_sends("+14155550123", "+14155550000", "Hi")
        chat_id = recorder_chat(simulator)
        # The customer texted STOP before Switchboard was connected: Twilio knows, we don't.
        db.session.add(SimulatedMessage(sid="SM" + "5" * 32, direction="inbound", from_address="+14155550123",
                                        to_address="+14155550000", body="STOP", status="received"))
        db.session.commit()
        refused = sent(app, reply(api, agent, chat_id, "Your parcel is here"))
        assert (refused.status, refused.error_code) == ("failed", "21610")
        assert self.identity().opted_out is True
        simulator.customer_sends("+14155550123", "+14155550000", "yes")  # a plain number: no OptOutType
        assert self.identity().opted_out is False
        again = sent(app, reply(api, agent, chat_id, "Your parcel is here"))
        assert again.status == "queued" and again.external_id.startswith("SM")
