"""Voice: signed webhooks, TwiML, the voice channel, ringing, statuses, voicemail, mute, tokens.

TwiML answers are parsed with xml.etree and checked element by element. Calls that
need Twilio's REST API (answer, transfer) are in ``test_voice_prism.py``.
"""
from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest

from host import chats, settings
from host.contracts import OutgoingMessage, SendError
from host.extensions import db
from host.models import Call, Chat, Message
from plugins.twilio_channel.voice import channel as voice
from plugins.twilio_channel.models import InboundMedia, SimulatedMessage
from plugins.twilio_channel.testing.voice import CUSTOMER, OUR_NUMBER, call_sid, twiml, voice_params
from plugins.twilio_channel.testing.webhooks import LIVE_SID, inbound_params
from plugins.twilio_channel.voice.channel import VOICE_CHANNEL

VOICE = "/webhooks/twilio/voice"
PUBLIC = "http://switchboard.test"
KEY_SID = "SK" + "5" * 32
KEY_SECRET = "voice-api-key-secret-for-tests-0123456789"
APP_SID = "AP" + "6" * 32


def count(model):
    return db.session.execute(db.select(db.func.count()).select_from(model)).scalar()


FIRST_CALL = call_sid(1)


def ring(twilio_webhook, sid=FIRST_CALL, frm=CUSTOMER, **extra):
    response = twilio_webhook(VOICE, voice_params(sid, frm=frm, **extra))
    return response, db.session.execute(db.select(Call).where(Call.call_sid == sid)).scalar_one_or_none()


def events(client, name):
    return [p["args"][0] for p in client.get_received() if p["name"] == name]


# --- TwiML builders ----------------------------------------------------------------------------

def test_twiml_builders_say_what_each_step_needs():
    urls = voice.VoiceUrls(PUBLIC)
    setup = voice.VoiceSetup(greeting="Hello caller", hold_music_url="https://music.example/hold.mp3",
                             voicemail_after=60)
    say, enqueue = list(twiml(voice.incoming_call(setup, 7, urls)))
    assert (say.tag, say.text) == ("Say", "Hello caller")
    assert enqueue.tag == "Enqueue" and enqueue.text == "chat-7"
    assert enqueue.get("waitUrl") == f"{PUBLIC}/webhooks/twilio/voice/hold?chat_id=7"
    assert enqueue.get("action") == f"{PUBLIC}/webhooks/twilio/voice/queue?chat_id=7"
    assert enqueue.get("waitUrlMethod") == "POST"

    (play,) = list(twiml(voice.hold_music(setup, 59)))
    assert (play.tag, play.text) == ("Play", "https://music.example/hold.mp3")
    assert [e.tag for e in twiml(voice.hold_music(setup, 60))] == ["Leave"]
    assert [e.tag for e in twiml(voice.hold_music(voice.VoiceSetup(voicemail_after=0), 10_000))] == ["Play"]

    (dial,) = list(twiml(voice.dial_agent(5, 7, urls)))
    assert dial.get("action") == f"{PUBLIC}/webhooks/twilio/voice/dial?chat_id=7&agent_id=5"
    assert int(dial.get("timeout")) == voice.AGENT_RING_SECONDS
    client = dial.find("Client")
    assert client.findtext("Identity") == "agent-5"
    assert client.find("Parameter").attrib == {"name": "chat_id", "value": "7"}
    assert client.get("statusCallback") == f"{PUBLIC}/webhooks/twilio/voice/status?chat_id=7"
    assert client.get("statusCallbackEvent").split() == ["initiated", "ringing", "answered", "completed"]

    (dial,) = list(twiml(voice.outbound_call("+14155550100", "+14155550123", urls)))
    assert (dial.get("callerId"), dial.get("answerOnBridge")) == ("+14155550100", "true")
    number = dial.find("Number")
    assert number.text == "+14155550123" and number.get("statusCallback") == f"{PUBLIC}/webhooks/twilio/voice/status"

    say, record = list(twiml(voice.voicemail(setup, 7, urls)))
    assert say.tag == "Say" and record.tag == "Record"
    assert record.get("action") == f"{PUBLIC}/webhooks/twilio/voice/voicemail?chat_id=7"
    assert record.get("recordingStatusCallback") == f"{PUBLIC}/webhooks/twilio/voice/recording?chat_id=7"
    assert [e.tag for e in twiml(voice.goodbye("Bye"))] == ["Say", "Hangup"]


