"""Each notification fires once along a chat's life; questions are answered plugin-first."""
import pytest

from host import hookimpl
from host.extensions import db
from host.models import Chat
from host.testing.loopback import webhook


def test_chat_lifecycle_fires_each_notification_once(app, agent, make_agent, api, recorder):
    colleague = make_agent("colleague@example.test")
    client = api(agent)
    webhook(app.test_client(), {"id": "m1", "from": "+15550001", "body": "hi"})
    chat = db.session.execute(db.select(Chat)).scalar_one()
    client.post(f"/api/v1/chats/{chat.id}/accept")
    client.post(f"/api/v1/chats/{chat.id}/messages", json={"body": "hello"})
    app.extensions["switchboard"].outbox.drain()
    webhook(app.test_client(), {"type": "status", "id": "LB000001", "status": "delivered"})
    client.post(f"/api/v1/chats/{chat.id}/transfer", json={"agent_id": colleague.id})
    api(colleague).post(f"/api/v1/chats/{chat.id}/archive")
    api(colleague).post(f"/api/v1/chats/{chat.id}/reopen", json={})
    assert recorder.names() == ["chat_started", "message_received", "chat_assigned", "message_queued",
                                "message_sent", "message_status_changed", "chat_transferred",
                                "chat_archived", "chat_reopened"]
    reopened = recorder.of("chat_reopened")[0]
    assert reopened.chat["status"] == "active" and reopened.chat["agent_id"] == colleague.id


def test_question_hooks_are_answered_by_a_plugin_before_the_host_default(app, agent):
    from host.chats import resolve
    from host.contracts import ContactRef

    class Contacts:
        @hookimpl
        def resolve_contact(self, channel, address, profile):
            return ContactRef(id=42, name="Known Customer")

        @hookimpl
        def route_chat(self, chat, contact, to_address):
            return None  # no opinion: the next answer wins

        @hookimpl
        def check_consent(self, channel, address):
            return "This customer replied STOP." if address == "+1stop" else None

        @hookimpl
        def send_message(self, message):
            return None

    plugins = app.extensions["switchboard"].plugins
    plugins.pm.register(Contacts(), name="stub.contacts")
    assert resolve("loopback", "+15550001").id == 42
    from host.models import Group

    default = db.session.execute(db.select(Group).where(Group.is_default.is_(True))).scalar_one()
    assert plugins.ask("route_chat", chat={}, contact=None, to_address="") == default.id
    assert plugins.ask("check_consent", channel="sms", address="+1stop") == "This customer replied STOP."
    assert plugins.ask("check_consent", channel="sms", address="+1ok") is None


@pytest.mark.parametrize("switchboard_plugins", ["livechat"])  # no contacts plugin: no batch answer
def test_a_batch_of_customers_is_asked_one_by_one_of_a_plugin_without_the_batch_form(app, agent):
    from host.chats import resolve_many
    from host.contracts import ContactRef, CustomerAddress

    class OneByOne:
        def __init__(self):
            self.asked = []

        @hookimpl
        def resolve_contact(self, channel, address, profile):
            self.asked.append(address)
            return ContactRef(id=100 + len(self.asked), name=profile.get("name", ""))

    plugin = OneByOne()
    app.extensions["switchboard"].plugins.pm.register(plugin, name="stub.one_by_one")
    refs = resolve_many([CustomerAddress("loopback", "+15550001", {"name": "Ann"}),
                         CustomerAddress("loopback", "+15550002")])
    assert [(ref.id, ref.name) for ref in refs] == [(101, "Ann"), (102, "")]
    assert plugin.asked == ["+15550001", "+15550002"]
