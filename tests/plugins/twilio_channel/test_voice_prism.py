"""Answer and transfer move the caller's leg with the REST API: checked against Prism on
Twilio's own spec (what was sent, and that Prism saw no contract violation)."""
from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from host import chats
from host.extensions import db
from host.models import Agent, Call, Group
from plugins.twilio_channel.client import use_http_client
from plugins.twilio_channel.testing import RecordingHttpClient
from plugins.twilio_channel.testing.voice import CUSTOMER, call_sid, twiml, voice_params
from plugins.twilio_channel.testing.webhooks import LIVE_SID

pytestmark = pytest.mark.prism

VOICE = "/webhooks/twilio/voice"
CALLS = f"https://api.twilio.com/2010-04-01/Accounts/{LIVE_SID}/Calls"


@pytest.fixture
def twilio(app, prism, live_account):
    """The app's twilio client records every request and sends it to Prism."""
    from host import settings
    from plugins.twilio_channel.testing.webhooks import LIVE_TOKEN, POOL_SID

    # calls in the browser need the voice settings too (else the voice channel isn't offered)
    settings.save("twilio_channel", {"account_sid": LIVE_SID, "auth_token": LIVE_TOKEN, "numbers": ["+14155550100"],
                                     "messaging_service_sids": [POOL_SID], "api_key_sid": "SK" + "1" * 32,
                                     "api_key_secret": "voice-key-secret-" + "s" * 32, "twiml_app_sid": "AP" + "2" * 32})
    http = RecordingHttpClient(prism.hosts)
    use_http_client(app, http)
    mark = prism.log_mark()

    def no_violations():
        # Our requests must be valid; Twilio's own list example breaks its spec in its
        # response (relative first_page_uri declared as a URI), which is not ours to fix.
        assert [v for v in http.violations() if v["location"][:1] != ["response"]] == []
        assert prism.log_errors(since=mark) == []
    http.no_violations = no_violations
    return http


FIRST_CALL = call_sid("a1")


def ring(twilio_webhook, sid=FIRST_CALL):
    response = twilio_webhook(VOICE, voice_params(sid))
    assert response.status_code == 200
    return db.session.execute(db.select(Call).where(Call.call_sid == sid)).scalar_one()


def answered(twilio_webhook, call, agent):
    """Twilio says the agent's browser leg picked up."""
    twilio_webhook(VOICE + "/status", voice_params(call_sid("b2"), frm=CUSTOMER, to=f"client:agent-{agent.id}",
                                                   status="in-progress", direction="outbound-dial",
                                                   ParentCallSid=call.call_sid))
    db.session.refresh(call)
    assert call.status == "in-progress"


def sent_twiml(exchange, sid):
    assert (exchange.method, exchange.url) == ("POST", f"{CALLS}/{sid}.json")
    assert set(exchange.data) == {"Twiml"}  # TwiML only, never a Url as well
    return twiml(exchange.data["Twiml"])


def test_answer_accepts_the_queued_chat_and_dials_the_agents_browser(app, agent, api, twilio_webhook, twilio,
                                                                    recorder):
    call = ring(twilio_webhook)
    response = api(agent).post(f"/api/v1/voice/calls/{call.id}/answer")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["chat"]["agent_id"] == agent.id
    assert [e.agent_id for e in recorder.of("chat_assigned")] == [agent.id]

    (exchange,) = twilio.exchanges
    (dial,) = list(sent_twiml(exchange, call.call_sid))
    assert dial.tag == "Dial"
    assert parse_qs(urlsplit(dial.get("action")).query) == {"chat_id": [str(call.chat_id)],
                                                            "agent_id": [str(agent.id)]}
    client = dial.find("Client")
    assert client.findtext("Identity") == f"agent-{agent.id}"
    assert client.find("Parameter").attrib == {"name": "chat_id", "value": str(call.chat_id)}
    twilio.no_violations()


def test_only_the_assigned_agent_may_answer(app, agent, make_agent, api, twilio_webhook, twilio):
    call = ring(twilio_webhook)
    chats.accept(call.chat, agent)
    colleague = make_agent("colleague@example.test")
    response = api(colleague).post(f"/api/v1/voice/calls/{call.id}/answer")
    assert response.status_code == 403
    assert "Sam Agent is on this chat: only they can answer" in response.get_json()["message"]
    assert twilio.exchanges == []