def test_agent_identities_round_trip_and_refuse_anything_else():
    assert voice.agent_identity(12) == "agent-12"
    assert voice.agent_id_of("client:agent-12") == 12 == voice.agent_id_of("agent-12")
    for other in ("+14155550123", "client:admin", "client:agent-", "client:agent-1x", None):
        assert voice.agent_id_of(other) is None


# --- incoming calls ------------------------------------------------------------------------------

def test_forged_or_unsigned_voice_webhooks_are_refused_and_store_nothing(app, agent, twilio_webhook):
    for path in ("", "/outbound", "/status", "/hold?chat_id=1", "/queue?chat_id=1", "/dial?chat_id=1&agent_id=1",
                 "/voicemail?chat_id=1", "/recording?chat_id=1"):
        route, _, query = path.partition("?")
        assert twilio_webhook(VOICE + route, voice_params(call_sid(1)), signature=False,
                              query=query).status_code == 403
        assert twilio_webhook(VOICE + route, voice_params(call_sid(1)), token="not-our-token-123",
                              query=query).status_code == 403
    tampered = voice_params(call_sid(1))
    from twilio.request_validator import RequestValidator
    from plugins.twilio_channel.settings import load_config
    signature = RequestValidator(load_config().account.token).compute_signature(PUBLIC + VOICE, tampered)
    tampered["From"] = "+19995550000"
    assert app.test_client().post(VOICE, data=tampered, headers={"X-Twilio-Signature": signature}).status_code == 403
    assert count(Call) == count(Chat) == count(Message) == 0


def test_incoming_call_opens_a_chat_answerable_by_sms_holds_the_caller_and_rings_its_group_only(
        app, agent, make_agent, socket_client, twilio_webhook):
    outsider = make_agent("sales@example.test", groups=("Sales",))
    mine, theirs = socket_client(agent), socket_client(outsider)
    mine.get_received(), theirs.get_received()

    response, call = ring(twilio_webhook, CallerName="Maria Lopez")
    say, enqueue = list(twiml(response))
    chat = call.chat
    assert (say.tag, enqueue.tag, enqueue.text) == ("Say", "Enqueue", f"chat-{chat.id}")
    assert parse_qs(urlsplit(enqueue.get("waitUrl")).query) == {"chat_id": [str(chat.id)]}
    # the call is on the chat's record; typed replies go by SMS from the number called
    assert (chat.channel, chat.status, chat.customer_address, chat.sender) == ("sms", "queued", CUSTOMER, OUR_NUMBER)
    assert chat.group.name == "Support"
    assert (call.direction, call.status, call.from_address, call.to_address) == ("in", "ringing", CUSTOMER, OUR_NUMBER)

    (incoming,) = events(mine, "call:incoming")
    assert incoming["call"]["id"] == call.id and incoming["chat"]["id"] == chat.id and incoming["transfer"] is False
    assert theirs.get_received() == []  # another group hears nothing


def test_a_console_that_connects_while_a_call_rings_hears_it_ring(
        app, agent, make_agent, socket_client, twilio_webhook):
    _, call = ring(twilio_webhook)
    _, other_call = ring(twilio_webhook, sid=call_sid(2), frm="+14155550177")
    _, ended = ring(twilio_webhook, sid=call_sid(3), frm="+14155550188")
    twilio_webhook(VOICE + "/status", voice_params(call_sid(3), status="completed", CallDuration="0"))
    outsider = make_agent("sales@example.test", groups=("Sales",))
    late, theirs = socket_client(agent), socket_client(outsider)   # e.g. the page was reloaded
    late.get_received(), theirs.get_received()

    assert late.emit("call:waiting", {}, callback=True) == {"ok": True, "count": 2}
    rung = events(late, "call:incoming")
    assert [(e["call"]["id"], e["chat"]["id"], e["transfer"]) for e in rung] == [
        (call.id, call.chat_id, False), (other_call.id, other_call.chat_id, False)]
    assert theirs.emit("call:waiting", {}, callback=True) == {"ok": True, "count": 0}
    assert theirs.get_received() == []   # another group's calls stay unheard

    twilio_webhook(VOICE + "/status", voice_params(call_sid(2), status="canceled"))   # that caller gave up
    again = socket_client(agent)
    again.get_received()
    assert again.emit("call:waiting", {}, callback=True) == {"ok": True, "count": 1}
    assert [e["call"]["id"] for e in events(again, "call:incoming")] == [call.id]


