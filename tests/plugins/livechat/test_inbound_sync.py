"""Switchboard → LiveChat: customer chats are mirrored through the LiveChat outbox.

Inbound messages arrive through the loopback channel's signed webhook (the same host
surface Twilio's webhook uses); LiveChat calls are made by the real lc-sdk-python whose
httpx sessions reach the fake.
"""
from __future__ import annotations

from datetime import timedelta

from host.chats import receive
from host.contracts import InboundMessage, Media
from host.extensions import db
from host.models import Chat, Group, utcnow
from plugins.livechat.models import LiveChatChat, LiveChatCustomer, LiveChatEvent, LiveChatSyncItem


def the_chat():
    return db.session.execute(db.select(Chat)).scalar_one()


def link_of(chat) -> LiveChatChat:
    return db.session.execute(db.select(LiveChatChat).where(LiveChatChat.chat_id == chat.id)).scalar_one()


def texts(fake, lc_chat_id):
    return [e.get("text") for e in fake.events(lc_chat_id) if e["type"] == "message"]


def test_inbound_chat_is_mirrored_by_the_worker_not_inside_the_webhook(livechat, inbound, drain):
    fake = livechat
    calls_before = len(fake.requests)
    inbound("Hello, is anyone there?")
    assert len(fake.requests) == calls_before, "LiveChat was called inside the channel's webhook request"
    assert [i.action for i in db.session.execute(db.select(LiveChatSyncItem)).scalars()] == ["open", "message"]

    assert drain() == 2
    chat = the_chat()
    link = link_of(chat)
    assert link.active and link.lc_group_id == 0
    grant = fake.requests_for("customer_token")[-1]
    assert grant.json == {"grant_type": "agent_token", "client_id": fake.client_id, "response_type": "token"}
    start = fake.requests_for("start_chat")[-1]
    assert start.json["continuous"] is True
    assert start.json["chat"]["access"] == {"group_ids": [0]}
    assert start.json["chat"]["thread"]["events"][0]["text"] == "Hello, is anyone there?"
    assert texts(fake, link.lc_chat_id) == ["Hello, is anyone there?"]
    # One identity per customer, with its token and expiry kept.
    customer = db.session.execute(db.select(LiveChatCustomer)).scalar_one()
    # Per contact when the contacts plugin knows the customer, else per address.
    expected_key = f"contact:{chat.contact_id}" if chat.contact_id else "address:+15550001"
    assert customer.identity_key == expected_key and customer.entity_id in fake.customers
    assert customer.expires_at > utcnow() + timedelta(hours=7)
    assert fake.chats[link.lc_chat_id]["customer_id"] == customer.entity_id
    # The event is known, so LiveChat echoing it back is recognised.
    assert db.session.execute(db.select(LiveChatEvent.direction)).scalars().all() == ["in"]

    inbound("Second message")
    inbound("Third message")
    drain()
    assert texts(fake, link.lc_chat_id) == ["Hello, is anyone there?", "Second message", "Third message"]
    sends = fake.requests_for("send_event")
    assert [r.json["event"]["text"] for r in sends] == ["Second message", "Third message"]
    assert all(r.json["event"]["custom_id"].startswith("sb:") for r in sends)
    assert len(fake.requests_for("customer_token")) == 1  # the token is reused while it lives


def test_customer_token_is_refreshed_before_it_expires_for_the_same_identity(livechat, inbound, drain):
    fake = livechat
    inbound("first")
    drain()
    customer = db.session.execute(db.select(LiveChatCustomer)).scalar_one()
    entity, old_token = customer.entity_id, customer.access_token
    customer.expires_at = utcnow() + timedelta(minutes=5)  # inside the refresh margin
    db.session.commit()
    inbound("second")
    drain()
    reuse = fake.requests_for("customer_token")[-1]
    assert reuse.json["entity_id"] == entity
    db.session.refresh(customer)
    assert customer.entity_id == entity and customer.access_token != old_token
    assert customer.expires_at > utcnow() + timedelta(hours=7)
    assert fake.requests_for("send_event")[-1].headers["Authorization"] == f"Bearer {customer.access_token}"


