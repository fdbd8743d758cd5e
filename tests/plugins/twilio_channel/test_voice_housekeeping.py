"""Voice housekeeping: calls are routed like messages, per-call queues are deleted at Twilio
when the call is over, and voicemail starts after the configured seconds whatever the
length of the hold music."""
from __future__ import annotations

from datetime import timedelta

import pytest

from host import hookimpl, settings
from host.contracts import ContactRef
from host.extensions import db
from host.models import Call, Chat, Group, Message
from plugins.twilio_channel.voice import housekeeping as voice_housekeeping
from plugins.twilio_channel.models import CallQueue
from plugins.twilio_channel.simulator.voice import voice_simulator_for
from plugins.twilio_channel.testing.voice import call_sid, voice_params

VOICE = "/webhooks/twilio/voice"
CUSTOMER = "+14155550123"
OURS = "+14155550000"


def group_id(name):
    return db.session.execute(db.select(Group.id).where(Group.name == name)).scalar_one()


def only_call():
    return db.session.execute(db.select(Call)).scalar_one()


@pytest.fixture
def phone(app):
    return voice_simulator_for(app)


def later(seconds):
    return voice_housekeeping.utcnow() + timedelta(seconds=seconds)


# --- routing -------------------------------------------------------------------------------------

def test_a_call_to_the_sales_number_rings_sales(app, admin, twilio_webhook):
    settings.save("twilio_channel", {"number_groups": {"+14155550100": "Sales"}})
    twilio_webhook(VOICE, voice_params(call_sid(1), to="+14155550100"))
    twilio_webhook(VOICE, voice_params(call_sid(2), frm="+14155550124", to="+14155550101"))
    routed = dict(db.session.execute(db.select(Chat.customer_address, Chat.group_id)).all())
    assert routed == {CUSTOMER: group_id("Sales"), "+14155550124": group_id("Support")}


class OverridingContacts:
    def __init__(self):
        self.group_id = None

    @hookimpl
    def resolve_contact(self, channel, address, profile):
        return ContactRef(id=42, name="Maria Lopez", group_id=self.group_id)


class TestContactOverride:
    @pytest.fixture
    def contacts_stub(self):
        return OverridingContacts()

    @pytest.fixture
    def extra_plugins(self, loopback, contacts_stub):
        return [("loopback", loopback), ("test.contacts", contacts_stub)]

    def test_the_contacts_own_group_wins_over_the_number(self, app, admin, contacts_stub, twilio_webhook):
        settings.save("twilio_channel", {"number_groups": {"+14155550100": "Sales"}})
        contacts_stub.group_id = group_id("Support")
        twilio_webhook(VOICE, voice_params(call_sid(1), to="+14155550100"))
        assert only_call().chat.group_id == group_id("Support")


# --- queues ------------------------------------------------------------------------------------

def test_the_calls_queue_is_deleted_at_twilio_once_the_call_is_over(app, agent, simulator, phone):
    dialled = phone.customer_dials(CUSTOMER, OURS)
    chat_id = only_call().chat_id
    assert f"chat-{chat_id}" in phone.queues  # <Enqueue> made it
    voice_housekeeping.run_due()
    assert f"chat-{chat_id}" in phone.queues  # still in use: the caller waits in it
    phone.customer_hangs_up(dialled.sid)
    assert only_call().ended_at is not None
    assert voice_housekeeping.run_due() == 1
    assert phone.queues == {}
    assert [r for r in simulator.requests if r.startswith("DELETE")] == [
        f"DELETE api/2010-04-01/Accounts/{simulator.account_sid}/Queues/{dialled.queue_sid}.json"]
    assert voice_housekeeping.run_due() == 0  # done once
    assert db.session.get(CallQueue, dialled.sid).removed_at is not None


def test_an_answered_calls_queue_goes_too(app, agent, api, simulator, phone, socket_client):
    browser = socket_client(agent)
    dialled = phone.customer_dials(CUSTOMER, OURS)
    api(agent).post(f"/api/v1/voice/calls/{only_call().id}/answer")
    simulator.run_pending()
    child = next(p["args"][0] for p in browser.get_received() if p["name"] == "voice:sim:incoming")
    browser.emit("voice:sim:accept", {"call_sid": child["call_sid"]}, callback=True)
    voice_housekeeping.run_due()
    # Kept while the call lasts: a transfer to a group puts the caller back into it.
    assert list(phone.queues) == [f"chat-{only_call().chat_id}"]
    phone.customer_hangs_up(dialled.sid)
    assert voice_housekeeping.run_due() == 1
    assert phone.queues == {}


