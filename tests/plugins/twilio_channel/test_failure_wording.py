"""A failed Twilio message is worded for each reader from its code and the values kept
with it (``SendError.detail`` → ``messages.error_detail`` → ``explain_failure(code,
detail)``): the file refused and its size, Twilio's HTTP status and its own words."""
from __future__ import annotations

import pytest
from twilio.base.exceptions import TwilioRestException

from host import chats as service
from host.extensions import db
from host.models import Chat, Message
from plugins.twilio_channel.messaging import channels
from plugins.twilio_channel.messaging.channels import SMS, WHATSAPP_CHANNEL
from plugins.twilio_channel.testing.webhooks import inbound_params


def _chat(twilio_webhook, whatsapp=False):
    params = inbound_params()
    if whatsapp:
        params = {**params, "From": "whatsapp:" + params["From"], "To": "whatsapp:" + params["To"]}
    twilio_webhook("/webhooks/twilio/messaging", params)
    return db.session.execute(db.select(Chat)).scalar_one()


def _shown(api, agent, chat, message_id, language):
    agent.language = language
    db.session.commit()
    (shown,) = [m for m in api(agent).get(f"/api/v1/chats/{chat.id}/messages").get_json() if m["id"] == message_id]
    return shown["error_message"]


def test_a_file_too_large_for_whatsapp_is_worded_with_its_name_and_sizes(app, agent, api, twilio_webhook):
    chat = _chat(twilio_webhook, whatsapp=True)
    # Queued past the API's check (a plugin's reply): the channel refuses it when it sends.
    media = [{"url": "https://files.example.com/plan.jpg", "content_type": "image/jpeg", "filename": "plan.jpg",
              "size": 6_500_000}]
    queued = service.reply(chat, agent, body="", media=media)
    db.session.commit()
    app.extensions["switchboard"].outbox.drain()
    message = db.session.get(Message, queued.id)
    db.session.refresh(message)
    assert (message.status, message.error_code) == ("failed", "11751")
    assert message.error_message.startswith("plan.jpg is 6.5 MB")  # the row keeps English
    assert message.error_detail == {"reason": "type-size", "name": "plan.jpg", "size": 6_500_000, "kind": "image",
                                    "cap": 5_000_000}
    assert _shown(api, agent, chat, message.id, "es") == (
        "plan.jpg ocupa 6,5 MB; WhatsApp admite archivos de tipo image de hasta 5,0 MB. Redúcelo y adjúntalo de "
        "nuevo (error de Twilio 11751).")
    assert _shown(api, agent, chat, message.id, "pl").startswith("plan.jpg ma 6,5 MB; WhatsApp przyjmuje pliki typu "
                                                                 "image do 5,0 MB.")


@pytest.mark.parametrize("media, code, spanish", [
    ([{"url": f"https://files.example.com/{n}.png", "content_type": "image/png", "size": 10} for n in range(11)],
     "21623", "MMS lleva como máximo 10 archivos por mensaje"),
    ([{"url": "https://files.example.com/a.zip", "content_type": "application/zip", "filename": "a.zip"}],
     "12300", "MMS no admite archivos application/zip como a.zip"),
    ([{"url": f"https://files.example.com/{n}.png", "content_type": "image/png", "size": 3_000_000}
      for n in range(2)], "11751", "Estos archivos ocupan 6,0 MB; MMS admite hasta 5,0 MB por mensaje"),
])
def test_every_media_refusal_of_an_mms_names_its_values_in_spanish(app, agent, api, twilio_webhook, media, code,
                                                                   spanish):
    chat = _chat(twilio_webhook)
    queued = service.reply(chat, agent, body="Files", media=media)
    db.session.commit()
    app.extensions["switchboard"].outbox.drain()
    message = db.session.get(Message, queued.id)
    db.session.refresh(message)
    assert message.error_code == code
    assert _shown(api, agent, chat, message.id, "es").startswith(spanish)


class _Refusing:
    """A Twilio client that refuses every message as Twilio's REST API does."""

    def __init__(self, status, code):
        self.status, self.code = status, code
        outer = self

        class Messages:
            @staticmethod
            def create(**params):
                raise TwilioRestException(outer.status, "https://api.twilio.com/Messages.json",
                                          msg="The 'From' number is not a valid sender for this account",
                                          code=outer.code)
        self.messages = Messages


@pytest.mark.parametrize("code, stored_code, polish", [
    (21999, "21999", "Twilio odrzucił wiadomość (HTTP 400): „The 'From' number is not a valid sender for this "
                     "account” (błąd Twilio 21999)."),
    (None, "twilio-refused", "Twilio odrzucił wiadomość (HTTP 400): „The 'From' number is not a valid sender for "
                             "this account”."),
])
def test_a_refusal_twilio_gave_no_sentence_for_says_its_status_and_words(app, agent, api, twilio_webhook, monkeypatch,
                                                                         code, stored_code, polish):
    chat = _chat(twilio_webhook)
    queued = api(agent).post(f"/api/v1/chats/{chat.id}/messages", json={"body": "Hello"}).get_json()
    monkeypatch.setattr(channels, "twilio_client", lambda account: _Refusing(400, code))
    app.extensions["switchboard"].outbox.drain()
    message = db.session.get(Message, queued["id"])
    db.session.refresh(message)
    assert (message.status, message.error_code) == ("failed", stored_code)
    assert message.error_message.startswith("Twilio refused the message (HTTP 400)")
    assert _shown(api, agent, chat, message.id, "pl") == polish


def test_a_code_twilio_reports_later_without_a_sentence_points_to_its_page(app):
    with app.test_request_context(headers={"Accept-Language": "es"}):
        worded = SMS.explain_failure("30450", {})
    assert worded.startswith("Twilio informó del error 30450") and "twilio.com/docs/api/errors/30450" in worded


@pytest.mark.parametrize("code, detail, spanish", [
    ("twilio-setup", {"reason": "account SID must start with AC"},
     "Twilio no está bien configurado (account SID must start with AC)."),
    ("twilio-bad-url", {"reason": "Invalid URL 'htp:/x'"}, "No se pudo llamar a Twilio porque su URL es incorrecta: "
                                                          "Invalid URL 'htp:/x'."),
    ("twilio-account", {"reason": "HTTP 503"}, "No se pudo contactar con Twilio para la subcuenta que envía este "
                                                "mensaje (HTTP 503)."),
    ("21617", {"length": 1700}, "El mensaje tiene más de 1600 caracteres. Acórtalo o divídelo (error de Twilio 21617)."),
])
def test_the_senders_own_failures_keep_what_went_wrong(app, code, detail, spanish):
    with app.test_request_context(headers={"Accept-Language": "es"}):
        assert WHATSAPP_CHANNEL.explain_failure(code, detail).startswith(spanish)


def test_a_reply_with_files_the_channel_refuses_is_refused_in_the_agents_language(app, agent, api, twilio_webhook):
    chat = _chat(twilio_webhook)
    agent.language = "pl"
    db.session.commit()
    media = [{"url": "https://files.example.com/a.zip", "content_type": "application/zip"}]
    answer = api(agent).post(f"/api/v1/chats/{chat.id}/messages", json={"body": "", "media": media})
    assert answer.status_code == 422
    assert answer.get_json()["errors"]["json"]["media"] == [
        "MMS nie przyjmuje plików application/zip, takich jak a.zip. Wyślij zamiast tego PDF lub obraz (JPEG, PNG) "
        "albo link."]