def test_a_call_that_ended_cannot_be_answered_and_twilio_is_not_asked(app, agent, api, twilio_webhook, twilio):
    call = ring(twilio_webhook)
    twilio_webhook(VOICE + "/queue", voice_params(call.call_sid, status="completed", QueueResult="hangup"),
                   query=f"chat_id={call.chat_id}")
    response = api(agent).post(f"/api/v1/voice/calls/{call.id}/answer")
    assert response.status_code == 409 and response.get_json()["message"] == "The caller has already hung up."
    assert twilio.exchanges == []


def test_transfer_during_the_call_moves_the_callers_leg_to_the_new_agent(
        app, agent, make_agent, api, socket_client, twilio_webhook, twilio):
    call = ring(twilio_webhook)
    assert api(agent).post(f"/api/v1/voice/calls/{call.id}/answer").status_code == 200
    answered(twilio_webhook, call, agent)
    assert api(agent).post("/api/v1/voice/calls/0/answer").status_code == 404
    colleague = make_agent("colleague@example.test", name="Kim Colleague")
    listener = socket_client(colleague)
    listener.get_received()

    response = api(agent).post(f"/api/v1/chats/{call.chat_id}/transfer", json={"agent_id": colleague.id})
    assert response.status_code == 200, response.get_json()
    say, dial = list(sent_twiml(twilio.last, call.call_sid))
    assert say.tag == "Say" and dial.find("Client").findtext("Identity") == f"agent-{colleague.id}"
    assert f"agent_id={colleague.id}" in dial.get("action")
    incoming = [p["args"][0] for p in listener.get_received() if p["name"] == "call:incoming"]
    assert len(incoming) == 1 and incoming[0]["transfer"] is True and incoming[0]["chat"]["agent_id"] == colleague.id

    # the new agent's browser picks up: the call is theirs; their hang-up ends it
    twilio_webhook(VOICE + "/status", voice_params(call_sid("c3"), frm=CUSTOMER, to=f"client:agent-{colleague.id}",
                                                   status="in-progress", direction="outbound-dial",
                                                   ParentCallSid=call.call_sid))
    done = twilio_webhook(VOICE + "/dial", voice_params(call.call_sid, status="in-progress",
                                                        DialCallStatus="completed"),
                          query=f"chat_id={call.chat_id}&agent_id={colleague.id}")
    assert [e.tag for e in twiml(done)] == ["Hangup"]
    db.session.refresh(call)
    assert call.status == "completed"
    twilio.no_violations()


def test_transfer_to_a_group_puts_the_caller_back_in_the_queue(app, agent, make_agent, api, twilio_webhook, twilio):
    call = ring(twilio_webhook)
    api(agent).post(f"/api/v1/voice/calls/{call.id}/answer")
    answered(twilio_webhook, call, agent)
    make_agent("seller@example.test", groups=("Sales",))
    sales = db.session.execute(db.select(Group.id).where(Group.name == "Sales")).scalar_one()
    admin_agent = make_agent("boss@example.test", role="admin", groups=("Support", "Sales"))
    assert api(admin_agent).post(f"/api/v1/chats/{call.chat_id}/transfer", json={"group_id": sales}).status_code == 200
    say, enqueue = list(sent_twiml(twilio.last, call.call_sid))
    assert enqueue.tag == "Enqueue" and enqueue.text == f"chat-{call.chat_id}"
    # anyone in the new group may now take the caller: answering accepts the chat
    seller = db.session.execute(db.select(Agent).where(Agent.email == "seller@example.test")).scalar_one()
    assert api(agent).post(f"/api/v1/voice/calls/{call.id}/answer").status_code == 404  # not in Sales
    assert api(seller).post(f"/api/v1/voice/calls/{call.id}/answer").status_code == 200
    (dial,) = list(sent_twiml(twilio.last, call.call_sid))
    assert dial.find("Client").findtext("Identity") == f"agent-{seller.id}"
    twilio.no_violations()


