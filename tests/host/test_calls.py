"""Calls on chats: forward-only status, a transcript line, missed calls visible."""
from host.calls import start_call, update_call
from host.extensions import db
from host.models import Chat, Message
from host.testing.loopback import webhook


def make_chat(app):
    webhook(app.test_client(), {"id": "m1", "from": "+15550001", "body": "I'll call you"})
    return db.session.execute(db.select(Chat)).scalar_one()


def test_answered_call_leaves_a_line_with_its_duration(app, agent, recorder):
    chat = make_chat(app)
    start_call(chat, "CA" + "1" * 32, "in", "+15550001", "+15559999")
    update_call("CA" + "1" * 32, "in-progress", agent_id=agent.id)
    update_call("CA" + "1" * 32, "ringing")  # late, out-of-order callback: ignored
    call = update_call("CA" + "1" * 32, "completed", duration=125)
    assert (call.status, call.duration, call.answered_by_id) == ("completed", 125, agent.id)
    line = db.session.execute(db.select(Message).where(Message.kind == "call")).scalar_one()
    assert line.body == "Incoming call, 2:05"
    statuses = [(e.previous_status, e.call["status"]) for e in recorder.of("call_status_changed")]
    assert statuses == [(None, "ringing"), ("ringing", "in-progress"), ("in-progress", "completed")]


def test_unanswered_call_is_shown_as_missed(app, agent):
    chat = make_chat(app)
    start_call(chat, "CA" + "2" * 32, "in", "+15550001", "+15559999")
    update_call("CA" + "2" * 32, "no-answer", duration=0)
    line = db.session.execute(db.select(Message).where(Message.kind == "call")).scalar_one()
    assert line.body == "Missed incoming call (no answer)" and line.status == "failed"


def test_repeated_call_sid_is_recorded_once(app, agent):
    chat = make_chat(app)
    first = start_call(chat, "CA" + "3" * 32, "in", "+15550001", "+15559999")
    again = start_call(chat, "CA" + "3" * 32, "in", "+15550001", "+15559999")
    assert first.id == again.id
