"""LiveChat unreachable, rate-limited or refusing: retried from the outbox, visible, never fatal."""
from __future__ import annotations

import logging

import pytest

from host.extensions import db
from host.models import Chat, Message, utcnow
from plugins.livechat import sync_queue
from plugins.livechat.models import LiveChatChat, LiveChatCustomer, LiveChatSyncItem

LC_AGENT = "agent@example.test"


def the_chat():
    return db.session.execute(db.select(Chat)).scalar_one()


def items(action=None):
    query = db.select(LiveChatSyncItem).order_by(LiveChatSyncItem.id)
    if action:
        query = query.where(LiveChatSyncItem.action == action)
    return db.session.execute(query).scalars().all()


def make_due():
    for item in items():
        if item.state == "pending":
            item.next_attempt_at = utcnow()
    db.session.commit()


def test_rate_limits_and_5xx_back_off_and_nothing_is_lost(livechat, inbound, drain, agent, api):
    fake = livechat
    fake.fail_next(1, status=429, message="Requests limit reached")
    inbound("first")
    inbound("second")
    drain()
    [message_item] = [i for i in items() if i.state == "pending"][:1]
    assert message_item.attempts == 1 and "too_many_requests" in message_item.last_error
    assert "HTTP 429" in message_item.last_error
    seconds = (message_item.next_attempt_at - utcnow()).total_seconds()
    assert 0 < seconds <= 1.5  # first backoff: 1 s
    state = api(agent).get(f"/api/v1/livechat/chats/{the_chat().id}/sync").json
    assert state["delayed"] and state["status"].startswith("LiveChat sync delayed: LiveChat customer_token failed")
    assert state["items"][0]["state"] == "pending" and state["items"][0]["next_attempt_at"]

    fake.fail_next(2, status=503)
    for _ in range(3):
        make_due()
        drain()
    assert all(i.state == "done" for i in items())
    link = db.session.execute(db.select(LiveChatChat)).scalar_one()
    assert [e["text"] for e in fake.events(link.lc_chat_id)] == ["first", "second"]  # in order, once each
    assert [i.attempts for i in items("message")] == [4, 1]  # 429, 503, 503, then sent
    assert api(agent).get(f"/api/v1/livechat/chats/{the_chat().id}/sync").json["status"] == "In sync with LiveChat."


def test_a_failure_is_stored_in_english_and_worded_for_each_reader(livechat, inbound, drain, agent, api):
    """The row keeps the worker's English sentence (its pushes reach every language); the
    API words it for its reader, LiveChat's own words inside it kept as LiveChat wrote them."""
    livechat.fail_next(1, status=429, message="Requests limit reached")
    inbound("first")
    drain()
    stored = [i for i in items() if i.state == "pending"][0].last_error
    assert stored.startswith("LiveChat customer_token failed: Requests limit reached")
    url = f"/api/v1/livechat/chats/{the_chat().id}/sync"
    spanish = api(agent).get(url, headers={"Accept-Language": "es"}).json
    assert spanish["items"][0]["last_error"].startswith("LiveChat customer_token falló: Requests limit reached")
    assert spanish["status"].startswith("La sincronización con LiveChat se retrasa: LiveChat customer_token falló")
    db.session.add(LiveChatSyncItem(chat_id=the_chat().id, action="note", payload={}, state="failed",
                                    last_error="The LiveChat chat is closed, so this note could not be added to it: "
                                               "Hola"))
    db.session.commit()
    polish = api(agent).get(url, headers={"Accept-Language": "pl"}).json
    assert polish["status_error"] == "Czat w LiveChat jest zamknięty, więc nie można było dodać do niego tej notatki: Hola"
    english = api(agent).get(url, headers={"Accept-Language": "en"}).json
    assert english["status_error"] == "The LiveChat chat is closed, so this note could not be added to it: Hola"


