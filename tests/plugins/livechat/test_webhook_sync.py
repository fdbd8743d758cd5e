"""LiveChat → Switchboard: webhooks from the fake (registered through the admin flow)."""
from __future__ import annotations

from host.extensions import db
from host.models import Chat, Group, Message, Transfer
from plugins.livechat.models import LiveChatChat, LiveChatEvent, LiveChatSyncItem, LiveChatWebhookKey
from plugins.livechat.parsing import parse

LC_AGENT = "agent@example.test"  # the LiveChat agent id (an email) of the `agent` fixture


def the_chat():
    return db.session.execute(db.select(Chat)).scalar_one()


def lc_chat_of(chat) -> str:
    return db.session.execute(db.select(LiveChatChat.lc_chat_id).where(LiveChatChat.chat_id == chat.id)).scalar_one()


def outbound_messages():
    return db.session.execute(db.select(Message).where(Message.direction == "out").order_by(Message.id)).scalars().all()


def outcome_of(body, post=None) -> str:
    """What the inbox worker did with a webhook (``post`` sends it first)."""
    if post is not None:
        assert post(body).status_code == 200
    key = parse(body).dedupe_key
    return db.session.execute(db.select(LiveChatWebhookKey.outcome).where(LiveChatWebhookKey.key == key)).scalar_one()


def mirrored_chat(inbound, drain, body="Hi, I need help"):
    inbound(body)
    drain()
    chat = the_chat()
    return chat, lc_chat_of(chat)


def test_livechat_agent_reply_reaches_the_customer_and_delivery_is_written_back(
        app, livechat, inbound, drain, lc_post, loopback, agent):
    fake = livechat
    chat, lc_chat_id = mirrored_chat(inbound, drain)
    body = fake.incoming_event_webhook(lc_chat_id, "Hello from LiveChat!", agent_id=LC_AGENT)
    response = lc_post(body)
    assert response.status_code == 200 and outcome_of(body).startswith("sent as message")

    message = outbound_messages()[0]
    assert (message.body, message.channel, message.agent_id, message.status) == (
        "Hello from LiveChat!", "loopback", agent.id, "queued")
    assert app.extensions["switchboard"].outbox.drain() == 1       # the host outbox calls the channel
    assert [m.body for m in loopback.channel.sent] == ["Hello from LiveChat!"]
    assert loopback.channel.sent[0].to == "+15550001"
    db.session.refresh(chat)
    assert chat.status == "active" and chat.agent_id == agent.id   # replying took the chat

    from host.testing.loopback import webhook
    db.session.refresh(message)
    webhook(app.test_client(), {"type": "status", "id": message.external_id, "status": "delivered"})
    drain()
    event_id = body["payload"]["event"]["id"]
    event = next(e for e in fake.events(lc_chat_id) if e["id"] == event_id)
    assert event["properties"]["status"]["delivered"] is True
    call = fake.requests_for("update_event_properties")[-1]
    assert call.json["properties"] == {"status": {"delivered": True}}
    assert db.session.execute(db.select(LiveChatEvent.delivered).where(
        LiveChatEvent.lc_event_id == event_id)).scalar_one() is True


def test_redelivered_webhooks_act_once(livechat, inbound, drain, lc_post):
    fake = livechat
    chat, lc_chat_id = mirrored_chat(inbound, drain)
    body = fake.incoming_event_webhook(lc_chat_id, "Only once, please", agent_id=LC_AGENT)
    answers = [lc_post(body) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.json.get("duplicate", False) for a in answers] == [False, True, True]
    assert [m.body for m in outbound_messages()] == ["Only once, please"]

    transferred = fake.chat_transferred_webhook(lc_chat_id, group_ids=[1])
    for _ in range(2):
        assert lc_post(transferred).status_code == 200
    assert db.session.execute(db.select(db.func.count(Transfer.id))).scalar() == 1


def test_wrong_or_missing_secret_is_refused_and_stores_nothing(livechat, inbound, drain, lc_post, recorder):
    fake = livechat
    chat, lc_chat_id = mirrored_chat(inbound, drain)
    recorder.clear()
    for secret in ("not-the-secret", "", None):
        body = fake.incoming_event_webhook(lc_chat_id, "forged", agent_id=LC_AGENT)
        body["secret_key"] = secret
        assert lc_post(body).status_code == 401
    assert outbound_messages() == []
    assert db.session.execute(db.select(LiveChatWebhookKey)).first() is None
    assert recorder.events == []


def test_without_a_configured_secret_every_webhook_is_refused(app, fake, configure, lc_post):
    configure(webhook_secret=None)
    body = fake.build_webhook("chat_deactivated", {"chat_id": "X", "thread_id": "Y"}, secret_key="")
    assert lc_post(body).status_code == 401


