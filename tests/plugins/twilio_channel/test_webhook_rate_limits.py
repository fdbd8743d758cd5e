"""Provider webhooks are never rate limited: a provider that retries or bursts must have
every event recorded (a 429 would turn into Twilio's error 11200 and retries). Their
blueprints are declared with ``provider_webhooks``, which leaves them out of the limiter,
even when an operator sets application-wide limits through Flask-Limiter's settings."""
from __future__ import annotations

import pytest

from host.extensions import db
from host.models import InboxEvent
from plugins.twilio_channel.testing.webhooks import inbound_params

MESSAGING = "/webhooks/twilio/messaging"


@pytest.fixture
def switchboard_config():
    return {"TWILIO_SIMULATOR_MANUAL": True, "INBOX_SYNC": False, "RATELIMIT_APPLICATION": "2 per minute"}


def test_application_wide_rate_limits_leave_webhooks_alone(app, live_account, twilio_webhook):
    answers = [twilio_webhook(MESSAGING, inbound_params(sid=f"SM{n:032x}", to="+14155550100")).status_code
               for n in range(4)]
    assert answers == [200] * 4
    assert db.session.execute(db.select(db.func.count()).select_from(InboxEvent)).scalar() == 4
    # the limit itself is in force for everything else
    client = app.test_client()
    assert [client.get("/login").status_code for _ in range(3)][-1] == 429