def test_transfer_before_anyone_answered_just_rings_the_new_agent(app, agent, make_agent, api, socket_client,
                                                                  twilio_webhook, twilio):
    call = ring(twilio_webhook)
    colleague = make_agent("colleague@example.test")
    listener = socket_client(colleague)
    listener.get_received()
    assert api(agent).post(f"/api/v1/chats/{call.chat_id}/transfer", json={"agent_id": colleague.id}).status_code == 200
    assert twilio.exchanges == []  # the caller keeps waiting in the queue
    assert [p["args"][0]["call"]["id"] for p in listener.get_received() if p["name"] == "call:incoming"] == [call.id]


def test_transfer_of_a_call_the_agent_placed_moves_the_customers_child_leg(
        app, agent, make_agent, api, socket_client, twilio_webhook, twilio):
    placed = api(agent).post("/api/v1/voice/calls", json={"to": CUSTOMER}).get_json()
    browser = call_sid("d4")
    twilio_webhook(VOICE + "/outbound", voice_params(browser, frm=f"client:agent-{agent.id}", to=CUSTOMER,
                                                     chat_id=placed["chat"]["id"]))
    twilio_webhook(VOICE + "/status", voice_params(call_sid("e5"), frm="+14155550100", to=CUSTOMER,
                                                   status="in-progress", direction="outbound-dial",
                                                   ParentCallSid=browser))
    colleague = make_agent("colleague@example.test")
    assert api(agent).post(f"/api/v1/chats/{placed['chat']['id']}/transfer",
                           json={"agent_id": colleague.id}).status_code == 200
    listing, update = twilio.exchanges
    assert (listing.method, listing.url) == ("GET", f"{CALLS}.json")
    assert listing.params == {"ParentCallSid": browser, "Status": "in-progress", "PageSize": 1}
    child = json.loads(listing.response_text)["calls"][0]["sid"]
    dial = sent_twiml(update, child).find("Dial")
    client = dial.find("Client")
    assert client.findtext("Identity") == f"agent-{colleague.id}"
    twilio.no_violations()

    # the colleague's browser answers: its leg's parent is the customer's leg, not the call
    # we recorded, so the chat id in the callback URLs finds the call
    status_query = urlsplit(client.get("statusCallback")).query
    listener = socket_client(colleague)
    listener.get_received()
    twilio_webhook(VOICE + "/status", voice_params(call_sid("f6"), frm="+14155550100", to=f"client:agent-{colleague.id}",
                                                   status="in-progress", direction="outbound-dial",
                                                   ParentCallSid=child), query=status_query)
    call = db.session.execute(db.select(Call).where(Call.call_sid == browser)).scalar_one()
    connected = [p["args"][0] for p in listener.get_received() if p["name"] == "call:connected"]
    assert [(c["call"]["id"], c["agent_id"]) for c in connected] == [(call.id, colleague.id)]
    done = twilio_webhook(VOICE + "/dial", voice_params(child, status="in-progress", DialCallStatus="completed"),
                          query=urlsplit(dial.get("action")).query)
    assert [e.tag for e in twiml(done)] == ["Hangup"]
    db.session.refresh(call)
    assert call.status == "completed" and call.ended_at is not None


def test_voicemail_on_time_and_the_queue_deleted_through_twilios_api(app, agent, twilio_webhook, twilio):
    from datetime import timedelta

    from plugins.twilio_channel.voice import housekeeping as voice_housekeeping

    call = ring(twilio_webhook)
    queue_sid = "QU" + "9" * 32
    twilio_webhook(f"{VOICE}/hold?chat_id={call.chat_id}", voice_params(call.call_sid, QueueSid=queue_sid,
                                                                         QueueTime="5", CurrentQueueSize="1"))
    assert voice_housekeeping.run_due(now=voice_housekeeping.utcnow() + timedelta(seconds=89)) == 0
    assert twilio.exchanges == []
    # 90 s (the default) after the caller was put on hold: to voicemail, and the queue goes
    assert voice_housekeeping.run_due(now=voice_housekeeping.utcnow() + timedelta(seconds=91)) == 2
    redirected, deleted = twilio.exchanges
    say, record = list(sent_twiml(redirected, call.call_sid))
    assert (say.tag, record.tag) == ("Say", "Record")
    db.session.refresh(call)
    assert call.status == "no-answer" and call.ended_at is not None
    assert (deleted.method, deleted.url) == (
        "DELETE", f"https://api.twilio.com/2010-04-01/Accounts/{LIVE_SID}/Queues/{queue_sid}.json")
    assert voice_housekeeping.run_due() == 0
    twilio.no_violations()
