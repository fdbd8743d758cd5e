"""Hostile input: oversized, replayed and malformed requests change nothing; secrets stay out of logs."""
import logging

from host import settings
from host.extensions import db
from host.models import Message
from host.testing.loopback import sign, webhook


def count_messages():
    return db.session.execute(db.select(db.func.count(Message.id))).scalar()


def test_oversized_webhook_is_refused_before_anything_is_stored(app, agent):
    body = b'{"id": "big", "from": "+1555", "body": "' + b"x" * (17 * 1024 * 1024) + b'"}'
    response = app.test_client().post("/webhooks/loopback", data=body, content_type="application/json",
                                      headers={"X-Loopback-Signature": sign(body)})
    assert response.status_code == 413
    assert count_messages() == 0


def test_replayed_webhook_is_absorbed(app, agent, recorder):
    client = app.test_client()
    for _ in range(5):
        webhook(client, {"id": "replay", "from": "+15550001", "body": "once only"})
    assert count_messages() == 1 and recorder.names().count("message_received") == 1


def test_malformed_webhook_body_is_a_client_error(app, agent):
    body = b"{this is not json"
    response = app.test_client().post("/webhooks/loopback", data=body, content_type="application/json",
                                      headers={"X-Loopback-Signature": sign(body)})
    assert 400 <= response.status_code < 500
    assert count_messages() == 0


def test_secrets_are_masked_in_every_log_record(app, admin, caplog):
    caplog.set_level(logging.DEBUG)
    settings.save("loopback", {"sender": "+15550000", "api_key": "sk_live_do_not_log_me_123"})
    settings.get("loopback")
    logging.getLogger("some.http.library").debug("sending with key=%s", "sk_live_do_not_log_me_123")
    logging.getLogger("some.http.library").debug("headers: {'Authorization': 'Basic QUMxMjM6c2VjcmV0'}")
    logging.getLogger("werkzeug").warning("GET /x Authorization: Bearer sbt_abcdefghijklmnopqrstuvwxyz012345")
    text = caplog.text
    assert "sk_live_do_not_log_me_123" not in text
    assert "QUMxMjM6c2VjcmV0" not in text and "sbt_abcdefghijklmnopqrstuvwxyz012345" not in text
    assert text.count("***") >= 3


def test_api_token_never_reaches_the_logs_of_a_request(app, admin, api, caplog):
    caplog.set_level(logging.DEBUG)
    from host.api.agents import issue_token

    token = issue_token(admin)
    app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    app.logger.warning("request carried %s", token)
    assert token not in caplog.text