def test_call_to_a_customer_with_an_open_chat_continues_it_and_rings_its_agent(
        app, agent, make_agent, socket_client, twilio_webhook):
    sms = twilio_webhook("/webhooks/twilio/messaging", inbound_params(frm=CUSTOMER, to=OUR_NUMBER, body="I'll call"))
    assert sms.status_code == 200
    chat = db.session.execute(db.select(Chat)).scalar_one()
    chats.accept(chat, agent)
    listener = socket_client(agent)
    listener.get_received()

    _, call = ring(twilio_webhook)
    assert call.chat_id == chat.id and count(Chat) == 1
    db.session.refresh(chat)
    assert (chat.channel, chat.status, chat.agent_id) == ("sms", "active", agent.id)
    (incoming,) = events(listener, "call:incoming")
    assert incoming["chat"]["agent_id"] == agent.id


def test_call_to_an_archived_chat_reopens_it(app, agent, twilio_webhook, recorder):
    _, first = ring(twilio_webhook, call_sid(1))
    twilio_webhook(VOICE + "/queue", voice_params(first.call_sid, status="completed", QueueResult="hangup"),
                   query=f"chat_id={first.chat_id}")
    chats.archive(first.chat, agent)
    _, second = ring(twilio_webhook, call_sid(2))
    assert second.chat_id == first.chat_id and second.chat.status == "queued"
    assert [e.chat["id"] for e in recorder.of("chat_reopened")] == [first.chat_id]


def test_a_repeated_voice_webhook_records_the_call_once(app, agent, twilio_webhook):
    ring(twilio_webhook)
    response, call = ring(twilio_webhook)
    assert twiml(response).find("Enqueue").text == f"chat-{call.chat_id}"
    assert count(Call) == 1 and count(Chat) == 1


def test_hold_music_until_voicemail_is_due_then_voicemail_is_kept_on_the_chat(app, agent, twilio_webhook,
                                                                               socket_client):
    settings.save("twilio_channel", {"voice_voicemail_after_seconds": 30,
                                     "voice_hold_music_url": "https://music.example/hold.mp3"})
    _, call = ring(twilio_webhook)
    query = f"chat_id={call.chat_id}"
    (play,) = list(twiml(twilio_webhook(VOICE + "/hold", voice_params(call.call_sid, QueueTime=10), query=query)))
    assert play.text == "https://music.example/hold.mp3"
    assert [e.tag for e in twiml(twilio_webhook(VOICE + "/hold", voice_params(call.call_sid, QueueTime=31),
                                                query=query))] == ["Leave"]

    say, record = list(twiml(twilio_webhook(VOICE + "/queue", voice_params(call.call_sid, status="in-progress",
                                                                          QueueResult="leave"), query=query)))
    assert record.tag == "Record" and record.get("action").endswith(f"/voicemail?chat_id={call.chat_id}")
    db.session.refresh(call)
    assert call.status == "no-answer" and call.ended_at is not None  # missed: the ring stops here

    recording = "RE" + "9" * 32
    url = f"https://api.twilio.com/2010-04-01/Accounts/{call_account()}/Recordings/{recording}"
    form = voice_params(call.call_sid, status="completed", RecordingSid=recording, RecordingUrl=url,
                        RecordingDuration=23)
    assert [e.tag for e in twiml(twilio_webhook(VOICE + "/voicemail", form, query=query))] == ["Say", "Hangup"]
    assert twilio_webhook(VOICE + "/recording", {**form, "RecordingStatus": "completed"},
                          query=query).status_code == 204  # the same recording again: kept once
    db.session.refresh(call)
    assert call.recording_url == f"/twilio/media/{recording}/0"
    lines = db.session.execute(db.select(Message).where(Message.chat_id == call.chat_id)
                               .order_by(Message.id)).scalars().all()
    assert [(m.kind, m.body) for m in lines] == [("call", "Missed incoming call (no answer)"),
                                                 ("media", "Voicemail (0:23)")]
    assert lines[1].media == [{"url": f"/twilio/media/{recording}/0", "content_type": "audio/mpeg"}]
    db.session.refresh(call.chat)
    assert call.chat.channel == "sms"  # the voicemail is on the voice channel; replies still go by SMS
    stored = db.session.execute(db.select(InboundMedia).where(InboundMedia.message_sid == recording)).scalar_one()
    assert stored.url == url + ".mp3"