def test_our_own_customer_events_notes_and_system_messages_never_go_out(livechat, inbound, drain, lc_post):
    fake = livechat
    chat, lc_chat_id = mirrored_chat(inbound, drain)
    customer_id = fake.chats[lc_chat_id]["customer_id"]
    thread = fake.active_thread(lc_chat_id)
    ours = thread["events"][0]  # the customer message Switchboard posted
    echo = fake.build_webhook("incoming_event", {"chat_id": lc_chat_id, "thread_id": thread["id"], "event": ours})
    assert "an event Switchboard posted" in outcome_of(echo, lc_post)
    by_customer = fake.build_webhook("incoming_event", {"chat_id": lc_chat_id, "thread_id": thread["id"], "event": {
        "id": "X_99", "type": "message", "text": "typed in LiveChat's widget", "author_id": customer_id}})
    assert "customer" in outcome_of(by_customer, lc_post)
    note = fake.build_webhook("incoming_event", {"chat_id": lc_chat_id, "thread_id": thread["id"], "event": {
        "id": "X_100", "type": "message", "text": "internal: VIP", "author_id": LC_AGENT, "visibility": "agents"}})
    assert "internal note" in outcome_of(note, lc_post)
    system = fake.build_webhook("incoming_event", {"chat_id": lc_chat_id, "thread_id": thread["id"], "event": {
        "id": "X_101", "type": "system_message", "text": "Chat transferred"}})
    assert "system_message" in outcome_of(system, lc_post)
    unknown = fake.build_webhook("incoming_event", {"chat_id": "NOT-OURS", "thread_id": "T", "event": {
        "id": "Z_1", "type": "message", "text": "hi", "author_id": LC_AGENT}})
    assert "not a chat Switchboard mirrors" in outcome_of(unknown, lc_post)
    assert outbound_messages() == []


def test_registered_incoming_event_webhook_only_carries_agent_messages(livechat):
    fake = livechat
    [hook] = fake.matching_webhooks("incoming_event")
    assert hook["filters"] == {"author_type": "agent", "only_my_chats": True, "source_type": ["other_clients", "system"]}
    assert fake.matching_webhooks("incoming_event", author_type="customer") == []


def test_transfer_in_livechat_moves_the_switchboard_chat_and_is_not_sent_back(
        livechat, inbound, drain, lc_post, agent, recorder):
    fake = livechat
    chat, lc_chat_id = mirrored_chat(inbound, drain)
    sales = db.session.execute(db.select(Group).where(Group.name == "Sales")).scalar_one()
    assert lc_post(body := fake.chat_transferred_webhook(lc_chat_id, group_ids=[1], requester_id=LC_AGENT)).status_code == 200
    assert outcome_of(body) == "transferred to group Sales"
    db.session.refresh(chat)
    assert chat.group_id == sales.id and chat.status == "queued"
    transfer = db.session.execute(db.select(Transfer)).scalar_one()
    assert (transfer.origin, transfer.by_agent_id, transfer.to_group_id) == ("livechat", agent.id, sales.id)
    assert recorder.of("chat_transferred")[-1].origin == "livechat"
    assert db.session.execute(db.select(LiveChatSyncItem).where(LiveChatSyncItem.action == "transfer")).first() is None

    assert lc_post(body := fake.chat_transferred_webhook(lc_chat_id, agent_ids=[LC_AGENT])).status_code == 200
    assert outcome_of(body) == f"transferred to agent {LC_AGENT}"
    db.session.refresh(chat)
    assert chat.agent_id == agent.id and chat.status == "active"


def test_transfer_in_switchboard_is_made_in_livechat_and_its_echo_changes_nothing(
        livechat, inbound, drain, lc_post, agent, admin, api):
    fake = livechat
    chat, lc_chat_id = mirrored_chat(inbound, drain)
    sales = db.session.execute(db.select(Group).where(Group.name == "Sales")).scalar_one()
    assert api(admin).post(f"/api/v1/chats/{chat.id}/transfer", json={"group_id": sales.id}).status_code == 200
    drain()
    call = fake.requests_for("transfer_chat")[-1]
    assert call.json["target"] == {"type": "group", "ids": [1]} and call.json["id"] == lc_chat_id
    assert fake.chats[lc_chat_id]["access"]["group_ids"] == [1]
    # LiveChat reports the transfer it just made; Switchboard already shows it.
    echo = fake.build_webhook("chat_transferred", {"chat_id": lc_chat_id, "requester_id": fake.agent_id,
                                                    "reason": "manual", "transferred_to": {"group_ids": [1]}})
    assert "already shows" in outcome_of(echo, lc_post)
    assert db.session.execute(db.select(db.func.count(Transfer.id))).scalar() == 1

    assert api(admin).post(f"/api/v1/chats/{chat.id}/transfer", json={"agent_id": agent.id}).status_code == 200
    drain()
    assert fake.requests_for("transfer_chat")[-1].json["target"] == {"type": "agent", "ids": [LC_AGENT]}
    assert fake.chats[lc_chat_id]["agent_ids"] == [LC_AGENT]