def test_worker_refreshes_tokens_of_active_identities_ahead_of_time(app, livechat, inbound, drain):
    from plugins.livechat.sync_queue import sync

    inbound("hi")
    drain()
    customer = db.session.execute(db.select(LiveChatCustomer)).scalar_one()
    customer.expires_at = utcnow() + timedelta(minutes=15)
    db.session.commit()
    sync().refresh_identities()
    db.session.refresh(customer)
    assert customer.expires_at > utcnow() + timedelta(hours=7)


def test_group_follows_the_switchboard_routing_through_the_mapping(livechat, inbound, drain):
    fake = livechat
    for group in db.session.execute(db.select(Group)).scalars():
        group.is_default = group.name == "Sales"  # the host's routing now picks Sales
    db.session.commit()
    inbound("I want to buy")
    drain()
    chat = the_chat()
    assert chat.group.name == "Sales"
    assert fake.requests_for("start_chat")[-1].json["chat"]["access"] == {"group_ids": [1]}
    assert link_of(chat).lc_group_id == 1


def test_contact_name_and_email_go_to_update_customer(livechat, inbound, drain):
    fake = livechat
    inbound("hello", profile={"name": "Ada Lovelace", "email": "ada@example.org"})
    inbound("again", profile={"name": "Ada Lovelace", "email": "ada@example.org"})
    drain()
    updates = fake.requests_for("update_customer")
    assert len(updates) == 1, "an unchanged name is not sent again"
    assert updates[0].json["name"] == "Ada Lovelace" and updates[0].json["email"] == "ada@example.org"
    customer = db.session.execute(db.select(LiveChatCustomer)).scalar_one()
    assert fake.customers[customer.entity_id]["pending"] == {"name": "Ada Lovelace", "email": "ada@example.org"}


def test_mms_goes_through_upload_file(app, livechat, drain, media_host):
    fake = livechat
    with app.test_request_context():
        receive(InboundMessage(channel="loopback", external_id="mms-1", from_address="+15550001",
                               to_address="loopback-number", body="Look at this",
                               media=(Media("https://media.example.test/cat.jpg", "image/jpeg"),
                                      Media("https://media.example.test/missing.png", "image/png"))))
    drain()
    link = link_of(the_chat())
    upload = fake.requests_for("upload_file")
    assert len(upload) == 1 and upload[0].files["file"] == ("cat.jpg", len(b"\xff\xd8\xff fake jpeg bytes"), "image/jpeg")
    events = fake.events(link.lc_chat_id)
    assert [e["type"] for e in events] == ["message", "file", "message"]
    assert events[1]["url"] in fake.files and events[1]["content_type"] == "image/jpeg"
    assert "could not be copied" in events[2]["text"] and "missing.png" in events[2]["text"]


def test_mms_download_outage_is_retried_without_sending_the_text_twice(app, livechat, drain, media_host):
    fake = livechat
    media_host.down = True
    with app.test_request_context():
        receive(InboundMessage(channel="loopback", external_id="mms-2", from_address="+15550001",
                               to_address="loopback-number", body="Photo attached",
                               media=(Media("https://media.example.test/cat.jpg", "image/jpeg"),)))
    drain()
    item = db.session.execute(db.select(LiveChatSyncItem).where(LiveChatSyncItem.action == "message")).scalar_one()
    assert item.state == "pending" and "could not be downloaded" in item.last_error
    media_host.down = False
    item.next_attempt_at = utcnow()
    db.session.commit()
    drain()
    link = link_of(the_chat())
    assert [e["type"] for e in fake.events(link.lc_chat_id)] == ["message", "file"]
    assert texts(fake, link.lc_chat_id) == ["Photo attached"]


