"""The sms/whatsapp adapters: addresses, sender choice, WhatsApp's 24-hour window."""
from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from host import settings
from host.extensions import db
from host.models import Chat, Group, Message, utcnow
from plugins.twilio_channel.messaging import channels, sender
from plugins.twilio_channel.messaging.channels import SMS, WHATSAPP_CHANNEL
from plugins.twilio_channel.messaging.senders import choose_sender
from plugins.twilio_channel.models import SimulatedMessage
from plugins.twilio_channel.settings import load_config
from plugins.twilio_channel.testing.webhooks import inbound_params

TEMPLATE = {"sid": "HX" + "0" * 31 + "1", "variables": {"1": "Tom", "2": "#4411"}, "name": "order_shipped"}


@pytest.mark.parametrize("typed, sms, whatsapp", [
    ("+1 415 555 0100", "+14155550100", "whatsapp:+14155550100"),
    ("(415) 555-0100", "+14155550100", "whatsapp:+14155550100"),        # default region US
    ("whatsapp:+44 20 7946 0000", "+442079460000", "whatsapp:+442079460000"),
])
def test_addresses_are_normalised(app, typed, sms, whatsapp):
    assert SMS.normalise_address(typed) == sms
    assert WHATSAPP_CHANNEL.normalise_address(typed) == whatsapp


@pytest.mark.parametrize("typed, words", [("", "Type the customer's phone number"),
                                          ("hello", "not a phone number"), ("+1 415 555", "not a valid phone number")])
def test_invalid_numbers_get_a_sentence(app, typed, words):
    with pytest.raises(ValueError, match=words):
        SMS.normalise_address(typed)


def test_invalid_number_is_a_422_on_the_api(app, agent, api):
    response = api(agent).post("/api/v1/chats", json={"channel": "sms", "to": "+1 415 555", "body": "Hi"})
    assert response.status_code == 422
    assert "not a valid phone number" in response.get_json()["errors"]["json"]["to"][0]


def test_default_region_comes_from_the_host(app):
    app.config["SWITCHBOARD_DEFAULT_REGION"] = "GB"
    assert SMS.normalise_address("020 7946 0000") == "+442079460000"


def test_sender_choice(app, admin):
    sales = db.session.execute(db.select(Group.id).where(Group.name == "Sales")).scalar_one()
    settings.save("twilio_channel", {
        "numbers": ["+14155550100", "+14155550200"], "whatsapp_senders": ["whatsapp:+14155238886"],
        "messaging_service_sids": ["MG" + "5" * 32], "number_groups": {"+14155550200": "Sales"}})
    config = load_config()
    assert choose_sender(config, "sms", "+14155550999", None) == "+14155550999"      # sticky, even a pool number
    assert choose_sender(config, "sms", None, sales) == "+14155550200"               # the group's number
    assert choose_sender(config, "sms", None, None) == "+14155550100"                # first number
    assert choose_sender(config, "whatsapp", "+14155550100", None) == "whatsapp:+14155238886"  # SMS-only sticky
    assert choose_sender(config, "whatsapp", "whatsapp:+14155238886", None) == "whatsapp:+14155238886"
    assert choose_sender(config, "sms", "MG" + "6" * 32, None) == "MG" + "6" * 32     # chat bound to a pool
    settings.save("twilio_channel", {"messaging_service_sids": ["MG" + "5" * 32]})
    assert choose_sender(load_config(), "sms", None, None) is None                   # → the Messaging Service
    settings.save("twilio_channel", {"numbers": ["+14155550100"], "default_sender": "+14155550300"})
    assert choose_sender(load_config(), "sms", None, None) == "+14155550300"


# --- WhatsApp's window ------------------------------------------------------------------------

def whatsapp_chat(twilio_webhook, hours_ago=0):
    twilio_webhook("/webhooks/twilio/messaging", inbound_params(frm="whatsapp:+447700900123",
                                                               to="whatsapp:+14155550000", body="Hallo"))
    if hours_ago:
        db.session.execute(db.update(Message).values(created_at=utcnow() - timedelta(hours=hours_ago)))
        db.session.commit()
    return db.session.execute(db.select(Chat)).scalar_one()


def test_window_open_after_an_inbound_whatsapp_message(app, agent, api, twilio_webhook):
    chat = whatsapp_chat(twilio_webhook, hours_ago=2)
    window = api(agent).get(f"/api/v1/twilio/whatsapp/window?chat_id={chat.id}").get_json()
    assert window["applies"] is True and window["open"] is True and window["message"] is None
    assert 21 * 3600 < window["seconds_left"] <= 22 * 3600
    assert window["closes_at"].startswith((utcnow() + timedelta(hours=22)).strftime("%Y-%m-%d"))


