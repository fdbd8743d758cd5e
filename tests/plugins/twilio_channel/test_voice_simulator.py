"""Calls through the offline simulator: the customer phone dials, the simulator plays Twilio
(signed webhooks, TwiML, REST updates, status callbacks), the simulated Device answers."""
from __future__ import annotations

import pytest

from host.extensions import db
from host.models import Call, Message
from plugins.twilio_channel.simulator.voice import voice_simulator_for

CUSTOMER = "+14155550123"


@pytest.fixture
def phone(app):
    return voice_simulator_for(app)


def events(client, name):
    return [p["args"][0] for p in client.get_received() if p["name"] == name]


def only_call():
    return db.session.execute(db.select(Call)).scalar_one()


def test_customer_calls_agent_answers_in_the_simulated_browser_customer_hangs_up(
        app, agent, api, simulator, phone, socket_client):
    browser = socket_client(agent)
    browser.get_received()
    dialled = phone.customer_dials(CUSTOMER, "+14155550000")
    call = only_call()
    assert (call.call_sid, call.status, call.chat.channel) == (dialled.sid, "ringing", "sms")
    assert dialled.activity == "queued" and "Hold music" in dialled.heard
    assert len(events(browser, "call:incoming")) == 1

    assert api(agent).post(f"/api/v1/voice/calls/{call.id}/answer").status_code == 200
    simulator.run_pending()  # Twilio runs the new TwiML: the agent's browser rings
    (incoming,) = events(browser, "voice:sim:incoming")
    assert incoming["parent_call_sid"] == dialled.sid and incoming["params"] == {"chat_id": str(call.chat_id)}

    assert browser.emit("voice:sim:accept", {"call_sid": incoming["call_sid"]}, callback=True) == {"ok": True}
    db.session.refresh(call)
    assert (call.status, call.answered_by_id) == ("in-progress", agent.id)
    assert dialled.activity == "talking"

    phone.customer_hangs_up(dialled.sid)
    db.session.refresh(call)
    assert call.status == "completed" and call.ended_at is not None
    assert [p["call_sid"] for p in events(browser, "voice:sim:ended")] == [incoming["call_sid"]]
    (line,) = db.session.execute(db.select(Message).where(Message.kind == "call")).scalars().all()
    assert line.body.startswith("Incoming call, 0:0")


def test_agent_hangs_up_first_and_the_caller_is_sent_off(app, agent, api, simulator, phone, socket_client):
    browser = socket_client(agent)
    dialled = phone.customer_dials(CUSTOMER, "+14155550000")
    api(agent).post(f"/api/v1/voice/calls/{only_call().id}/answer")
    simulator.run_pending()
    (incoming,) = events(browser, "voice:sim:incoming")
    browser.emit("voice:sim:accept", {"call_sid": incoming["call_sid"]}, callback=True)
    assert browser.emit("voice:sim:hangup", {"call_sid": incoming["call_sid"]}, callback=True) == {"ok": True}
    assert dialled.status == "completed"
    assert only_call().status == "completed"


def test_nobody_answers_the_caller_leaves_a_voicemail(app, agent, api, simulator, phone):
    dialled = phone.customer_dials(CUSTOMER, "+14155550000")
    phone.hold_round(dialled.sid, waited=600)  # the hold music ran past the voicemail time
    assert dialled.activity == "voicemail"
    call = only_call()
    assert call.status == "no-answer"
    phone.stop_recording(dialled.sid)
    assert dialled.status == "completed"
    db.session.refresh(call)
    voicemail = db.session.execute(db.select(Message).where(Message.kind == "media")).scalar_one()
    assert voicemail.body.startswith("Voicemail (0:0") and call.recording_url == voicemail.media[0]["url"]
    # the recording plays through the signed-in media proxy, fetched from "Twilio" (the simulator)
    audio = api(agent).get(call.recording_url)
    assert audio.status_code == 200 and audio.data[:4] == b"RIFF"


def test_agent_calls_the_customer_who_answers_then_hangs_up(app, agent, api, simulator, phone, socket_client):
    browser = socket_client(agent)
    placed = api(agent).post("/api/v1/voice/calls", json={"to": CUSTOMER}).get_json()
    ack = browser.emit("voice:sim:connect", {"params": placed["params"]}, callback=True)
    assert ack["ok"] is True
    simulator.run_pending()  # Twilio asks the TwiML App's voice URL and dials the customer
    call = only_call()
    assert (call.call_sid, call.direction, call.status) == (ack["call_sid"], "out", "ringing")
    (ringing,) = [c for c in phone.calls_of(CUSTOMER) if c.direction == "outbound-dial"]
    assert ringing.from_address == "+14155550000" and ringing.status == "ringing"

    phone.customer_answers(ringing.sid)
    db.session.refresh(call)
    assert call.status == "in-progress"
    assert [e["call_sid"] for e in events(browser, "voice:sim:accepted")] == [ack["call_sid"]]
    phone.customer_hangs_up(ringing.sid)
    db.session.refresh(call)
    assert call.status == "completed"
    assert [e["call_sid"] for e in events(browser, "voice:sim:ended")] == [ack["call_sid"]]


def test_customer_declines_the_agents_call(app, agent, api, simulator, phone, socket_client):
    browser = socket_client(agent)
    placed = api(agent).post("/api/v1/voice/calls", json={"to": CUSTOMER}).get_json()
    browser.emit("voice:sim:connect", {"params": placed["params"]}, callback=True)
    simulator.run_pending()
    (ringing,) = [c for c in phone.calls_of(CUSTOMER) if c.direction == "outbound-dial"]
    phone.customer_hangs_up(ringing.sid)
    assert only_call().status == "busy"
    (line,) = db.session.execute(db.select(Message).where(Message.kind == "call")).scalars().all()
    assert line.body == "Missed outgoing call (busy)"


def test_simulated_device_events_are_checked(app, agent, make_agent, api, simulator, phone, socket_client):
    phone.customer_dials(CUSTOMER, "+14155550000")
    api(agent).post(f"/api/v1/voice/calls/{only_call().id}/answer")
    simulator.run_pending()
    mine = socket_client(agent)
    child = next(c for c in phone.calls_now() if c.to_address == f"client:agent-{agent.id}")
    stranger = socket_client(make_agent("x@example.test"))
    assert stranger.emit("voice:sim:accept", {"call_sid": child.sid}, callback=True)["ok"] is False
    assert mine.emit("voice:sim:accept", {"call_sid": "CA" + "0" * 32}, callback=True)["ok"] is False
    assert mine.emit("voice:sim:reject", {"call_sid": child.sid}, callback=True) == {"ok": True}
    call = only_call()
    assert call.status == "ringing"  # back on hold, ringing again


def test_phone_page_places_and_hangs_up_a_call(app, admin, signed_in, phone):
    client = signed_in(admin)
    headers = {"X-CSRFToken": client.csrf_token}
    response = client.post("/simulator/phone/voice/call", json={"from": "415 555 0123"}, headers=headers)
    assert response.status_code == 201, response.get_json()
    sid = response.get_json()["sid"]
    listed = client.get(f"/simulator/phone/voice/calls?number={CUSTOMER}").get_json()
    assert listed[0]["sid"] == sid and listed[0]["activity"] == "queued"
    assert client.post(f"/simulator/phone/voice/calls/{sid}/hangup", headers=headers).get_json()["status"] == "completed"
    assert only_call().status == "no-answer"
    assert client.post(f"/simulator/phone/voice/calls/{sid}/fly", headers=headers).status_code == 404
    assert client.get("/simulator/phone/voice/calls?number=nope").status_code == 422
