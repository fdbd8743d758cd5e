"""A channel that is not set up is not offered, and its sends are refused at once by name."""
import pytest
from marshmallow import Schema, fields

from host import hookimpl, settings
from host.chats import receive
from host.contracts import InboundMessage, PluginSettings, SendResult
from host.extensions import db
from host.models import Message, OutboxItem, Setting
from host.testing.loopback import LoopbackPlugin


class PagerSettings(Schema):
    gateway_url = fields.Url(required=True, require_tld=False, metadata={"label": "Gateway URL"})
    api_key = fields.Str(required=True, metadata={"secret": True, "label": "API key"})


class PagerChannel:
    key, label = "pager", "Pager"

    def __init__(self):
        self.sent = []

    def missing_settings(self):
        values = settings.get("pager")
        return [name for name in ("gateway_url", "api_key") if not values.get(name)]

    def send(self, message):
        self.sent.append(message)
        return SendResult(external_id=f"PG{len(self.sent)}")


class PagerPlugin:
    def __init__(self):
        self.channel = PagerChannel()

    @hookimpl
    def register_channels(self, app):
        return [self.channel]

    @hookimpl
    def register_settings_schemas(self, app):
        return PluginSettings(schema=PagerSettings, title="Pager gateway")


REFUSAL = ("Pager isn't set up yet: Gateway URL and API key are missing from the Pager gateway settings. "
           "An admin can fill them in on the Plugins page.")


@pytest.fixture
def pager():
    return PagerPlugin()


@pytest.fixture
def extra_plugins(pager):
    return [("loopback", LoopbackPlugin()), ("pager", pager)]


def set_up():
    settings.save("pager", {"gateway_url": "https://pager.example/send", "api_key": "pager-key-123"})


def offered(api, agent):
    return [c["key"] for c in api(agent).get("/api/v1/channels").json]


def console_channels(client):
    import json
    import re

    page = client.get("/console").get_data(as_text=True)
    bootstrap = re.search(r'<script[^>]*id="bootstrap"[^>]*>(.*?)</script>', page, re.S)
    return [c["key"] for c in json.loads(bootstrap.group(1))["channels"]]


def a_pager_chat():
    stored = receive(InboundMessage(channel="pager", external_id="pg-in-1", from_address="pager:42", body="Hi"))
    return stored.chat_id


def test_a_channel_missing_settings_is_not_offered_until_they_are_filled_in(app, agent, api, signed_in):
    sb = app.extensions["switchboard"]
    assert sb.missing_settings("pager") == ["gateway_url", "api_key"]
    console = signed_in(agent)
    assert "pager" not in offered(api, agent) and "pager" not in sb.enabled_channels()
    assert "pager" not in console_channels(console) and "loopback" in console_channels(console)
    set_up()
    assert sb.missing_settings("pager") == [] and "pager" in offered(api, agent)
    assert "pager" in console_channels(console)


def test_starting_a_conversation_on_it_is_refused_naming_the_missing_settings(app, agent, api):
    response = api(agent).post("/api/v1/chats", json={"channel": "pager", "to": "pager:42", "body": "Hello"})
    assert response.status_code == 422
    assert response.json["errors"]["json"]["channel"] == [REFUSAL]
    assert db.session.execute(db.select(db.func.count(Message.id))).scalar() == 0


def test_a_reply_on_it_is_refused_at_once_and_nothing_is_queued(app, agent, api, pager):
    chat_id = a_pager_chat()
    response = api(agent).post(f"/api/v1/chats/{chat_id}/messages", json={"body": "Hello"})
    assert response.status_code == 409 and response.json["message"] == REFUSAL
    assert db.session.execute(db.select(OutboxItem)).first() is None
    set_up()
    assert api(agent).post(f"/api/v1/chats/{chat_id}/messages", json={"body": "Hello"}).status_code == 201
    app.extensions["switchboard"].outbox.drain()
    assert [m.body for m in pager.channel.sent] == ["Hello"]


def test_a_message_queued_before_the_settings_went_missing_fails_at_once_without_retrying(app, agent, api, pager):
    set_up()
    chat_id = a_pager_chat()
    message_id = api(agent).post(f"/api/v1/chats/{chat_id}/messages", json={"body": "Hello"}).json["id"]
    db.session.execute(db.delete(Setting).where(Setting.plugin == "pager"))
    db.session.commit()
    settings.invalidate("pager")
    app.extensions["switchboard"].outbox.drain()
    message = db.session.get(Message, message_id)
    assert message.status == "failed" and message.error_message == REFUSAL
    assert db.session.execute(db.select(OutboxItem.state)).scalar_one() != "pending"  # not retried
    assert pager.channel.sent == []
    agent.language = "es"
    db.session.commit()
    [shown] = api(agent).get(f"/api/v1/chats/{chat_id}/messages").json[-1:]
    assert shown["error_message"] == (
        "Pager aún no está configurado: faltan Gateway URL y API key en los ajustes de Pager gateway. "
        "Un administrador puede rellenarlos en la página Complementos.")


def test_a_channel_that_cannot_tell_is_not_offered(app, agent, api, pager, monkeypatch, caplog):
    set_up()

    def broken():
        raise RuntimeError("settings store unreachable")

    monkeypatch.setattr(pager.channel, "missing_settings", broken)
    assert "pager" not in offered(api, agent)
    assert "could not tell whether it is set up" in app.extensions["switchboard"].channel_refusal("pager")
    assert "pager could not tell whether it is set up" in caplog.text


def test_the_refusal_speaks_the_agents_language(app, agent, api):
    agent.language = "es"
    db.session.commit()
    response = api(agent).post("/api/v1/chats", json={"channel": "pager", "to": "pager:42", "body": "Hola"})
    assert response.json["errors"]["json"]["channel"] == [
        "Pager aún no está configurado: faltan Gateway URL y API key en los ajustes de Pager gateway. "
        "Un administrador puede rellenarlos en la página Complementos."]