def call_account():
    from plugins.twilio_channel.settings import load_config
    return load_config().account.sid


def test_caller_who_hangs_up_in_the_queue_is_a_missed_call_in_the_transcript_and_logs(app, agent, api,
                                                                                     twilio_webhook):
    _, call = ring(twilio_webhook)
    twilio_webhook(VOICE + "/queue", voice_params(call.call_sid, status="completed", QueueResult="hangup",
                                                  QueueTime=12), query=f"chat_id={call.chat_id}")
    # Twilio's own status callback for the caller's leg arrives too: nothing changes twice
    assert twilio_webhook(VOICE + "/status", voice_params(call.call_sid, status="completed",
                                                          CallDuration=20)).status_code == 204
    db.session.refresh(call)
    assert (call.status, call.answered_at, call.duration) == ("no-answer", None, 0)
    (line,) = db.session.execute(db.select(Message).where(Message.kind == "call")).scalars().all()
    assert (line.body, line.status, line.channel) == ("Missed incoming call (no answer)", "failed", "voice")

    chats.accept(call.chat, agent)
    logs = api(agent).get(f"/api/v1/twilio/logs?chat_id={call.chat_id}&channel=voice").get_json()
    assert [(r["channel"], r["kind"], r["status"], r["body"]) for r in logs] == [
        ("voice", "call", "no-answer", "Missed incoming call")]


# --- statuses of an answered incoming call -------------------------------------------------------

def test_answered_call_records_the_agent_and_its_duration(app, agent, make_agent, socket_client, twilio_webhook):
    _, call = ring(twilio_webhook)
    chats.accept(call.chat, agent)
    watcher = socket_client(agent)
    watcher.emit("chat:join", {"chat_id": call.chat_id})
    watcher.get_received()
    child = call_sid(2)
    leg = dict(frm=CUSTOMER, direction="outbound-dial", ParentCallSid=call.call_sid)
    twilio_webhook(VOICE + "/status", voice_params(child, status="ringing", to=f"client:agent-{agent.id}", **leg))
    db.session.refresh(call)
    assert call.status == "ringing"
    twilio_webhook(VOICE + "/status", voice_params(child, status="in-progress", to=f"client:agent-{agent.id}", **leg))
    db.session.refresh(call)
    assert (call.status, call.answered_by_id) == ("in-progress", agent.id)
    received = watcher.get_received()
    connected = [p["args"][0] for p in received if p["name"] == "call:connected"]
    assert connected and connected[0]["agent_id"] == agent.id and connected[0]["agent_name"] == "Sam Agent"
    assert any(p["name"] == "call:updated" and p["args"][0]["call"]["status"] == "in-progress" for p in received)

    # the agent hangs up in the browser: <Dial action> says completed, the caller is sent off
    call.answered_at -= timedelta(seconds=65)
    db.session.commit()
    done = twilio_webhook(VOICE + "/dial", voice_params(call.call_sid, status="in-progress", DialCallStatus="completed",
                                                        DialCallSid=child, DialCallDuration=65),
                          query=f"chat_id={call.chat_id}&agent_id={agent.id}")
    assert [e.tag for e in twiml(done)] == ["Hangup"]
    db.session.refresh(call)
    assert (call.status, call.duration) == ("completed", 65)
    (line,) = db.session.execute(db.select(Message).where(Message.kind == "call")).scalars().all()
    assert (line.body, line.agent_id, line.status) == ("Incoming call, 1:05", agent.id, "delivered")


