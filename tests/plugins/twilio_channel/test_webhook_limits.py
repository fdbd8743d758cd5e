"""Twilio webhooks refuse what Twilio never sends — before any signature is computed.

Real requests (a 1,600-character body of 4-byte characters, ten attachments, every
WhatsApp field) fit with room to spare; a larger body is a 413, more fields a 400, a
request for another account a 403, all without an HMAC and without storing anything.
"""
from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from host.extensions import db
from host.models import Chat, Message
from plugins.twilio_channel.testing.webhooks import inbound_params
from plugins.twilio_channel.messaging.routes import MAX_BODY_BYTES, MAX_FIELDS

MESSAGING = "/webhooks/twilio/messaging"


@pytest.fixture
def hmacs(monkeypatch):
    """Every signature the app computes or checks (the tests' own signing happens first)."""
    calls = []
    compute, validate = RequestValidator.compute_signature, RequestValidator.validate

    def counting_compute(self, *args, **kwargs):
        calls.append("compute_signature")
        return compute(self, *args, **kwargs)

    def counting_validate(self, *args, **kwargs):
        calls.append("validate")
        return validate(self, *args, **kwargs)

    def start():
        monkeypatch.setattr(RequestValidator, "compute_signature", counting_compute)
        monkeypatch.setattr(RequestValidator, "validate", counting_validate)
        return calls

    return start


def signed_post(app, path, params):
    """Sign like Twilio (before the spy starts counting), return a function that posts."""
    from plugins.twilio_channel.settings import load_config

    signature = RequestValidator(load_config().account.token).compute_signature(
        app.config["SWITCHBOARD_PUBLIC_URL"] + path, params)
    return lambda: app.test_client().post(path, data=params, headers={"X-Twilio-Signature": signature})


def largest_real_message(**extra):
    """An inbound WhatsApp MMS as large as Twilio sends one."""
    sid = "MM" + "1" * 32
    media = {}
    for n in range(10):
        media[f"MediaUrl{n}"] = (f"https://api.twilio.com/2010-04-01/Accounts/AC{'0' * 32}/Messages/{sid}"
                                 f"/Media/ME{str(n) * 32}")
        media[f"MediaContentType{n}"] = "image/jpeg"
    whatsapp = {"ProfileName": "Zoë " + "🙂" * 60, "WaId": "14155550123", "Forwarded": "true",
                "FrequentlyForwarded": "false", "ButtonText": "Yes", "ButtonPayload": "yes-" + "x" * 200,
                "Latitude": "52.52", "Longitude": "13.40", "Address": "Unter den Linden 1, Berlin",
                "Label": "Office", "ReferralBody": "😀" * 500, "ReferralHeadline": "Spring sale " * 20,
                "ReferralSourceId": "1" * 20, "ReferralSourceType": "ad",
                "ReferralSourceUrl": "https://fb.me/" + "a" * 200, "ReferralMediaId": "2" * 20,
                "ReferralMediaContentType": "image/jpeg", "ReferralMediaUrl": "https://example.com/" + "m" * 200,
                "ReferralNumMedia": "1", "ReferralCtwaClid": "ARAk" + "c" * 120,
                "ChannelMetadata": '{"type":"whatsapp","data":{"context":{"ProfileName":"Zoë","WaId":"14155550123"}}}',
                "OriginalRepliedMessageSender": "whatsapp:+14155550000",
                "OriginalRepliedMessageSid": "SM" + "f" * 32}
    geography = {f"{side}{part}": "SAN FRANCISCO" for side in ("From", "To") for part in ("City", "State", "Zip",
                                                                                         "Country")}
    return inbound_params(sid=sid, frm="whatsapp:+14155550123", to="whatsapp:+14155550000",
                          body="😀" * 1600, NumMedia=10, **media, **whatsapp, **geography, **extra)


def stored():
    return db.session.execute(db.select(db.func.count(Message.id))).scalar()


def test_the_largest_real_message_fits_with_room_to_spare(app, agent):
    from urllib.parse import urlencode

    params = largest_real_message()
    size = len(urlencode(params).encode())
    assert size * 2 < MAX_BODY_BYTES and len(params) * 2 < MAX_FIELDS
    assert signed_post(app, MESSAGING, params)().status_code == 200
    message = db.session.execute(db.select(Message)).scalar_one()
    assert message.body == "😀" * 1600 and len(message.media) == 10


def test_a_larger_body_is_a_413_before_any_hmac(app, agent, hmacs, recorder):
    params = inbound_params(body="x" * MAX_BODY_BYTES)
    post = signed_post(app, MESSAGING, params)  # a valid signature: only the size is wrong
    calls = hmacs()
    response = post()
    assert response.status_code == 413
    assert "128 KiB" in response.get_json()["message"]
    assert calls == [] and stored() == 0 and recorder.events == []


def test_more_fields_than_twilio_sends_is_a_400_before_any_hmac(app, agent, hmacs, recorder):
    params = inbound_params(**{f"Extra{n}": "1" for n in range(MAX_FIELDS)})
    post = signed_post(app, MESSAGING, params)
    calls = hmacs()
    response = post()
    assert response.status_code == 400
    assert f"at most {MAX_FIELDS}" in response.get_json()["message"]
    assert calls == [] and stored() == 0 and recorder.events == []


def test_another_account_is_refused_before_any_hmac(app, agent, hmacs):
    params = inbound_params(account_sid="AC" + "f" * 32)
    post = signed_post(app, MESSAGING, params)
    calls = hmacs()
    assert post().status_code == 403
    assert calls == [] and stored() == 0


def twilio_webhook_urls(app):
    from tests.host.test_url_map_auth import concrete

    return sorted({concrete(rule) for rule in app.url_map.iter_rules()
                   if rule.rule.startswith("/webhooks/twilio") and "POST" in rule.methods})


def test_every_twilio_webhook_has_the_same_limits(app, agent, hmacs):
    urls = twilio_webhook_urls(app)
    assert len(urls) >= 9 and "/webhooks/twilio/voice/status" in urls
    calls = hmacs()
    client = app.test_client()
    for url in urls:
        big = client.post(url, data={"AccountSid": "AC" + "0" * 32, "Body": "x" * MAX_BODY_BYTES},
                          headers={"X-Twilio-Signature": "x"})
        many = client.post(url, data={f"F{n}": "1" for n in range(MAX_FIELDS + 1)}, headers={"X-Twilio-Signature": "x"})
        assert (big.status_code, many.status_code) == (413, 400), url
    assert calls == [] and db.session.execute(db.select(db.func.count(Chat.id))).scalar() == 0