def test_backoff_grows_and_honours_retry_after():
    assert [sync_queue.backoff(n) for n in (1, 2, 3, 4, 10, 20)] == [1, 2, 4, 8, 300, 300]
    assert sync_queue.backoff(1, retry_after=30) == 30
    assert sync_queue.backoff(1, retry_after=10_000) == 300


def test_livechat_unreachable_keeps_everything_queued(livechat, inbound, drain, lc_transport):
    lc_transport.down = True
    inbound("anyone?")
    drain()
    first = items("message")[0]
    assert first.state == "pending" and first.attempts == 1
    assert first.last_error == "LiveChat customer_token failed: could not reach LiveChat (ConnectError) " \
                               "(connection_error)"
    lc_transport.down = False
    make_due()
    drain()
    assert [i.state for i in items()] == ["done", "done"]
    assert len(livechat.requests_for("start_chat")) == 1


def test_an_error_envelope_becomes_a_readable_final_failure_with_a_working_retry(livechat, inbound, drain, agent,
                                                                                    api, configure):
    configure(group_mapping={"Support": 7})  # LiveChat has no group 7
    inbound("hello")
    drain()
    failed = [i for i in items() if i.state == "failed"]
    assert len(failed) == 1 and failed[0].attempts == 1  # final at once: no retry of a refusal
    assert failed[0].last_error == "LiveChat start_chat failed: Group `7` not found (group_not_found, HTTP 404)"
    chat = the_chat()
    state = api(agent).get(f"/api/v1/livechat/chats/{chat.id}/sync").json
    assert state["failed"] == 1
    assert state["status"] == "LiveChat sync failed: LiveChat start_chat failed: Group `7` not found " \
                              "(group_not_found, HTTP 404)"
    configure(group_mapping={"Support": 0})  # the admin fixes the mapping…
    retried = api(agent).post(f"/api/v1/livechat/chats/{chat.id}/sync/retry").json  # …an agent retries
    assert retried["failed"] == 0 and retried["pending"] >= 1
    drain()
    state = api(agent).get(f"/api/v1/livechat/chats/{chat.id}/sync").json
    assert state["mirrored"] and state["pending"] == 0 and state["failed"] == 0


def test_a_broken_livechat_never_breaks_the_channel_webhook_or_agent_replies(
        app, livechat, inbound, drain, agent, api, loopback, monkeypatch, caplog):
    def explode(*args, **kwargs):
        raise RuntimeError("LiveChat outbox table is locked")

    monkeypatch.setattr(sync_queue, "enqueue", explode)
    with caplog.at_level(logging.ERROR):
        inbound("the webhook must still answer 200")  # asserts the 200 itself
    chat = the_chat()
    assert [m.body for m in chat.messages] == ["the webhook must still answer 200"]
    assert "LiveChat sync could not queue" in caplog.text
    response = api(agent).post(f"/api/v1/chats/{chat.id}/messages", json={"body": "We're here"})
    assert response.status_code == 201
    assert app.extensions["switchboard"].outbox.drain() == 1
    assert [m.body for m in loopback.channel.sent] == ["We're here"]


def test_livechat_down_during_everything_still_lets_agents_work(app, livechat, inbound, drain, agent, api, loopback,
                                                                 lc_transport):
    inbound("first")
    drain()
    lc_transport.down = True
    inbound("second")
    chat = the_chat()
    assert api(agent).post(f"/api/v1/chats/{chat.id}/messages", json={"body": "reply"}).status_code == 201
    assert api(agent).post(f"/api/v1/chats/{chat.id}/archive").status_code == 200
    drain()
    app.extensions["switchboard"].outbox.drain()
    assert [m.body for m in loopback.channel.sent] == ["reply"]
    assert {i.state for i in items() if i.action in ("message", "deactivate")} == {"done", "pending"}


def test_disabled_or_unconfigured_sync_waits_without_losing_rows(app, livechat, inbound, drain):
    plugins = app.extensions["switchboard"].plugins
    inbound("queued while switched off")
    plugins.set_enabled("livechat", False)
    assert drain() == 0
    assert {i.state for i in items()} == {"pending"}
    plugins.set_enabled("livechat", True)
    assert drain() == 2