def test_an_agent_browser_that_does_not_pick_up_puts_the_caller_back_on_hold_and_rings_again(
        app, agent, socket_client, twilio_webhook):
    _, call = ring(twilio_webhook)
    chats.accept(call.chat, agent)
    listener = socket_client(agent)
    listener.get_received()
    back = twilio_webhook(VOICE + "/dial", voice_params(call.call_sid, status="in-progress",
                                                        DialCallStatus="no-answer"),
                          query=f"chat_id={call.chat_id}&agent_id={agent.id}")
    say, enqueue = list(twiml(back))
    assert say.tag == "Say" and enqueue.text == f"chat-{call.chat_id}"
    assert len(events(listener, "call:incoming")) == 1
    db.session.refresh(call)
    assert call.status == "ringing" and call.ended_at is None


def test_a_dial_action_from_before_a_transfer_changes_nothing(app, agent, make_agent, twilio_webhook):
    other = make_agent("other@example.test")
    _, call = ring(twilio_webhook)
    chats.accept(call.chat, other)
    stale = twilio_webhook(VOICE + "/dial", voice_params(call.call_sid, status="in-progress",
                                                         DialCallStatus="completed"),
                           query=f"chat_id={call.chat_id}&agent_id={agent.id}")
    assert list(twiml(stale)) == []
    db.session.refresh(call)
    assert call.ended_at is None


def test_status_for_an_unknown_call_is_ignored(app, twilio_webhook):
    assert twilio_webhook(VOICE + "/status", voice_params(call_sid(9), status="completed")).status_code == 204
    assert twilio_webhook(VOICE + "/status", {"AccountSid": call_account()}).status_code == 400


# --- outgoing calls --------------------------------------------------------------------------------

def place(api, agent, **body):
    response = api(agent).post("/api/v1/voice/calls", json=body)
    return response, response.get_json()


def test_placing_a_call_prepares_the_chat_and_the_twiml_app_dials_the_customer(app, agent, api, twilio_webhook):
    response, placed = place(api, agent, to="(415) 555-0123")
    assert response.status_code == 201, placed
    chat = db.session.get(Chat, placed["chat"]["id"])
    assert (placed["to"], placed["caller_id"]) == (CUSTOMER, "+14155550000")  # the simulator's number
    assert placed["params"] == {"To": CUSTOMER, "chat_id": str(chat.id)}
    assert (chat.channel, chat.status, chat.agent_id, chat.sender) == ("sms", "active", agent.id, "+14155550000")

    browser = call_sid(3)
    form = voice_params(browser, frm=f"client:agent-{agent.id}", to=CUSTOMER, status="ringing", chat_id=chat.id)
    (dial,) = list(twiml(twilio_webhook(VOICE + "/outbound", form)))
    assert (dial.tag, dial.get("callerId"), dial.find("Number").text) == ("Dial", "+14155550000", CUSTOMER)
    call = db.session.execute(db.select(Call).where(Call.call_sid == browser)).scalar_one()
    assert (call.chat_id, call.direction, call.status) == (chat.id, "out", "initiated")

    customer = call_sid(4)
    leg = dict(frm="+14155550000", to=CUSTOMER, direction="outbound-dial", ParentCallSid=browser)
    for status in ("initiated", "ringing", "in-progress"):
        twilio_webhook(VOICE + "/status", voice_params(customer, status=status, **leg))
    db.session.refresh(call)
    assert (call.status, call.answered_by_id) == ("in-progress", agent.id)
    twilio_webhook(VOICE + "/status", voice_params(customer, status="completed", CallDuration=42, **leg))
    twilio_webhook(VOICE + "/status", voice_params(browser, frm=f"client:agent-{agent.id}", to=CUSTOMER,
                                                   status="completed", CallDuration=50))
    db.session.refresh(call)
    assert (call.status, call.duration) == ("completed", 42)
    (line,) = db.session.execute(db.select(Message).where(Message.kind == "call")).scalars().all()
    assert (line.body, line.direction) == ("Outgoing call, 0:42", "out")
    logs = api(agent).get(f"/api/v1/twilio/logs?chat_id={chat.id}&channel=voice").get_json()
    assert [(r["body"], r["status"]) for r in logs] == [("Outgoing call (0:42)", "completed")]


