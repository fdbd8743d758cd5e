"""A reply reaches the customer exactly once, even when Twilio accepts it and then stalls
past our timeout, or the worker dies in the middle of the call: before any retry the
outbox asks Twilio whether it has the message already."""
from __future__ import annotations

from datetime import timedelta

import pytest

from host.extensions import db
from host.models import Chat, Message, OutboxItem, utcnow
from plugins.twilio_channel.client import use_http_client
from plugins.twilio_channel.testing.stalling_twilio import StallingTwilio
from plugins.twilio_channel.testing.webhooks import LIVE_SID, LIVE_TOKEN, inbound_params
from plugins.twilio_channel.transport import RoutingHttpClient

CLIENT_TIMEOUT = 0.5


@pytest.fixture
def twilio(app, live_account):
    with StallingTwilio(LIVE_SID) as fake:
        fake.stall_seconds = CLIENT_TIMEOUT * 4
        use_http_client(app, RoutingHttpClient({"api": fake.url}, timeout=CLIENT_TIMEOUT))
        yield fake


@pytest.fixture
def chat(app, agent, twilio_webhook, live_account):
    params = inbound_params(sid="SM" + "7" * 32, to="+14155550100", body="Hello", account_sid=LIVE_SID)
    assert twilio_webhook("/webhooks/twilio/messaging", params, token=LIVE_TOKEN).status_code == 200
    return db.session.execute(db.select(Chat.id)).scalar_one()


def reply(api, agent, chat, body):
    response = api(agent).post(f"/api/v1/chats/{chat}/messages", json={"body": body})
    assert response.status_code == 201
    return response.json["id"]


def retry_now():
    db.session.execute(db.update(OutboxItem).where(OutboxItem.state == "pending")
                       .values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def run_outbox(app, rounds=5):
    outbox = app.extensions["switchboard"].outbox
    for _ in range(rounds):
        outbox.drain()
        retry_now()
    db.session.remove()


def test_a_reply_twilio_accepted_before_stalling_is_not_sent_again(app, api, agent, chat, twilio):
    twilio.stall_next = 1
    message_id = reply(api, agent, chat, "Your order shipped")
    app.extensions["switchboard"].outbox.drain()
    message = db.session.get(Message, message_id)
    assert message.status == "queued" and "retrying" in message.error_message  # outcome unknown
    assert twilio.bodies() == ["Your order shipped"]  # …but Twilio has it

    run_outbox(app)
    message = db.session.get(Message, message_id)
    assert twilio.bodies() == ["Your order shipped"]  # exactly once
    assert message.external_id == twilio.messages[0]["sid"] and message.error_message is None
    assert db.session.execute(db.select(OutboxItem.state)).scalar_one() == "done"


def test_a_reply_twilio_never_stored_is_sent_on_the_retry(app, api, agent, chat, twilio):
    twilio.fail_next = 1
    message_id = reply(api, agent, chat, "Are you there?")
    run_outbox(app)
    assert twilio.bodies() == ["Are you there?"]
    assert db.session.get(Message, message_id).external_id == twilio.messages[0]["sid"]


def test_the_same_words_sent_twice_on_purpose_both_go_out(app, api, agent, chat, twilio):
    reply(api, agent, chat, "ok")
    run_outbox(app)
    twilio.stall_next = 1
    second = reply(api, agent, chat, "ok")
    run_outbox(app)
    # the first "ok" is Twilio's record of the first message, not of the second
    assert twilio.bodies() == ["ok", "ok"]
    assert db.session.get(Message, second).external_id == twilio.messages[1]["sid"]


def test_a_worker_killed_mid_send_leaves_a_reply_that_is_not_sent_again(app, api, agent, chat, twilio):
    twilio.stall_next = 1
    twilio.stall_seconds = 0.2
    message_id = reply(api, agent, chat, "Sent once")
    outbox = app.extensions["switchboard"].outbox
    [item_id] = outbox.due_ids()
    assert outbox.claim(item_id)
    item = db.session.get(OutboxItem, item_id)
    item.attempts += 1  # what send_one commits before it calls Twilio
    db.session.commit()
    from plugins.twilio_channel.messaging.channels import SMS
    from host.outbox import outgoing
    SMS.send(outgoing(db.session.get(Message, message_id)))  # Twilio accepts; the process is killed here
    item.locked_until = utcnow() - timedelta(seconds=1)  # its claim runs out
    db.session.commit()

    run_outbox(app)
    assert twilio.bodies() == ["Sent once"]
    assert db.session.get(Message, message_id).external_id == twilio.messages[0]["sid"]


def test_nothing_is_sent_while_twilio_cannot_be_asked(app, api, agent, chat, twilio):
    twilio.stall_next = 1
    message_id = reply(api, agent, chat, "Hold on")
    outbox = app.extensions["switchboard"].outbox
    outbox.drain()
    twilio.stall_next = 0
    good = twilio.url
    use_http_client(app, RoutingHttpClient({"api": "http://127.0.0.1:9"}, timeout=CLIENT_TIMEOUT))  # unreachable
    retry_now()
    outbox.drain()
    assert twilio.bodies() == ["Hold on"]
    message = db.session.get(Message, message_id)
    assert message.status == "queued" and "could not be asked" in message.error_message
    use_http_client(app, RoutingHttpClient({"api": good}, timeout=CLIENT_TIMEOUT))
    run_outbox(app)
    assert twilio.bodies() == ["Hold on"]
    assert db.session.get(Message, message_id).external_id == twilio.messages[0]["sid"]
