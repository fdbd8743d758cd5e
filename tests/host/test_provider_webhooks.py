"""Every route under ``/webhooks/`` of the installed plugins belongs to a blueprint declared
with ``provider_webhooks``: its body limits are applied first and the rate limiter leaves it
alone (``host.webhooks``)."""
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