def test_an_identity_lost_on_livechats_side_is_replaced(livechat, inbound, drain):
    fake = livechat
    inbound("one")
    drain()
    customer = db.session.execute(db.select(LiveChatCustomer)).scalar_one()
    old_entity = customer.entity_id
    del fake.customers[old_entity]
    customer.expires_at = utcnow()
    db.session.commit()
    inbound("two")
    drain()
    db.session.refresh(customer)
    assert customer.entity_id != old_entity
    assert len(fake.requests_for("start_chat")) == 2  # a new chat for the new identity


@pytest.mark.parametrize("level", [logging.DEBUG])
def test_tokens_never_reach_the_logs(livechat, inbound, drain, caplog, level, lc_post, fake):
    with caplog.at_level(level):
        fake.fail_next(1, status=401, error_type="authentication", message="Invalid access token")
        inbound("hello")
        drain()
        for item in items():
            item.state, item.next_attempt_at = "pending", utcnow()
        db.session.commit()
        drain()
        lc_post(fake.incoming_event_webhook(db.session.execute(db.select(LiveChatChat.lc_chat_id)).scalar_one(),
                                            "hi", agent_id=LC_AGENT))
    customer = db.session.execute(db.select(LiveChatCustomer)).scalar_one()
    text = caplog.text + "".join(str(i.last_error) for i in items())
    for secret in (fake.agent_token, customer.access_token, "lc-webhook-secret-0123456789abcdef"):
        assert secret not in text
    assert db.session.execute(db.select(Message)).first() is not None


def test_an_expired_agent_token_is_renewed_with_the_refresh_token(livechat, configure, inbound, drain):
    from plugins.livechat import settings

    fake = livechat
    expired = fake.add_agent_token(fake.agent_id)
    fake.revoke_token(expired)
    configure(agent_token=expired, refresh_token=fake.issue_refresh_token(), client_secret=fake.client_secret)
    inbound("hello")
    drain()
    assert [i.state for i in items()] == ["done", "done"]
    renewed = settings.current().agent_token
    assert renewed not in (expired, None) and fake.requests_for("oauth_token")[-1].method == "POST"
    link = db.session.execute(db.select(LiveChatChat)).scalar_one()
    assert [e["text"] for e in fake.events(link.lc_chat_id)] == ["hello"]


def test_without_a_refresh_token_a_refused_agent_token_keeps_calls_waiting(livechat, configure, inbound, drain):
    fake = livechat
    fake.revoke_token(fake.agent_token)
    inbound("hello")
    drain()
    [item] = [i for i in items() if i.action == "message"]
    assert item.state == "pending"
    assert item.last_error == ("LiveChat customer_token failed: agent access token is missing or invalid "
                               "(unauthorized, HTTP 401)")
    configure(agent_token=fake.add_agent_token(fake.agent_id))  # an admin pastes a new token
    make_due()
    drain()
    assert [i.state for i in items()] == ["done", "done"]


def test_a_revoked_customer_token_is_replaced(livechat, inbound, drain):
    fake = livechat
    inbound("one")
    drain()
    customer = db.session.execute(db.select(LiveChatCustomer)).scalar_one()
    fake.revoke_token(customer.access_token)
    inbound("two")
    drain()
    link = db.session.execute(db.select(LiveChatChat)).scalar_one()
    assert [e["text"] for e in fake.events(link.lc_chat_id)] == ["one", "two"]
    assert fake.requests_for("customer_token")[-1].json["entity_id"] == customer.entity_id


def test_the_worker_runs_alongside_the_host_outbox(app, live_server, livechat, inbound):
    import time

    fake = livechat
    inbound("picked up by the background worker")
    deadline = time.monotonic() + 10
    while not fake.requests_for("start_chat") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fake.requests_for("start_chat"), "the LiveChat worker did not start with the host's outbox worker"
