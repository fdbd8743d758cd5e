"""Every route under ``/webhooks/`` of the installed plugins belongs to a blueprint declared
with ``provider_webhooks``: its body limits are applied first, the rate limiter leaves it
alone and it opens no cookie session (``host.webhooks``)."""
from __future__ import annotations

import pytest

from host import webhooks


@pytest.fixture
def extra_plugins():
    return []  # the installed plugins alone (the test channel's blueprint also serves its API)


def test_every_webhook_route_is_declared(app):
    routes = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/webhooks/")]
    assert {rule.rule for rule in routes} >= {"/webhooks/twilio/messaging", "/webhooks/twilio/status",
                                              "/webhooks/twilio/voice", "/webhooks/livechat"}
    undeclared = []
    for rule in routes:
        with app.test_request_context(rule.rule, method="POST"):
            if not webhooks.is_webhook_request():
                undeclared.append(rule.rule)
    assert undeclared == []


def test_other_routes_are_not_webhooks(app):
    for path in ("/login", "/api/v1/chats"):
        with app.test_request_context(path):
            assert not webhooks.is_webhook_request()


def test_a_webhook_request_opens_no_cookie_session_other_requests_do(app):
    from flask import Blueprint, session

    seen = {}
    hooks = webhooks.provider_webhooks(Blueprint("probe_webhooks", __name__, url_prefix="/webhooks/probe"),
                                       max_bytes=1024)

    @hooks.post("/event")
    def event():
        seen["null"] = app.session_interface.is_null_session(session)
        seen["cookie"] = dict(session)
        return "", 204

    app.register_blueprint(hooks)
    client = app.test_client()
    with client.session_transaction() as cookie:  # a browser's signed cookie, sent along
        cookie["probe"] = "value"

    assert client.post("/webhooks/probe/event", data={"a": "1"}).status_code == 204
    assert seen == {"null": True, "cookie": {}}  # not read, so not written back either

    with app.test_request_context("/login"):
        app.preprocess_request()
        assert not app.session_interface.is_null_session(session)