def test_outside_the_window_free_text_is_refused_and_templates_pass(app, agent, api, twilio_webhook, simulator):
    chat = whatsapp_chat(twilio_webhook, hours_ago=25)
    window = api(agent).get(f"/api/v1/twilio/whatsapp/window?chat_id={chat.id}").get_json()
    assert window["open"] is False and window["seconds_left"] == 0
    assert "approved template" in window["message"]

    refused = api(agent).post(f"/api/v1/chats/{chat.id}/messages", json={"body": "Still there?"})
    assert refused.status_code == 409
    assert "24 hours" in refused.get_json()["message"]
    assert db.session.execute(db.select(db.func.count(Message.id)).where(Message.direction == "out")).scalar() == 0

    sent = api(agent).post(f"/api/v1/chats/{chat.id}/messages", json={"template": TEMPLATE})
    assert sent.status_code == 201 and sent.get_json()["kind"] == "template"
    app.extensions["switchboard"].outbox.drain()
    message = db.session.get(Message, sent.get_json()["id"])
    sim = db.session.get(SimulatedMessage, message.external_id)
    assert sim.content_sid == TEMPLATE["sid"] and sim.body.startswith("Hi Tom, good news: your order #4411")


def test_the_window_and_the_numbers_are_refused_in_the_agents_language(app, agent, api, twilio_webhook):
    chat = whatsapp_chat(twilio_webhook, hours_ago=25)
    agent.language = "pl"
    db.session.commit()
    window = api(agent).get(f"/api/v1/twilio/whatsapp/window?chat_id={chat.id}").get_json()
    assert window["message"] == ("Od ostatniej wiadomości WhatsApp tego klienta do +14155550000 minęło ponad 24 "
                                 "godziny, więc WhatsApp pozwala teraz wysłać tylko zatwierdzony szablon. Wybierz "
                                 "szablon w karcie WhatsApp.")
    refused = api(agent).post(f"/api/v1/chats/{chat.id}/messages", json={"body": "Jesteś tam?"})
    assert refused.status_code == 409 and refused.get_json()["message"] == window["message"]
    agent.language = "es"
    db.session.commit()
    refused = api(agent).post("/api/v1/chats", json={"channel": "sms", "to": "+1 415 555", "body": "Hola"})
    assert refused.status_code == 422
    assert refused.get_json()["errors"]["json"]["to"] == [
        "«+1 415 555» no es un número de teléfono válido para su país. Revisa las cifras e incluye el prefijo del "
        "país (por ejemplo +44 20 7946 0000)."]


def test_first_whatsapp_message_to_a_new_number_needs_a_template(app, agent, api):
    refused = api(agent).post("/api/v1/chats", json={"channel": "whatsapp", "to": "+14155550177", "body": "Hi"})
    assert refused.status_code == 409 and "template" in refused.get_json()["message"]
    assert db.session.execute(db.select(db.func.count(Chat.id))).scalar() == 0  # nothing half-created
    ok = api(agent).post("/api/v1/chats", json={"channel": "whatsapp", "to": "+14155550177", "template": TEMPLATE})
    assert ok.status_code == 201 and ok.get_json()["customer_address"] == "whatsapp:+14155550177"


def test_a_message_that_waited_past_the_window_fails_without_retry(app, agent, api, twilio_webhook):
    chat = whatsapp_chat(twilio_webhook, hours_ago=1)
    queued = api(agent).post(f"/api/v1/chats/{chat.id}/messages", json={"body": "Late answer"})
    assert queued.status_code == 201
    db.session.execute(db.update(Message).where(Message.direction == "in")
                       .values(created_at=utcnow() - timedelta(hours=30)))
    db.session.commit()
    app.extensions["switchboard"].outbox.drain()
    message = db.session.get(Message, queued.get_json()["id"])
    db.session.refresh(message)
    assert (message.status, message.error_code) == ("failed", "63016")


def test_sms_chat_shows_the_customers_whatsapp_window(app, agent, api, twilio_webhook):
    twilio_webhook("/webhooks/twilio/messaging", inbound_params())
    chat = db.session.execute(db.select(Chat)).scalar_one()
    window = api(agent).get(f"/api/v1/twilio/whatsapp/window?chat_id={chat.id}").get_json()
    assert window["channel"] == "sms" and window["open"] is False and window["last_inbound_at"] is None
    assert api(agent).get("/api/v1/twilio/whatsapp/window?chat_id=999").status_code == 404
    assert api(agent).get("/api/v1/twilio/whatsapp/window").status_code == 422


# --- which channels are set up -------------------------------------------------------------

def offered_channels(api, agent):
    return sorted(c["key"] for c in api(agent).get("/api/v1/channels").json if c["plugin"] == "twilio_channel")


def test_the_simulator_offers_every_twilio_channel(app, api, agent):
    assert offered_channels(api, agent) == ["sms", "voice", "whatsapp"]


