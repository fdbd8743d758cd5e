"""LiveChatApi against the fake LiveChat, through the real lc-sdk-python request building."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, UTC

import httpx
import pytest
from loguru import logger

from plugins.livechat.client import CustomerToken, LiveChatApi, LiveChatError
from plugins.livechat.testing import FakeLiveChat

HOOK_URL = "https://switchboard.example.com/webhooks/livechat"


@pytest.fixture
def fake() -> FakeLiveChat:
    return FakeLiveChat()


@pytest.fixture
def livechat(fake: FakeLiveChat):
    with LiveChatApi(fake.agent_token, fake.organization_id, fake.client_id,
                     transport=httpx.WSGITransport(app=fake)) as client:
        yield client


@pytest.fixture
def customer(livechat: LiveChatApi) -> CustomerToken:
    return livechat.customer_token()


def mock_api(handler, agent_token: str = "dal:agent-token") -> LiveChatApi:
    return LiveChatApi(agent_token, "org-1", "client-1", transport=httpx.MockTransport(handler))


def test_customer_token_uses_agent_token_grant_and_reuses_identity(livechat, fake):
    first = livechat.customer_token()
    again = livechat.customer_token(entity_id=first.entity_id)

    grant, reuse = fake.requests_for("customer_token")
    assert (grant.method, grant.host, grant.path) == ("POST", "accounts.livechat.com", "/v2/customer/token")
    assert grant.headers["Authorization"] == f"Bearer {fake.agent_token}"
    assert grant.json == {"grant_type": "agent_token", "client_id": fake.client_id, "response_type": "token"}
    assert reuse.json["entity_id"] == first.entity_id
    assert again.entity_id == first.entity_id and again.access_token != first.access_token
    assert first.entity_id in fake.customers
    in_eight_hours = datetime.now(UTC) + timedelta(seconds=28800)
    assert abs((first.expires_at - in_eight_hours).total_seconds()) < 60
    assert first.access_token not in repr(first)


def test_customer_token_refused_for_unknown_client(fake):
    with LiveChatApi(fake.agent_token, fake.organization_id, "someone-else",
                     transport=httpx.WSGITransport(app=fake)) as other:
        with pytest.raises(LiveChatError) as caught:
            other.customer_token()
    assert caught.value.type == "unauthorized_client" and not caught.value.retryable


def test_start_chat_is_continuous_and_carries_the_first_message(livechat, fake, customer):
    started = livechat.start_chat(customer, group_id=1, text="Hello from SMS", custom_id="SM123")

    sent = fake.requests_for("start_chat")[0]
    assert (sent.host, sent.path) == ("api.livechatinc.com", "/v3.6/customer/action/start_chat")
    assert sent.query == {"organization_id": fake.organization_id}
    assert sent.headers["Authorization"] == f"Bearer {customer.access_token}"
    assert sent.json == {
        "chat": {"access": {"group_ids": [1]},
                 "thread": {"events": [{"type": "message", "text": "Hello from SMS", "custom_id": "SM123"}]}},
        "continuous": True,
    }
    chat = fake.chats[started.chat_id]
    assert chat["properties"]["routing"]["continuous"] is True
    assert started.thread_id == chat["threads"][0]["id"]
    assert [e["text"] for e in fake.events(started.chat_id)] == ["Hello from SMS"]
    assert started.event_ids == (fake.events(started.chat_id)[0]["id"],)


def test_non_continuous_chat_needs_an_online_group(livechat, customer):
    with pytest.raises(LiveChatError) as caught:
        livechat.start_chat(customer, group_id=0, text="hi", continuous=False)
    assert caught.value.type == "groups_offline"


def test_send_event_as_the_customer(livechat, fake, customer):
    chat = livechat.start_chat(customer, group_id=0)
    event_id = livechat.send_event(customer, chat.chat_id, "Second message")

    [event] = fake.events(chat.chat_id)
    assert event["id"] == event_id
    assert (event["type"], event["text"], event["author_id"]) == ("message", "Second message", customer.entity_id)
    assert fake.requests_for("send_event")[0].json == {
        "chat_id": chat.chat_id, "event": {"type": "message", "text": "Second message"}}


def test_message_over_16_kb_is_a_validation_error(livechat, customer):
    chat = livechat.start_chat(customer, group_id=0)
    with pytest.raises(LiveChatError) as caught:
        livechat.send_event(customer, chat.chat_id, "x" * (16 * 1024 + 1))
    assert caught.value.type == "validation" and caught.value.status == 400


def test_resume_after_deactivate(livechat, fake, customer):
    chat = livechat.start_chat(customer, group_id=0, text="first")
    livechat.deactivate_chat(chat.chat_id)

    with pytest.raises(LiveChatError) as caught:
        livechat.send_event(customer, chat.chat_id, "are you there?")
    assert caught.value.type == "chat_inactive"
    assert not caught.value.retryable

    resumed = livechat.resume_chat(customer, chat.chat_id, group_id=0, text="are you there?")
    assert fake.requests_for("resume_chat")[0].json == {
        "chat": {"id": chat.chat_id, "access": {"group_ids": [0]},
                 "thread": {"events": [{"type": "message", "text": "are you there?"}]}},
        "continuous": True,
    }
    assert fake.active_thread(chat.chat_id)["id"] == resumed.thread_id
    livechat.send_event(customer, chat.chat_id, "still here")

    archives = livechat.list_archives(customer.entity_id)
    assert archives.found_chats == 2
    assert [c["thread"]["id"] for c in archives.chats] == [resumed.thread_id, chat.thread_id]
    assert fake.requests_for("list_archives")[0].json == {"filters": {"customer_id": customer.entity_id},
                                                           "limit": 10}


def test_resume_an_active_chat_is_refused(livechat, customer):
    chat = livechat.start_chat(customer, group_id=0)
    with pytest.raises(LiveChatError) as caught:
        livechat.resume_chat(customer, chat.chat_id, group_id=0)
    assert caught.value.type == "validation"


def test_list_archives_pages_with_page_id_only(livechat, fake, customer):
    chat = livechat.start_chat(customer, group_id=0)
    for _ in range(2):
        livechat.deactivate_chat(chat.chat_id)
        livechat.resume_chat(customer, chat.chat_id, group_id=0)
    first = livechat.list_archives(customer.entity_id, limit=2)
    second = livechat.list_archives(customer.entity_id, page_id=first.next_page_id)
    assert len(first.chats) == 2 and len(second.chats) == 1 and second.next_page_id is None
    assert fake.requests_for("list_archives")[1].json == {"page_id": first.next_page_id}


def test_update_customer(livechat, fake, customer):
    livechat.update_customer(customer, name="+44 7700 900123", email="ann@example.com")
    assert fake.requests_for("update_customer")[0].json == {"name": "+44 7700 900123", "email": "ann@example.com"}
    assert fake.customers[customer.entity_id]["name"] == "+44 7700 900123"

    with pytest.raises(ValueError):
        livechat.update_customer(customer)
    with pytest.raises(LiveChatError) as caught:
        livechat.update_customer(customer, email="not-an-email")
    assert caught.value.type == "validation"


def test_update_customer_during_a_chat_lands_when_it_ends(livechat, fake, customer):
    chat = livechat.start_chat(customer, group_id=0)
    livechat.update_customer(customer, name="Ann")
    assert "name" not in fake.customers[customer.entity_id]
    livechat.deactivate_chat(chat.chat_id)
    assert fake.customers[customer.entity_id]["name"] == "Ann"


def test_upload_file_then_send_a_file_event(livechat, fake, customer):
    chat = livechat.start_chat(customer, group_id=0)
    url = livechat.upload_file(customer, "photo.jpg", b"\xff\xd8jpeg", "image/jpeg")
    event_id = livechat.send_file(customer, chat.chat_id, url)

    upload = fake.requests_for("upload_file")[0]
    assert upload.files == {"file": ("photo.jpg", 6, "image/jpeg")}
    assert upload.headers["Content-Type"].startswith("multipart/form-data")
    [event] = fake.events(chat.chat_id)
    assert (event["id"], event["type"], event["url"], event["name"]) == (event_id, "file", url, "photo.jpg")


def test_file_event_must_point_to_the_cdn(livechat, customer):
    chat = livechat.start_chat(customer, group_id=0)
    with pytest.raises(LiveChatError) as caught:
        livechat.send_file(customer, chat.chat_id, "https://evil.example.com/x.png")
    assert caught.value.type == "validation"


def test_upload_over_10_mb_is_refused(livechat, customer):
    with pytest.raises(LiveChatError) as caught:
        livechat.upload_file(customer, "big.bin", b"\0" * (10 * 1024 * 1024 + 1), "application/octet-stream")
    assert (caught.value.type, caught.value.status) == ("entity_too_large", 413)


def test_transfer_chat(livechat, fake, customer):
    chat = livechat.start_chat(customer, group_id=0)
    livechat.transfer_chat(chat.chat_id, "group", [1])

    assert fake.requests_for("transfer_chat")[0].json == {
        "id": chat.chat_id, "target": {"type": "group", "ids": [1]},
        "ignore_agents_availability": True, "ignore_requester_presence": True}
    assert fake.chats[chat.chat_id]["access"]["group_ids"] == [1]

    livechat.transfer_chat(chat.chat_id, "agent", ["smith@example.com"])
    assert fake.chats[chat.chat_id]["agent_ids"] == ["smith@example.com"]

    with pytest.raises(ValueError):
        livechat.transfer_chat(chat.chat_id, "team", [1])  # type: ignore[arg-type]
    livechat.deactivate_chat(chat.chat_id)
    with pytest.raises(LiveChatError) as caught:
        livechat.transfer_chat(chat.chat_id, "group", [0])
    assert caught.value.type == "chat_inactive"


def test_agent_event_needs_the_agent_in_the_chat(livechat, fake, customer):
    chat = livechat.start_chat(customer, group_id=0)
    with pytest.raises(LiveChatError) as caught:
        livechat.send_agent_event(chat.chat_id, "Note", visibility="agents")
    assert caught.value.type == "authorization"

    livechat.add_user_to_chat(chat.chat_id, fake.agent_id)
    event_id = livechat.send_agent_event(chat.chat_id, "Note", visibility="agents")
    [event] = fake.events(chat.chat_id)
    assert (event["id"], event["visibility"], event["author_id"]) == (event_id, "agents", fake.agent_id)


def test_mark_delivered_sets_the_default_status_property(livechat, fake, customer):
    chat = livechat.start_chat(customer, group_id=0, text="hi")
    livechat.mark_delivered(chat.chat_id, chat.thread_id, chat.event_ids[0])

    assert fake.requests_for("update_event_properties")[0].json == {
        "chat_id": chat.chat_id, "thread_id": chat.thread_id, "event_id": chat.event_ids[0],
        "properties": {"status": {"delivered": True}}}
    assert fake.events(chat.chat_id)[0]["properties"] == {"status": {"delivered": True}}

    with pytest.raises(LiveChatError) as caught:
        livechat.update_event_properties(chat.chat_id, chat.thread_id, chat.event_ids[0], {"status": {"read": True}})
    assert caught.value.type == "validation"


def test_register_webhook_for_agent_messages(livechat, fake):
    webhook_id = livechat.register_webhook(HOOK_URL, "incoming_event", "s3cret-key", fake.client_id,
                                      filters={"author_type": "agent"})

    sent = fake.requests_for("register_webhook")[0]
    assert sent.path == "/v3.6/configuration/action/register_webhook"
    assert sent.headers["Authorization"] == f"Bearer {fake.agent_token}"
    assert sent.json == {"action": "incoming_event", "secret_key": "s3cret-key", "url": HOOK_URL,
                         "filters": {"author_type": "agent"}, "owner_client_id": fake.client_id,
                         "type": "license"}
    [listed] = livechat.list_webhooks()
    assert (listed.id, listed.action, listed.url, listed.filters) == (
        webhook_id, "incoming_event", HOOK_URL, {"author_type": "agent"})
    assert "s3cret-key" not in repr(listed)
    assert [w["id"] for w in fake.matching_webhooks("incoming_event", author_type="customer")] == []

    livechat.unregister_webhook(webhook_id)
    assert livechat.list_webhooks() == []


def test_register_webhook_limits(livechat, fake):
    with pytest.raises(LiveChatError) as caught:
        livechat.register_webhook(HOOK_URL, "chat_transferred", "k", fake.client_id, filters={"author_type": "agent"})
    assert caught.value.type == "validation"
    for _ in range(3):
        livechat.register_webhook(HOOK_URL, "chat_deactivated", "k", fake.client_id)
    with pytest.raises(LiveChatError) as caught:
        livechat.register_webhook(HOOK_URL, "chat_deactivated", "k", fake.client_id)
    assert caught.value.type == "limit_reached"
    with pytest.raises(LiveChatError) as caught:
        livechat.unregister_webhook("no-such-webhook")
    assert caught.value.type == "not_found"


def test_error_envelope_becomes_a_readable_error(livechat, customer):
    with pytest.raises(LiveChatError) as caught:
        livechat.send_event(customer, "NOSUCHCHAT", "hello")
    error = caught.value
    assert (error.type, error.message, error.status, error.retryable, error.action) == (
        "not_found", "Chat not found", 404, False, "send_event")
    assert str(error) == "LiveChat send_event failed: Chat not found (not_found, HTTP 404)"


def test_revoked_customer_token_is_an_authentication_error(livechat, fake, customer):
    fake.revoke_token(customer.access_token)
    with pytest.raises(LiveChatError) as caught:
        livechat.start_chat(customer, group_id=0)
    assert (caught.value.type, caught.value.status, caught.value.retryable) == ("authentication", 401, False)


@pytest.mark.parametrize(("status", "error_type"), [(429, "too_many_requests"), (500, "internal"),
                                                    (503, "service_unavailable")])
def test_throttling_and_server_errors_are_retryable(livechat, fake, customer, status, error_type):
    fake.fail_next(1, status=status)
    with pytest.raises(LiveChatError) as caught:
        livechat.start_chat(customer, group_id=0)
    assert (caught.value.type, caught.value.status, caught.value.retryable) == (error_type, status, True)
    assert livechat.start_chat(customer, group_id=0).chat_id  # the next call goes through


def test_connection_failure_is_retryable():
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with mock_api(refuse) as client, pytest.raises(LiveChatError) as caught:
        client.deactivate_chat("CHAT1")
    assert (caught.value.type, caught.value.retryable, caught.value.status) == ("connection_error", True, None)


def test_retry_after_header_is_exposed():
    def throttle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "7"},
                              json={"error": {"type": "too_many_requests", "message": "Too many requests"}})

    with mock_api(throttle) as client, pytest.raises(LiveChatError) as caught:
        client.deactivate_chat("CHAT1")
    assert caught.value.retry_after == 7.0 and caught.value.retryable


def test_region_header_and_misdirected_request_retry():
    seen: list[httpx.Request] = []

    def route(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.headers.get("X-Region") != "fra":
            return httpx.Response(421, json={"error": {"type": "misdirected_request", "message": "Wrong region",
                                                       "data": {"region": "fra"}}})
        return httpx.Response(200, json={"event_id": "T1_1"})

    with mock_api(route, agent_token="fra:agent-token") as client:
        client.deactivate_chat("CHAT1")  # agent calls carry the agent token's region
        assert seen[-1].headers["X-Region"] == "fra"
        assert client.send_event("dal:customer-token", "CHAT1", "hi") == "T1_1"  # retried once in `fra`
    assert [r.headers.get("X-Region") for r in seen[1:]] == ["dal", "fra"]


def test_tokens_never_reach_logs_or_errors(fake, caplog):
    lines: list[str] = []
    sink = logger.add(lines.append, level="TRACE")
    caplog.set_level(logging.DEBUG)
    errors: list[str] = []
    try:
        with LiveChatApi(fake.agent_token, fake.organization_id, fake.client_id,
                         transport=httpx.WSGITransport(app=fake)) as client:
            token = client.customer_token()
            chat = client.start_chat(token, group_id=0, text="hi")
            client.send_event(token, chat.chat_id, "hello")
            client.register_webhook(HOOK_URL, "incoming_event", "hook-secret", fake.client_id)
            for call in (lambda: client.send_event(token, "NOPE", "x"),
                         lambda: client.resume_chat(token, chat.chat_id, group_id=0)):
                with pytest.raises(LiveChatError) as caught:
                    call()
                errors.append(f"{caught.value!s} {caught.value!r}")

        def echo_token(request: httpx.Request) -> httpx.Response:  # a server that echoes the token
            sent = request.headers["Authorization"].split(" ", 1)[1]
            return httpx.Response(401, json={"error": {"type": "authentication", "message": f"bad token {sent}"}})

        with mock_api(echo_token, agent_token=fake.agent_token) as client:
            with pytest.raises(LiveChatError) as caught:
                client.send_event(token, "CHAT1", "x")
            errors.append(str(caught.value))
            with pytest.raises(LiveChatError) as caught:
                client.deactivate_chat("CHAT1")
            errors.append(str(caught.value))
    finally:
        logger.remove(sink)

    assert any(r.name == "plugins.livechat.client" for r in caplog.records)  # the wrapper did log
    captured = "\n".join(lines + [r.getMessage() for r in caplog.records] + errors)
    assert "bad token [redacted]" in captured
    for secret in (fake.agent_token, token.access_token, "hook-secret"):
        assert secret not in captured