@pytest.mark.parametrize("status", ["busy", "no-answer", "failed"])
def test_an_unanswered_outgoing_call_is_a_missed_line(app, agent, api, twilio_webhook, status):
    _, placed = place(api, agent, to=CUSTOMER)
    browser = call_sid(5)
    twilio_webhook(VOICE + "/outbound", voice_params(browser, frm=f"client:agent-{agent.id}", to=CUSTOMER,
                                                     chat_id=placed["chat"]["id"]))
    twilio_webhook(VOICE + "/status", voice_params(call_sid(6), status=status, frm="+14155550000", to=CUSTOMER,
                                                   direction="outbound-dial", ParentCallSid=browser))
    call = db.session.execute(db.select(Call).where(Call.call_sid == browser)).scalar_one()
    assert call.status == status and call.answered_at is None
    (line,) = db.session.execute(db.select(Message).where(Message.kind == "call")).scalars().all()
    assert line.body == f"Missed outgoing call ({status.replace('-', ' ')})"


def test_outgoing_call_refusals(app, agent, make_agent, api, twilio_webhook):
    assert place(api, agent, to="not a number")[0].status_code == 422
    assert place(api, agent)[0].status_code == 422
    assert place(api, agent, chat_id=999)[0].status_code == 404
    _, placed = place(api, agent, to=CUSTOMER)
    other = make_agent("other@example.test")
    response, body = place(api, other, to=CUSTOMER)
    assert response.status_code == 409 and "Sam Agent is working on this chat" in body["message"]
    twilio_webhook(VOICE + "/outbound", voice_params(call_sid(7), frm=f"client:agent-{agent.id}", to=CUSTOMER,
                                                     chat_id=placed["chat"]["id"]))
    response, body = place(api, agent, chat_id=placed["chat"]["id"])
    assert response.status_code == 409 and body["message"] == "There is already a call on this chat."
    # a browser that is not one of our agents, or a number that is not a number, gets no call
    for frm, to in (("client:someone", CUSTOMER), ("client:agent-999", CUSTOMER), (f"client:agent-{agent.id}", "x")):
        root = twiml(twilio_webhook(VOICE + "/outbound", voice_params(call_sid(8), frm=frm, to=to)))
        assert [e.tag for e in root] == ["Say", "Hangup"]
    assert count(Call) == 1


def test_a_browser_call_without_the_api_still_lands_in_the_customers_chat(app, agent, twilio_webhook):
    # e.g. a TwiML App whose voice URL is the incoming one: From=client:… is an outgoing call
    form = voice_params(call_sid(3), frm=f"client:agent-{agent.id}", to="+1 415 555 0123")
    (dial,) = list(twiml(twilio_webhook(VOICE, form)))
    assert dial.find("Number").text == CUSTOMER
    call = db.session.execute(db.select(Call)).scalar_one()
    assert (call.direction, call.chat.agent_id, call.chat.channel) == ("out", agent.id, "sms")


# --- the voice channel, mute, tokens -------------------------------------------------------------

