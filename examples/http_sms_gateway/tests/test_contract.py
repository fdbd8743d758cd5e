"""The HTTP SMS gateway plugin passes Switchboard's channel contract."""
import itertools
import json

import httpx
import pytest

from host.plugin_api import settings
from host.plugin_api.testing import ChannelContract, WidgetTabContract, pending_sends, send_due
from sbx_http_sms.plugin import signature

SECRET = "gateway-webhook-secret"


class Gateway:
    """An in-process SMS gateway behind httpx.MockTransport: records sends, can fail."""

    def __init__(self):
        self.sent = []
        self.fail_with = []
        self.ids = itertools.count(1)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.fail_with:
            return httpx.Response(self.fail_with.pop(0), json={"error": "unavailable"})
        assert request.headers["Authorization"] == "Bearer gateway-token"
        payload = json.loads(request.content)
        record = {"external_id": f"gw-{next(self.ids)}", **payload}
        self.sent.append(record)
        return httpx.Response(200, json={"id": record["external_id"]})


class Webhooks:
    def _post(self, client, path, payload, forge=None):
        body = json.dumps(payload).encode()
        sig = signature(body, "wrong-secret" if forge == "signature" else SECRET)
        if forge == "tamper":
            body = json.dumps({**payload, "text": "changed"}).encode()
        headers = {} if forge == "missing" else {"X-Signature": sig}
        return client.post(path, data=body, content_type="application/json", headers=headers)

    def inbound(self, client, external_id, from_address, body, forge=None):
        return self._post(client, "/webhooks/http-sms/inbound",
                          {"id": external_id, "from": from_address, "to": "+15550000", "text": body}, forge)

    def status(self, client, external_id, status, error_code=None):
        return self._post(client, "/webhooks/http-sms/status",
                          {"id": external_id, "status": status, "error_code": error_code})


@pytest.fixture
def gateway():
    return Gateway()


@pytest.fixture
def switchboard_config(gateway):
    return {"HTTP_SMS_TRANSPORT": httpx.MockTransport(gateway.handle)}


@pytest.fixture(autouse=True)
def configured(app):
    settings.save("http_sms", {"send_url": "https://gateway.example/send", "sender": "+15550000",
                               "api_token": "gateway-token", "webhook_secret": SECRET})


class TestHttpSmsGateway(ChannelContract):
    @pytest.fixture
    def plugin_name(self):
        return "http_sms"

    @pytest.fixture
    def channel_key(self):
        return "http_sms"

    @pytest.fixture
    def customer_address(self):
        return "+15550123"

    @pytest.fixture
    def webhooks(self):
        return Webhooks()

    @pytest.fixture
    def sent(self, gateway):
        return gateway.sent


class TestGatewayTab(WidgetTabContract):
    @pytest.fixture
    def plugin_name(self):
        return "http_sms"


def reply_while_the_gateway_answers(app, agent, api, gateway, status: int) -> int:
    """A customer writes; the agent's reply "Hi" meets the gateway answering ``status``
    once. Returns the reply's message id."""
    from host.plugin_api import Message, db

    Webhooks().inbound(app.test_client(), "in-1", "+15550123", "Hello")
    chat_id = db.session.execute(db.select(Message.chat_id)).scalar_one()
    gateway.fail_with = [status]
    message_id = api(agent).post(f"/api/v1/chats/{chat_id}/messages", json={"body": "Hi"}).json["id"]
    send_due(app)
    return message_id


def test_gateway_outage_is_retried_then_delivered(app, agent, api, gateway):
    from host.plugin_api import Message, db

    message_id = reply_while_the_gateway_answers(app, agent, api, gateway, 503)
    [waiting] = pending_sends()
    assert waiting["message_id"] == message_id and "busy" in waiting["last_error"] and gateway.sent == []
    send_due(app, skip_backoff=True)
    message = db.session.get(Message, message_id)
    assert message.status == "sent" and [s["text"] for s in gateway.sent] == ["Hi"]
    assert gateway.sent[0]["callback_url"].endswith("/webhooks/http-sms/status")


@pytest.mark.parametrize("switchboard_config", [{"INBOX_SYNC": False}])
def test_several_customers_messages_are_stored_in_one_batch(app, agent, sql_statements):
    from flask import current_app

    from host.plugin_api import Message, db

    client, inbox = app.test_client(), current_app.extensions["switchboard"].inbox
    for round in ("Hello", "Again"):  # the customers' first messages start their chats
        for n in range(3):
            assert Webhooks().inbound(client, f"{round}-{n}", f"+1555012{n}", f"{round} {n}").status_code == 204
        sql_statements.clear()
        assert inbox.drain() == 3

    assert sorted(db.session.execute(db.select(Message.body)).scalars()) == [
        "Again 0", "Again 1", "Again 2", "Hello 0", "Hello 1", "Hello 2"]
    # handle_batch: the three customers' chats are looked up together, not one by one
    assert sum(s.startswith("select chats.") for s in sql_statements) == 1, sql_statements


def test_a_refusal_is_shown_in_the_readers_language_from_the_plugins_own_catalog(app, agent, api, gateway):
    from host.plugin_api import Message, db

    message_id = reply_while_the_gateway_answers(app, agent, api, gateway, 400)
    message = db.session.get(Message, message_id)
    assert (message.status, message.error_code) == ("failed", "gw-refused")
    assert message.error_message == "The SMS gateway refused the message: unavailable."  # the row keeps English
    agent.language = "pl"
    db.session.commit()
    (shown,) = [m for m in api(agent).get(f"/api/v1/chats/{message.chat_id}/messages").json if m["id"] == message_id]
    assert shown["error_message"] == "Bramka SMS odrzuciła wiadomość (HTTP 400): unavailable."