def test_transfer_to_an_agent_livechat_does_not_know_falls_back_to_their_group(
        livechat, inbound, drain, admin, api, make_agent):
    fake = livechat
    chat, lc_chat_id = mirrored_chat(inbound, drain)
    seller = make_agent("seller@example.test", groups=("Sales",))
    api(admin).post(f"/api/v1/chats/{chat.id}/transfer", json={"agent_id": seller.id})
    drain()
    targets = [r.json["target"] for r in fake.requests_for("transfer_chat")]
    assert targets == [{"type": "agent", "ids": ["seller@example.test"]}, {"type": "group", "ids": [1]}]
    assert db.session.execute(db.select(LiveChatSyncItem.state).where(
        LiveChatSyncItem.action == "transfer")).scalar_one() == "done"


def test_transfer_to_an_unmapped_group_fails_readably(livechat, inbound, drain, admin, api):
    chat, lc_chat_id = mirrored_chat(inbound, drain)
    vip = Group(name="VIP")
    db.session.add(vip)
    db.session.commit()
    api(admin).post(f"/api/v1/chats/{chat.id}/transfer", json={"group_id": vip.id})
    drain()
    item = db.session.execute(db.select(LiveChatSyncItem).where(LiveChatSyncItem.action == "transfer")).scalar_one()
    assert item.state == "failed" and "VIP has no LiveChat group in the group mapping" in item.last_error


def test_closing_in_livechat_archives_the_switchboard_chat(livechat, inbound, drain, lc_post, recorder):
    fake = livechat
    chat, lc_chat_id = mirrored_chat(inbound, drain)
    assert lc_post(body := fake.chat_deactivated_webhook(lc_chat_id, user_id=LC_AGENT)).status_code == 200
    assert outcome_of(body) == "archived"
    db.session.refresh(chat)
    assert chat.status == "archived"
    assert recorder.of("chat_archived")[-1].origin == "livechat"
    assert db.session.execute(db.select(LiveChatSyncItem).where(LiveChatSyncItem.action == "deactivate")).first() is None


def test_archiving_in_switchboard_closes_the_livechat_chat_and_its_echo_is_ignored(
        livechat, inbound, drain, lc_post, agent, api):
    fake = livechat
    chat, lc_chat_id = mirrored_chat(inbound, drain)
    assert api(agent).post(f"/api/v1/chats/{chat.id}/archive").status_code == 200
    drain()
    assert fake.requests_for("deactivate_chat")[-1].json["id"] == lc_chat_id
    assert fake.active_thread(lc_chat_id) is None
    echo = fake.build_webhook("chat_deactivated", {"chat_id": lc_chat_id, "thread_id": "T", "user_id": fake.agent_id})
    assert outcome_of(echo, lc_post) == "ignored: already archived"


def test_a_livechat_reply_to_an_archived_chat_reopens_it_for_the_mapped_agent(
        app, livechat, inbound, drain, lc_post, agent, api, loopback):
    fake = livechat
    chat, lc_chat_id = mirrored_chat(inbound, drain)
    # Archived in Switchboard while LiveChat still had the chat open (the deactivate is still queued).
    api(agent).post(f"/api/v1/chats/{chat.id}/archive")
    assert lc_post(body := fake.incoming_event_webhook(lc_chat_id, "One more thing", agent_id=LC_AGENT)).status_code == 200
    assert outcome_of(body).startswith("sent as message")
    db.session.refresh(chat)
    assert chat.status == "active" and chat.agent_id == agent.id
    app.extensions["switchboard"].outbox.drain()
    assert [m.body for m in loopback.channel.sent] == ["One more thing"]


def test_a_reply_that_cannot_be_sent_is_kept_visible_and_retryable(app, livechat, inbound, drain, lc_post, agent,
                                                                     api):
    fake = livechat
    chat, lc_chat_id = mirrored_chat(inbound, drain)
    api(agent).post(f"/api/v1/chats/{chat.id}/archive")
    stranger = "someone@elsewhere.example"
    fake.add_agent_token(stranger)
    response = lc_post(body := fake.incoming_event_webhook(lc_chat_id, "Hello?", agent_id=stranger))
    assert response.status_code == 200 and outcome_of(body).startswith("not sent: This chat is archived")
    state = api(agent).get(f"/api/v1/livechat/chats/{chat.id}/sync").json
    assert state["failed"] == 1 and "The LiveChat reply was not sent" in state["status"]
    # The agent reopens the chat in Switchboard and retries from the LiveChat tab.
    assert api(agent).post(f"/api/v1/chats/{chat.id}/reopen", json={}).status_code == 200
    assert api(agent).post(f"/api/v1/livechat/chats/{chat.id}/sync/retry").json["failed"] == 0
    drain()
    assert [m.body for m in outbound_messages()] == ["Hello?"]


