"""A LiveChat agent's reply that cannot reach the customer shows in the LiveChat chat as a
note only agents see (``visibility: agents``), with the reason — instead of looking sent."""
from __future__ import annotations

from host.contracts import SendError
from host.extensions import db
from host.models import Chat, Message
from host.testing.loopback import webhook
from plugins.livechat.models import LiveChatChat, LiveChatSyncItem
from tests.plugins.livechat.test_webhook_sync import outcome_of

LC_AGENT = "agent@example.test"


def mirrored(inbound, drain):
    inbound("Hi, I need help")
    drain()
    chat = db.session.execute(db.select(Chat)).scalar_one()
    return chat, db.session.execute(db.select(LiveChatChat.lc_chat_id)).scalar_one()


def notes(fake, lc_chat_id):
    return [e for e in fake.events(lc_chat_id) if e.get("visibility") == "agents"]


def reply_from_livechat(app, fake, lc_post, lc_chat_id, text, author=LC_AGENT):
    response = lc_post(fake.incoming_event_webhook(lc_chat_id, text, agent_id=author))
    assert response.status_code == 200, response.json
    app.extensions["switchboard"].outbox.drain()
    return response


def test_a_refused_reply_opted_out_becomes_an_agents_only_note(app, livechat, inbound, drain, lc_post, loopback):
    chat, lc_chat_id = mirrored(inbound, drain)
    loopback.channel.fail_next.append(SendError("This customer replied STOP and opted out of SMS.", code="21610",
                                                opted_out=True))
    reply_from_livechat(app, livechat, lc_post, lc_chat_id, "Your order has shipped")
    assert loopback.channel.sent == []
    drain()
    [note] = notes(livechat, lc_chat_id)
    assert note["type"] == "message" and note["author_id"] == livechat.agent_id
    assert note["text"].startswith("Not delivered to the customer: “Your order has shipped”")
    assert "opted out of SMS" in note["text"]
    users = {u["id"]: u for u in livechat._chat_out(livechat.chats[lc_chat_id])["users"]}
    assert users[livechat.agent_id]["visibility"] == "agents"  # the integration joined for agents only
    [call] = livechat.requests_for("send_event")[-1:]
    assert call.api == "agent" and call.json["event"]["visibility"] == "agents"


def test_an_undelivered_reply_becomes_an_agents_only_note_once(app, livechat, inbound, drain, lc_post, loopback):
    chat, lc_chat_id = mirrored(inbound, drain)
    reply_from_livechat(app, livechat, lc_post, lc_chat_id, "See you tomorrow")
    message = db.session.execute(db.select(Message).where(Message.direction == "out")).scalar_one()
    client = app.test_client()
    webhook(client, {"type": "status", "id": message.external_id, "status": "undelivered", "error_code": "30003"})
    webhook(client, {"type": "status", "id": message.external_id, "status": "undelivered", "error_code": "30003"})
    drain()
    [note] = notes(livechat, lc_chat_id)
    assert "“See you tomorrow”" in note["text"] and "30003" in note["text"]


def test_a_delivered_reply_gets_no_note(app, livechat, inbound, drain, lc_post, loopback):
    chat, lc_chat_id = mirrored(inbound, drain)
    reply_from_livechat(app, livechat, lc_post, lc_chat_id, "All good")
    message = db.session.execute(db.select(Message).where(Message.direction == "out")).scalar_one()
    webhook(app.test_client(), {"type": "status", "id": message.external_id, "status": "delivered"})
    drain()
    assert notes(livechat, lc_chat_id) == []


def test_a_reply_switchboard_cannot_send_at_all_is_explained_in_livechat(app, livechat, inbound, drain, lc_post,
                                                                         agent, api):
    chat, lc_chat_id = mirrored(inbound, drain)
    api(agent).post(f"/api/v1/chats/{chat.id}/archive")
    drain()  # LiveChat's chat is closed too now; the customer writes again and it reopens
    inbound("Hello again")
    drain()
    api(agent).post(f"/api/v1/chats/{chat.id}/archive")
    stranger = "someone@elsewhere.example"
    livechat.add_agent_token(stranger)
    db.session.execute(db.delete(LiveChatSyncItem))  # keep LiveChat's chat open: the deactivate waits
    db.session.commit()
    response = lc_post(body := livechat.incoming_event_webhook(lc_chat_id, "Hello?", agent_id=stranger))
    assert response.status_code == 200
    assert outcome_of(body).startswith("not sent: This chat is archived")
    drain()
    [note] = notes(livechat, lc_chat_id)
    assert note["text"].startswith("Not sent to the customer: “Hello?” — This chat is archived")


def test_without_the_account_scope_the_note_fails_and_says_which_scope(app, fake, livechat, configure, inbound,
                                                                      drain, lc_post, loopback, agent, api):
    chat, lc_chat_id = mirrored(inbound, drain)
    configure(agent_token=fake.add_agent_token(fake.agent_id, scope="customers:own chats--all:rw"))
    loopback.channel.fail_next.append(SendError("Refused.", code="x"))
    reply_from_livechat(app, fake, lc_post, lc_chat_id, "Hi")
    drain()
    assert notes(fake, lc_chat_id) == []
    state = api(agent).get(f"/api/v1/livechat/chats/{chat.id}/sync").json
    assert state["failed"] == 1 and "accounts--my:ro" in state["status"]
