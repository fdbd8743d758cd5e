"""LiveChat webhook secret check and parsing, on bodies built by the fake from the v3.6 envelope."""

from __future__ import annotations

import copy

import pytest

from plugins.livechat import parsing as webhooks
from plugins.livechat.testing import FakeLiveChat
from plugins.livechat.parsing import WebhookParseError, parse, verify_secret

SECRET = "9f2c-secret-key"


@pytest.fixture
def fake() -> FakeLiveChat:
    fake = FakeLiveChat()
    fake.install_app()
    fake.add_webhook("incoming_event", SECRET, filters={"author_type": "agent"})
    for action in ("incoming_chat", "chat_transferred", "chat_deactivated"):
        fake.add_webhook(action, SECRET)
    return fake


@pytest.fixture
def chat_id(fake: FakeLiveChat) -> str:
    return fake.add_chat(fake.add_customer())


# -- secret ------------------------------------------------------------------------------------


def test_matching_secret_is_accepted(fake, chat_id):
    assert verify_secret(fake.incoming_event_webhook(chat_id, "Hi"), SECRET)


@pytest.mark.parametrize("received", ["wrong-secret", "", None, 12345, SECRET.upper(), SECRET + " "])
def test_wrong_or_missing_secret_is_refused(fake, chat_id, received):
    body = fake.incoming_event_webhook(chat_id, "Hi")
    body["secret_key"] = received
    assert not verify_secret(body, SECRET)


def test_body_without_secret_key_is_refused(fake, chat_id):
    body = fake.incoming_event_webhook(chat_id, "Hi")
    del body["secret_key"]
    assert not verify_secret(body, SECRET)


def test_no_configured_secret_fails_closed(fake, chat_id):
    body = fake.incoming_event_webhook(chat_id, "Hi", secret_key="")
    assert not verify_secret(body, "")
    assert not verify_secret(["not", "a", "dict"], SECRET)  # type: ignore[arg-type]


def test_secret_is_compared_in_constant_time(fake, chat_id, monkeypatch):
    calls = []
    real = webhooks.hmac.compare_digest
    monkeypatch.setattr(webhooks.hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))
    assert verify_secret(fake.incoming_event_webhook(chat_id, "Hi"), SECRET)
    assert calls == [(SECRET.encode(), SECRET.encode())]


# -- parsing each action -------------------------------------------------------------------------


def test_parse_incoming_event_from_an_agent(fake, chat_id):
    body = fake.incoming_event_webhook(chat_id, "We shipped it", agent_id="smith@example.com")
    hook = parse(body)

    event = fake.events(chat_id)[-1]
    assert (hook.action, hook.organization_id, hook.webhook_id) == (
        "incoming_event", fake.organization_id, body["webhook_id"])
    assert (hook.chat_id, hook.thread_id) == (chat_id, fake.active_thread(chat_id)["id"])
    assert hook.event == event and event["author_id"] == "smith@example.com" and event["text"] == "We shipped it"
    assert hook.dedupe_key == f"incoming_event:{chat_id}:{event['id']}"


def test_parse_incoming_chat(fake, chat_id):
    hook = parse(fake.incoming_chat_webhook(chat_id))
    assert hook.action == "incoming_chat"
    assert (hook.chat_id, hook.thread_id) == (chat_id, fake.chats[chat_id]["threads"][-1]["id"])
    assert hook.payload["chat"]["users"][0]["type"] == "customer"


def test_parse_chat_transferred_without_additional_data(fake, chat_id):
    body = fake.chat_transferred_webhook(chat_id, group_ids=[1], reason="manual")
    assert "additional_data" not in body  # as in the documented sample
    hook = parse(body)
    assert hook.action == "chat_transferred" and hook.additional_data == {}
    assert hook.chat_id == chat_id and hook.thread_id == fake.active_thread(chat_id)["id"]
    assert hook.payload["transferred_to"] == {"group_ids": [1], "agent_ids": []}
    assert hook.payload["reason"] == "manual"


def test_parse_chat_deactivated(fake, chat_id):
    thread_id = fake.active_thread(chat_id)["id"]
    hook = parse(fake.chat_deactivated_webhook(chat_id, user_id="smith@example.com"))
    assert (hook.action, hook.chat_id, hook.thread_id) == ("chat_deactivated", chat_id, thread_id)
    assert hook.payload["user_id"] == "smith@example.com"
    assert fake.active_thread(chat_id) is None


def test_parsed_webhook_carries_no_secret(fake, chat_id):
    hook = parse(fake.incoming_event_webhook(chat_id, "Hi"))
    assert SECRET not in repr(hook) and not hasattr(hook, "secret_key")


def test_unknown_fields_are_tolerated(fake, chat_id):
    body = fake.incoming_event_webhook(chat_id, "Hi")
    body["payload"]["field_added_later"] = {"x": 1}
    body["also_new"] = True
    assert parse(body).chat_id == chat_id


@pytest.mark.parametrize("broken", [
    lambda b: b.pop("action"),
    lambda b: b.update(action=""),
    lambda b: b.update(payload="not an object"),
    lambda b: b["payload"].pop("chat_id"),
    lambda b: b["payload"]["event"].pop("id"),
])
def test_malformed_bodies_are_rejected(fake, chat_id, broken):
    body = fake.incoming_event_webhook(chat_id, "Hi")
    broken(body)
    with pytest.raises(WebhookParseError):
        parse(body)


def test_chat_webhook_without_chat_id_is_rejected(fake, chat_id):
    body = fake.chat_deactivated_webhook(chat_id)
    del body["payload"]["chat_id"]
    with pytest.raises(WebhookParseError):
        parse(body)


# -- dedupe key ----------------------------------------------------------------------------------


def test_redelivery_has_the_same_dedupe_key(fake, chat_id):
    body = fake.incoming_event_webhook(chat_id, "Hi")
    redelivered = copy.deepcopy(body)
    assert parse(body).dedupe_key == parse(redelivered).dedupe_key


def test_each_event_has_its_own_dedupe_key(fake, chat_id):
    first = parse(fake.incoming_event_webhook(chat_id, "Hi"))
    second = parse(fake.incoming_event_webhook(chat_id, "Hi"))  # same text, new event
    assert first.dedupe_key != second.dedupe_key


def test_non_event_dedupe_key_follows_webhook_id_and_payload(fake, chat_id):
    body = fake.chat_deactivated_webhook(chat_id)
    same = parse(copy.deepcopy(body)).dedupe_key
    assert parse(body).dedupe_key == same
    assert same.startswith(f"chat_deactivated:{body['webhook_id']}:")

    fake.reopen_chat(chat_id)
    next_thread = fake.chat_deactivated_webhook(chat_id)  # same registration, another thread
    assert next_thread["webhook_id"] == body["webhook_id"]
    assert parse(next_thread).dedupe_key != same


def test_build_webhook_needs_a_registration_or_a_secret(chat_id):
    bare = FakeLiveChat()
    with pytest.raises(LookupError):
        bare.build_webhook("incoming_event", {"chat_id": chat_id})
    assert bare.build_webhook("incoming_event", {}, secret_key="s")["secret_key"] == "s"