def test_a_file_from_a_livechat_agent_goes_out_as_media(livechat, inbound, drain, lc_post):
    fake = livechat
    chat, lc_chat_id = mirrored_chat(inbound, drain)
    thread = fake.active_thread(lc_chat_id)
    event = {"id": f"{thread['id']}_50", "type": "file", "author_id": LC_AGENT, "visibility": "all",
             "url": "https://cdn.livechat-files.com/api/file/lc/att/abc/invoice.pdf", "name": "invoice.pdf",
             "content_type": "application/pdf", "size": 1234}
    body = fake.build_webhook("incoming_event", {"chat_id": lc_chat_id, "thread_id": thread["id"], "event": event})
    assert outcome_of(body, lc_post).startswith("sent as message")
    [message] = outbound_messages()
    assert message.kind == "media" and message.media == [
        {"url": "https://cdn.livechat-files.com/api/file/lc/att/abc/invoice.pdf", "content_type": "application/pdf"}]


REFUSED_FILE_URLS = {
    "http://cdn.livechat-files.com/api/file/lc/att/abc/invoice.pdf": "only https addresses are accepted",
    "https://user:pw@cdn.livechat-files.com/x.pdf": "carries a user name or password",
    "https://169.254.169.254/latest/meta-data/": "169.254.169.254 is not a public address",
    "https://10.0.0.7/x.pdf": "10.0.0.7 is not a public address",
    "https://[::1]/x.pdf": "::1 is not a public address",
    "https://localhost/x.pdf": "localhost is not a public host name",
    "https://files.internal/x.pdf": "files.internal is not a public host name",
    "https://2130706433/x.pdf": "2130706433 is not a public host name",
    "https://cdn.livechat-files.com:8443/x.pdf": "only the standard https port",
    "javascript:alert(1)": "only https addresses are accepted",
    "https://cdn.livechat-files.com/a b.pdf": "spaces or control characters",
    None: "there is no address",
}


def test_a_file_url_that_is_not_public_https_is_neither_shown_nor_sent(api, agent, livechat, inbound, drain,
                                                                       lc_post, recorder):
    fake = livechat
    chat, lc_chat_id = mirrored_chat(inbound, drain)
    thread = fake.active_thread(lc_chat_id)
    recorder.clear()
    for n, (url, reason) in enumerate(REFUSED_FILE_URLS.items()):
        event = {"id": f"{thread['id']}_{60 + n}", "type": "file", "author_id": LC_AGENT, "visibility": "all",
                 "url": url, "name": "x.pdf", "content_type": "application/pdf"}
        body = fake.build_webhook("incoming_event", {"chat_id": lc_chat_id, "thread_id": thread["id"], "event": event})
        response = lc_post(body)
        assert response.status_code == 200  # taken: LiveChat must not redeliver it
        outcome = outcome_of(body)
        assert outcome.startswith("not sent: The file's address was refused: ") and reason in outcome, (url, outcome)
    assert outbound_messages() == [] and recorder.names() == []
    state = api(agent).get(f"/api/v1/livechat/chats/{chat.id}/sync").json
    assert state["failed"] == len(REFUSED_FILE_URLS) and "The file's address was refused" in state["status"]
    # a retry from the LiveChat tab meets the same check
    api(agent).post(f"/api/v1/livechat/chats/{chat.id}/sync/retry")
    drain()
    assert outbound_messages() == []


def test_a_webhook_body_over_1_mib_is_refused_before_it_is_parsed(app, livechat, inbound, drain, lc_post,
                                                                   monkeypatch):
    from plugins.livechat import routes as receiver

    fake = livechat
    _, lc_chat_id = mirrored_chat(inbound, drain)
    body = fake.incoming_event_webhook(lc_chat_id, "x" * receiver.MAX_BODY_BYTES, agent_id=LC_AGENT)
    parsed = []
    monkeypatch.setattr(receiver, "parse", lambda body: parsed.append(body))
    response = lc_post(body)
    assert response.status_code == 413 and "1 MiB" in response.json["message"]
    assert parsed == [] and outbound_messages() == []
    assert db.session.execute(db.select(LiveChatWebhookKey)).first() is None