def test_half_entered_credentials_offer_no_twilio_channel_and_sends_name_the_missing_one(app, api, agent):
    from host import settings
    from plugins.twilio_channel.testing.webhooks import LIVE_SID

    settings.save("twilio_channel", {"account_sid": LIVE_SID, "numbers": ["+14155550100"]})
    assert offered_channels(api, agent) == []
    response = api(agent).post("/api/v1/chats", json={"channel": "sms", "to": "+14155550123", "body": "Hi"})
    assert response.status_code == 422
    assert response.json["errors"]["json"]["channel"] == [
        "SMS isn't set up yet: Auth token is missing from the Twilio settings. "
        "An admin can fill it in on the Plugins page."]
    call = api(agent).post("/api/v1/voice/calls", json={"to": "+14155550123"})
    assert call.status_code == 409 and "Voice isn't set up yet: Auth token is missing" in call.json["message"]


def test_a_live_account_offers_only_the_channels_it_can_send_on(app, api, agent):
    from host import settings
    from plugins.twilio_channel.testing.webhooks import LIVE_SID, LIVE_TOKEN

    settings.save("twilio_channel", {"account_sid": LIVE_SID, "auth_token": LIVE_TOKEN})
    assert offered_channels(api, agent) == []  # nowhere to send from, no browser calls
    settings.save("twilio_channel", {"account_sid": LIVE_SID, "auth_token": LIVE_TOKEN, "numbers": ["+14155550100"]})
    assert offered_channels(api, agent) == ["sms"]
    refused = api(agent).post("/api/v1/chats", json={"channel": "whatsapp", "to": "+14155550123", "body": "Hi"})
    assert "WhatsApp senders is missing from the Twilio settings" in refused.json["errors"]["json"]["channel"][0]
    call = api(agent).post("/api/v1/voice/calls", json={"to": "+14155550123"})
    assert call.status_code == 409 and call.json["message"] == (
        "Voice isn't set up yet: API key SID (voice), API key secret (voice) and TwiML App SID (voice) are missing "
        "from the Twilio settings. An admin can fill them in on the Plugins page.")
    settings.save("twilio_channel", {"account_sid": LIVE_SID, "auth_token": LIVE_TOKEN,
                                     "messaging_service_sids": ["MG" + "4" * 32], "api_key_sid": "SK" + "1" * 32,
                                     "api_key_secret": "voice-key-secret-" + "s" * 32, "twiml_app_sid": "AP" + "2" * 32})
    assert offered_channels(api, agent) == ["sms", "voice", "whatsapp"]


class _Unreachable:
    """A Twilio client whose every request times out."""

    class messages:  # noqa: N801 - the attribute twilio-python's client has
        @staticmethod
        def create(**params):
            raise requests.ConnectTimeout("connect timeout=10")


def test_twilio_timing_out_is_worded_in_the_readers_language(app, agent, api, twilio_webhook, monkeypatch):
    twilio_webhook("/webhooks/twilio/messaging", inbound_params())
    chat = db.session.execute(db.select(Chat)).scalar_one()
    queued = api(agent).post(f"/api/v1/chats/{chat.id}/messages", json={"body": "Are you there?"}).get_json()
    monkeypatch.setattr(channels, "twilio_client", lambda account: _Unreachable())
    app.extensions["switchboard"].outbox.drain()
    message = db.session.get(Message, queued["id"])
    db.session.refresh(message)
    assert (message.status, message.error_code) == ("queued", "twilio-timeout")
    assert message.error_message == ("Not sent yet, retrying: Twilio timed out; the message will be retried "
                                     "automatically.")  # the row keeps English
    agent.language = "es"
    db.session.commit()
    (shown,) = [m for m in api(agent).get(f"/api/v1/chats/{chat.id}/messages").get_json() if m["id"] == message.id]
    assert shown["error_message"] == "Aún no enviado, se reintentará: Twilio no respondió a tiempo."
    (logged,) = api(agent).get(f"/api/v1/twilio/logs?chat_id={chat.id}").get_json()
    assert logged["error_message"] == shown["error_message"]


def test_the_logs_word_the_hosts_own_codes_in_the_readers_language(app, agent, api, twilio_webhook):
    twilio_webhook("/webhooks/twilio/messaging", inbound_params())
    chat = db.session.execute(db.select(Chat)).scalar_one()
    db.session.add(Message(chat=chat, direction="out", channel="sms", body="Hi", status="queued",
                           error_code="unreachable",
                           error_message="Not sent yet, retrying: The provider could not be reached."))
    agent.language = "pl"
    db.session.commit()
    (logged,) = api(agent).get(f"/api/v1/twilio/logs?chat_id={chat.id}").get_json()
    assert logged["error_message"] == "Jeszcze nie wysłano, ponawiamy: Nie udało się połączyć z dostawcą."


@pytest.mark.parametrize("code", sorted(sender.OWN_FAILURES))
def test_every_own_failure_code_fits_the_column_and_is_worded(app, code):
    assert len(code) <= Message.error_code.type.length and not code.isdigit()
    assert SMS.explain_failure(code, {}) == str(sender.OWN_FAILURES[code])
