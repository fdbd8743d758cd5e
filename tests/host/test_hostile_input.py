"""Hostile input: oversized, replayed and malformed requests change nothing; secrets stay out of logs."""
import json
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


# --- JSON bodies, on every route that takes a body -------------------------------------------

MALFORMED_JSON = {
    "malformed": b'{"body": "unterminated',
    "nested 10,000 deep": b"[" * 10_000 + b"]" * 10_000,
    "objects nested 10,000 deep": b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
}


def body_routes(app):
    """Every (rule, method) of the URL map that can carry a request body."""
    from tests.host.test_url_map_auth import all_routes, concrete, is_static

    for rule, method in all_routes(app):
        if method in ("POST", "PUT", "PATCH", "DELETE") and not is_static(rule):
            yield concrete(rule), method


def test_malformed_or_deeply_nested_json_is_a_400_on_every_route(app, admin, recorder):
    from host.api.agents import issue_token

    headers = {"Authorization": f"Bearer {issue_token(admin)}"}
    client = app.test_client()
    routes = sorted(set(body_routes(app)))
    assert len(routes) > 40 and ("/webhooks/livechat", "POST") in routes  # the walk covers the app
    for url, method in routes:
        for name, body in MALFORMED_JSON.items():
            response = client.open(url, method=method, data=body, content_type="application/json",
                                   headers={**headers, "Accept": "application/json"})
            assert response.status_code == 400, (method, url, name, response.status_code)
            message = response.get_json()["message"]
            assert "JSON" in message and "Traceback" not in response.get_data(as_text=True), (url, message)
    assert count_messages() == 0 and recorder.events == []


def test_the_json_refusal_says_what_is_wrong(app):
    client = app.test_client()
    deep = client.post("/webhooks/livechat", data=MALFORMED_JSON["nested 10,000 deep"], content_type="application/json")
    assert deep.get_json()["message"] == "The JSON in the request body is nested more than 32 levels deep."
    broken = client.post("/webhooks/livechat", data=MALFORMED_JSON["malformed"], content_type="text/plain")
    assert broken.status_code == 400
    assert broken.get_json()["errors"] == {"json": [
        "The request body is not valid JSON: Unterminated string starting at: line 1 column 10 (char 9)."]}


def test_json_within_the_nesting_limit_is_accepted(app):
    from host.request_bodies import MAX_DEPTH, nesting_exceeds

    assert not nesting_exceeds(json.loads("[" * MAX_DEPTH + "]" * MAX_DEPTH))
    assert nesting_exceeds(json.loads("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)))
    with app.test_request_context("/x", method="POST", data="[" * MAX_DEPTH + "]" * MAX_DEPTH,
                                  content_type="application/json"):
        from flask import request

        assert request.get_json() is not None
