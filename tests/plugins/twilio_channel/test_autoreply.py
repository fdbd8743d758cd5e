"""Automatic replies: first contact, out of hours, nobody online; never to opt-out keywords."""
from __future__ import annotations

from datetime import datetime, UTC

import pytest

from host import settings
from host.extensions import db
from host.models import Message, OutboxItem
from plugins.twilio_channel.messaging.autoreply import open_now
from plugins.twilio_channel.settings import load_config
from plugins.twilio_channel.testing.webhooks import inbound_params

MESSAGING = "/webhooks/twilio/messaging"
ALWAYS_OPEN = {day: ["00:00-24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def configure(**values):
    settings.save("twilio_channel", {"business_hours": ALWAYS_OPEN, **values})


def auto_replies():
    return db.session.execute(db.select(Message).where(Message.direction == "out").order_by(Message.id)).scalars().all()


def inbound(twilio_webhook, n, body="Hello", **extra):
    response = twilio_webhook(MESSAGING, inbound_params(sid=f"SM{n:032x}", body=body, **extra))
    assert response.status_code == 200


def test_first_contact_gets_one_greeting_through_the_outbox(app, agent, api, twilio_webhook, simulator):
    configure(autoreply_first_contact=True, autoreply_first_contact_text="Hi! We'll be with you shortly.")
    inbound(twilio_webhook, 1)
    inbound(twilio_webhook, 2, body="Anyone?")
    (message,) = auto_replies()
    assert (message.body, message.agent_id, message.status) == ("Hi! We'll be with you shortly.", None, "queued")
    assert db.session.execute(db.select(OutboxItem.message_id)).scalar_one() == message.id
    transcript = api(agent).get(f"/api/v1/chats/{message.chat_id}/messages").get_json()
    assert [m["body"] for m in transcript] == ["Hello", "Hi! We'll be with you shortly.", "Anyone?"]
    app.extensions["switchboard"].outbox.drain()
    simulator.run_pending()
    db.session.refresh(message)
    assert message.status == "delivered"


def test_out_of_hours_reply_and_cooldown(app, agent, twilio_webhook):
    configure(business_hours={}, autoreply_out_of_hours=True, autoreply_first_contact=True,
              autoreply_out_of_hours_text="We're closed; back at 9.")
    inbound(twilio_webhook, 1)
    inbound(twilio_webhook, 2)  # within the cooldown: not again
    assert [m.body for m in auto_replies()] == ["We're closed; back at 9."]  # one reply, the most useful


def test_nobody_online_reply_only_when_the_group_is_empty(app, agent, signed_in, twilio_webhook):
    configure(autoreply_nobody_online=True, autoreply_nobody_online_text="Nobody is here right now.")
    inbound(twilio_webhook, 1, frm="+14155550111")
    assert [m.body for m in auto_replies()] == ["Nobody is here right now."]
    signed_in(agent)  # signing in counts as being online (presence heartbeat)
    inbound(twilio_webhook, 2, frm="+14155550222")
    assert len(auto_replies()) == 1


@pytest.mark.parametrize("body, opt_out", [("STOP", "STOP"), ("start", "START"), ("HELP", "HELP")])
def test_never_to_opt_out_keywords(app, agent, twilio_webhook, body, opt_out):
    configure(business_hours={}, autoreply_out_of_hours=True, autoreply_nobody_online=True,
              autoreply_first_contact=True)
    inbound(twilio_webhook, 1, body=body, OptOutType=opt_out)
    assert auto_replies() == []


def test_duplicate_webhook_gets_no_second_reply(app, agent, twilio_webhook):
    configure(autoreply_first_contact=True, autoreply_cooldown_minutes=0)
    for _ in range(3):
        inbound(twilio_webhook, 1)
    assert len(auto_replies()) == 1


def test_whatsapp_auto_reply_is_inside_the_window(app, agent, twilio_webhook):
    configure(autoreply_first_contact=True)
    inbound(twilio_webhook, 1, frm="whatsapp:+447700900123", to="whatsapp:+14155550000")
    (message,) = auto_replies()
    assert message.channel == "whatsapp" and message.recipient == "whatsapp:+447700900123"


def test_business_hours_follow_the_time_zone(app):
    settings.save("twilio_channel", {"business_hours": {"mon": ["09:00-17:00"]}, "timezone": "America/New_York"})
    config = load_config()
    monday_9am_new_york = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
    assert open_now(config, monday_9am_new_york)
    assert not open_now(config, datetime(2026, 11, 23, 22, 30, tzinfo=UTC))  # 17:30 there
    assert not open_now(config, datetime(2026, 11, 24, 15, 0, tzinfo=UTC))   # Tuesday