def test_a_reopened_chat_resumes_its_livechat_chat(app, livechat, inbound, drain, agent, api):
    fake = livechat
    inbound("first conversation")
    drain()
    chat = the_chat()
    lc_chat_id = link_of(chat).lc_chat_id
    assert api(agent).post(f"/api/v1/chats/{chat.id}/archive").status_code == 200
    drain()
    assert fake.active_thread(lc_chat_id) is None
    inbound("I'm back")
    drain()
    assert len(fake.chats[lc_chat_id]["threads"]) == 2
    resume = fake.requests_for("resume_chat")[-1]
    assert resume.json["chat"]["id"] == lc_chat_id and resume.json["continuous"] is True
    assert fake.active_thread(lc_chat_id)["events"][0]["text"] == "I'm back"
    assert len(fake.requests_for("start_chat")) == 1
    assert link_of(chat).active


def test_a_chat_closed_in_livechat_behind_our_back_is_resumed_on_the_next_message(livechat, inbound, drain):
    fake = livechat
    inbound("one")
    drain()
    lc_chat_id = link_of(the_chat()).lc_chat_id
    fake._deactivate(fake.chats[lc_chat_id])  # closed without a webhook reaching us
    inbound("two")
    drain()
    assert fake.requests_for("send_event")[-1].json["event"]["text"] == "two"  # refused: chat_inactive
    assert fake.active_thread(lc_chat_id)["events"][0]["text"] == "two"     # …then resumed with it


def test_channels_not_in_the_mapping_and_an_unconfigured_plugin_stay_out(app, configure, admin, inbound, fake):
    inbound("not configured yet")
    assert db.session.execute(db.select(LiveChatSyncItem)).first() is None
    configure(mirrored_channels=["sms"])
    inbound("loopback is not mirrored")
    assert db.session.execute(db.select(LiveChatSyncItem)).first() is None
    assert fake.requests == []


def test_a_call_opens_the_livechat_chat_and_its_transcript_line_follows(app, livechat, drain):
    from host import emit as bus
    from host.calls import start_call, update_call
    from host.chats import open_chat_for
    from host.contracts import ContactRef

    fake = livechat
    chat = open_chat_for("voice", "+15550009", ContactRef(id=None), "+18005550100", "inbound")
    bus.commit()
    start_call(chat, "CA0001", "in", "+15550009", "+18005550100")
    drain()
    link = link_of(chat)
    assert link.active and fake.events(link.lc_chat_id) == []  # the chat shows up while it rings
    update_call("CA0001", "in-progress")
    update_call("CA0001", "completed", duration=75)
    update_call("CA0001", "completed", duration=75)  # a repeated callback adds nothing
    drain()
    assert texts(fake, link.lc_chat_id) == ["Incoming call, 1:15"]


def test_old_finished_rows_and_webhook_keys_are_pruned(app, livechat, inbound, drain):
    from plugins.livechat.models import LiveChatWebhookKey
    from plugins.livechat.sync_queue import sync

    inbound("hello")
    drain()
    db.session.add(LiveChatWebhookKey(key="incoming_event:X:1", action="incoming_event",
                                      received_at=utcnow() - timedelta(days=30)))
    for item in db.session.execute(db.select(LiveChatSyncItem)).scalars():
        item.updated_at = utcnow() - timedelta(days=30)
    db.session.commit()
    assert sync().prune() == 3
    assert db.session.execute(db.select(LiveChatSyncItem)).first() is None


def test_one_identity_per_contact_or_number_across_sms_and_whatsapp():
    from plugins.livechat.identities import identity_key

    assert identity_key({"contact_id": 7, "customer_address": "+15550001"}) == "contact:7"
    assert identity_key({"contact_id": None, "customer_address": "whatsapp:+15550001"}) == "address:+15550001"
    assert identity_key({"customer_address": "+15550001"}) == "address:+15550001"


def test_contact_edits_reach_livechat(app, livechat, inbound, drain):
    from host import emit as bus
    from host.events import ContactChanged

    fake = livechat
    inbound("hello")
    drain()
    chat = the_chat()
    bus.emit(ContactChanged(contact={"id": chat.contact_id, "name": "Grace Hopper", "email": "grace@example.org"},
                            chat_ids=(chat.id,)))
    bus.commit()
    drain()
    update = fake.requests_for("update_customer")[-1]
    assert (update.json["name"], update.json["email"]) == ("Grace Hopper", "grace@example.org")