def test_a_chat_begun_by_a_call_is_answered_by_sms(app, agent, api, twilio_webhook, simulator):
    _, call = ring(twilio_webhook)
    chats.accept(call.chat, agent)
    response = api(agent).post(f"/api/v1/chats/{call.chat_id}/messages", json={"body": "Sorry we missed you"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["channel"] == "sms"
    app.extensions["switchboard"].outbox.drain()
    db.session.expire_all()
    message = db.session.get(Message, response.get_json()["id"])
    sent = db.session.get(SimulatedMessage, message.external_id)  # what Twilio was asked to send
    assert (message.channel, sent.from_address, sent.to_address, sent.body) == (
        "sms", OUR_NUMBER, CUSTOMER, "Sorry we missed you")


def test_calls_and_voicemail_leave_a_whatsapp_chat_on_whatsapp(app, agent, api, twilio_webhook):
    chat = Chat(channel="whatsapp", customer_address="whatsapp:" + CUSTOMER, sender="whatsapp:" + OUR_NUMBER,
                status="active", agent_id=agent.id, customer_name="Maria")
    db.session.add(chat)
    db.session.commit()
    chats.open_chat_for("voice", CUSTOMER, chats.resolve("voice", CUSTOMER), OUR_NUMBER, "inbound", chat=chat)
    db.session.commit()
    db.session.refresh(chat)
    assert (chat.channel, chat.customer_address, chat.sender) == (
        "whatsapp", "whatsapp:" + CUSTOMER, "whatsapp:" + OUR_NUMBER)


def test_an_older_chat_left_on_the_voice_channel_replies_by_sms(app, agent, api):
    chat = Chat(channel="voice", customer_address=CUSTOMER, sender=OUR_NUMBER, status="active", agent_id=agent.id)
    db.session.add(chat)
    db.session.commit()
    response = api(agent).post(f"/api/v1/chats/{chat.id}/messages", json={"body": "Hello?"})
    assert response.status_code == 201 and response.get_json()["channel"] == "sms"
    db.session.refresh(chat)
    assert (chat.channel, chat.customer_address) == ("sms", CUSTOMER)


def test_the_voice_channel_refuses_text_clearly_and_for_good(app, agent, api, twilio_webhook):
    _, call = ring(twilio_webhook)
    with pytest.raises(SendError) as refused:
        VOICE_CHANNEL.send(OutgoingMessage(message_id=1, chat_id=call.chat_id, channel="voice", to=CUSTOMER,
                                           sender=OUR_NUMBER, body="Hello?"))
    assert refused.value.retryable is False and "can't carry text" in str(refused.value)
    voice = next(c for c in app.extensions["switchboard"].channel_list() if c["key"] == "voice")
    assert {"key": "voice", "label": "Voice", "plugin": "twilio_channel",
            "text_refusal": VOICE_CHANNEL.refusal, "takes_files": False}.items() <= voice.items()
    assert voice["carries"]["text"] is False and voice["carries"]["calls"]["ringing"] == "call:incoming"


def test_mute_is_recorded_and_told_to_the_chat_room_by_the_agent_on_the_call_only(
        app, agent, make_agent, socket_client, twilio_webhook):
    _, call = ring(twilio_webhook)
    chats.accept(call.chat, agent)
    colleague = make_agent("colleague@example.test")
    mine, watcher = socket_client(agent), socket_client(colleague)
    assert watcher.emit("chat:join", {"chat_id": call.chat_id}, callback=True) == {"ok": True}
    watcher.get_received()
    assert mine.emit("call:mute", {"call_id": call.id, "muted": True}, callback=True) == {"ok": True, "muted": True}
    db.session.refresh(call)
    assert call.muted is True
    (muted,) = events(watcher, "call:muted")
    assert muted == {"call_id": call.id, "chat_id": call.chat_id, "muted": True, "agent_id": agent.id}
    refused = watcher.emit("call:mute", {"call_id": call.id, "muted": False}, callback=True)
    assert refused["ok"] is False and "Only the agent on the call" in refused["error"]
    for bad in ({"call_id": "1", "muted": True}, {"call_id": call.id, "muted": "yes"}, None, {"call_id": 2**40}):
        assert mine.emit("call:mute", bad, callback=True)["ok"] is False
    db.session.refresh(call)
    assert call.muted is True
    # The refusal speaks the colleague's language.
    colleague.language = "pl"
    db.session.commit()
    polish = socket_client(colleague)
    refused = polish.emit("call:mute", {"call_id": call.id, "muted": False}, callback=True)
    assert refused == {"ok": False, "error": "Tylko konsultant prowadzący połączenie może je wyciszyć."}


def configure_voice(live=True):
    values = {"api_key_sid": KEY_SID, "api_key_secret": KEY_SECRET, "twiml_app_sid": APP_SID}
    if live:
        from plugins.twilio_channel.testing.webhooks import LIVE_TOKEN
        values.update(account_sid=LIVE_SID, auth_token=LIVE_TOKEN, numbers=[OUR_NUMBER])
    settings.save("twilio_channel", values)


def test_device_token_carries_the_voice_grant_for_this_agent(app, agent, api):
    configure_voice()
    before = int(time.time())
    body = api(agent).get("/api/v1/voice/token").get_json()
    claims = jwt.decode(body["token"], KEY_SECRET, algorithms=["HS256"])
    assert claims["iss"] == KEY_SID and claims["sub"] == LIVE_SID
    assert claims["grants"]["identity"] == f"agent-{agent.id}" == body["identity"]
    assert claims["grants"]["voice"]["outgoing"]["application_sid"] == APP_SID
    assert claims["grants"]["voice"]["incoming"]["allow"] is True
    assert before + 3600 <= claims["exp"] <= int(time.time()) + 3600
    assert body["ttl"] == 3600 and body["device"] == "twilio"
    assert body["expires_at"].endswith("+00:00")


def test_device_token_needs_the_voice_settings_in_live_mode(app, agent, api, live_account):
    response = api(agent).get("/api/v1/voice/token")
    assert response.status_code == 409
    assert response.get_json()["message"] == ("Calls in the browser are not set up: add API key SID (voice), API key "
                                              "secret (voice) and TwiML App SID (voice) in the Twilio settings.")
    agent.language = "es"
    db.session.commit()
    message = api(agent).get("/api/v1/voice/token").get_json()["message"]
    assert message.startswith("Las llamadas en el navegador no están configuradas: añade ") and " y " in message


def test_simulator_mode_token_is_real_but_asks_for_the_simulated_device(app, agent, api):
    body = api(agent).get("/api/v1/voice/token").get_json()
    assert body["device"] == "simulator"
    claims = jwt.decode(body["token"], options={"verify_signature": False})
    assert claims["grants"]["voice"]["incoming"]["allow"] is True


def test_calls_of_a_chat_are_listed_for_agents_who_may_see_it(app, agent, make_agent, api, twilio_webhook):
    _, call = ring(twilio_webhook)
    rows = api(agent).get(f"/api/v1/voice/calls?chat_id={call.chat_id}").get_json()
    assert [(r["id"], r["status"], r["live"]) for r in rows] == [(call.id, "ringing", True)]
    outsider = make_agent("sales@example.test", groups=("Sales",))
    assert api(outsider).get(f"/api/v1/voice/calls?chat_id={call.chat_id}").status_code == 404
    assert api(outsider).post(f"/api/v1/voice/calls/{call.id}/answer").status_code == 404
    outsider.language = "pl"
    db.session.commit()
    refused = api(outsider).post(f"/api/v1/voice/calls/{call.id}/answer")
    assert refused.status_code == 404 and refused.get_json()["message"].startswith("Nie ma takiego połączenia")


def test_admins_get_the_voice_urls_to_paste_into_twilio(app, admin, api, signed_in):
    urls = api(admin).get("/api/v1/twilio/webhook-urls").get_json()
    assert (urls["voice"], urls["voice_status"], urls["voice_outbound"]) == (
        f"{PUBLIC}{VOICE}", f"{PUBLIC}{VOICE}/status", f"{PUBLIC}{VOICE}/outbound")
    page = signed_in(admin).get("/twilio/admin").get_data(as_text=True)
    assert f"{PUBLIC}{VOICE}/outbound" in page and "TwiML App" in page


def test_call_refusals_and_the_voice_channel_speak_the_agents_language(app, agent, make_agent, api, twilio_webhook):
    agent.language = "es"
    db.session.commit()
    response, body = place(api, agent, to="hola")
    assert response.status_code == 422
    assert body["errors"]["json"]["to"][0].startswith("«hola» no es un número de teléfono.")  # still the "to" field
    assert place(api, agent)[1]["errors"]["json"]["to"] == ["Escribe el número al que llamar."]
    _, placed = place(api, agent, to=CUSTOMER)
    other = make_agent("other@example.test")
    other.language = "pl"
    db.session.commit()
    response, body = place(api, other, to=CUSTOMER)
    assert response.status_code == 409
    assert body["message"] == ("Nad tym czatem pracuje Sam Agent; zanim zadzwonisz, poproś tę osobę o przekazanie "
                               "go tobie.")
    # The channel list names the calls' channel and says why it takes no text in the reader's language.
    channels = {c["key"]: c for c in api(other).get("/api/v1/channels").get_json()}
    assert channels["voice"]["label"] == "Głos"
    assert channels["voice"]["text_refusal"].startswith("Połączenie telefoniczne nie przenosi tekstu")
    assert {c["key"]: c["label"] for c in api(agent).get("/api/v1/channels").get_json()}["voice"] == "Voz"
    # A text that reached the calls' channel is explained in the reader's language when shown.
    from flask_babel import force_locale
    with force_locale("es"):
        assert VOICE_CHANNEL.explain_failure("voice-text", {}).startswith("Una llamada telefónica no puede llevar texto")
        assert VOICE_CHANNEL.explain_failure("30003", {}) is None