def test_a_queue_twilio_will_not_delete_yet_is_tried_again(app, agent, simulator, phone):
    first = phone.customer_dials(CUSTOMER, OURS)
    phone.customer_hangs_up(first.sid)
    second = phone.customer_dials(CUSTOMER, OURS)  # the same chat: the same queue, a member again
    assert voice_housekeeping.run_due() == 0   # Twilio refuses to delete a queue with callers in it
    assert f"chat-{only_calls()[0].chat_id}" in phone.queues
    phone.customer_hangs_up(second.sid)
    row = db.session.get(CallQueue, first.sid)
    assert row.removed_at is None and row.attempts == 1
    voice_housekeeping.run_due(now=later(120))
    assert phone.queues == {}


def only_calls():
    return db.session.execute(db.select(Call).order_by(Call.id)).scalars().all()


# --- voicemail -----------------------------------------------------------------------------------

def test_voicemail_starts_after_the_configured_seconds_whatever_the_hold_music(app, agent, simulator, phone):
    settings.save("twilio_channel", {"voice_voicemail_after_seconds": 30,
                                     "voice_hold_music_url": "https://music.example/twenty-minutes.mp3"})
    dialled = phone.customer_dials(CUSTOMER, OURS)
    assert dialled.activity == "queued"   # the music plays; Twilio won't ask again for twenty minutes
    voice_housekeeping.run_due(now=later(29))
    assert dialled.activity == "queued" and only_call().ended_at is None
    voice_housekeeping.run_due(now=later(31))
    simulator.run_pending()  # Twilio runs the TwiML it was given
    assert dialled.activity == "voicemail"
    assert any("leave a message" in line for line in dialled.heard)
    call = only_call()
    assert call.status == "no-answer" and call.ended_at is not None
    phone.stop_recording(dialled.sid)
    voicemail = db.session.execute(db.select(Message).where(Message.kind == "media")).scalar_one()
    assert voicemail.body.startswith("Voicemail (0:0")


def test_an_answered_call_gets_no_voicemail(app, agent, api, simulator, phone, socket_client):
    settings.save("twilio_channel", {"voice_voicemail_after_seconds": 30})
    browser = socket_client(agent)
    dialled = phone.customer_dials(CUSTOMER, OURS)
    api(agent).post(f"/api/v1/voice/calls/{only_call().id}/answer")
    simulator.run_pending()
    child = next(p["args"][0] for p in browser.get_received() if p["name"] == "voice:sim:incoming")
    browser.emit("voice:sim:accept", {"call_sid": child["call_sid"]}, callback=True)
    voice_housekeeping.run_due(now=later(300))
    simulator.run_pending()
    assert dialled.activity == "talking" and only_call().status == "in-progress"


def test_a_caller_back_on_hold_waits_the_full_time_again(app, agent, api, simulator, phone, socket_client):
    settings.save("twilio_channel", {"voice_voicemail_after_seconds": 30})
    socket_client(agent)
    dialled = phone.customer_dials(CUSTOMER, OURS)
    api(agent).post(f"/api/v1/voice/calls/{only_call().id}/answer")
    simulator.run_pending()
    child = next(c for c in phone.calls_now() if c.parent_sid == dialled.sid)
    phone.time_out(child.sid)  # the agent's browser never picked up: back on hold
    assert dialled.activity == "queued"
    voice_housekeeping.run_due(now=later(20))
    assert dialled.activity == "queued"
    voice_housekeeping.run_due(now=later(31))
    simulator.run_pending()
    assert dialled.activity == "voicemail"


def test_no_voicemail_when_it_is_switched_off(app, agent, simulator, phone):
    settings.save("twilio_channel", {"voice_voicemail_after_seconds": 0})
    dialled = phone.customer_dials(CUSTOMER, OURS)
    voice_housekeeping.run_due(now=later(3600))
    simulator.run_pending()
    assert dialled.activity == "queued"


def test_the_housekeeper_runs_beside_the_outbox_worker(app):
    companions = app.extensions["switchboard"].outbox.companions
    assert any(isinstance(c, voice_housekeeping.VoiceHousekeeper) for c in companions)
