"""Every outbound path of the plugin, through the host outbox and the real twilio client, against Prism.

The app's twilio client is given a RecordingHttpClient routed to Prism (``use_http_client``),
so these tests see exactly what the plugin sent, and Prism checks it against Twilio's spec.
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest

from host.extensions import db
from host.models import Chat, Message, OutboxItem, utcnow
from plugins.twilio_channel.client import use_http_client
from plugins.twilio_channel.messaging.sender import explain_error
from plugins.twilio_channel.testing import INVALID_TO, OPTED_OUT, RecordingHttpClient, prefer_error
from plugins.twilio_channel.testing.webhooks import LIVE_SID, LIVE_TOKEN, inbound_params

pytestmark = pytest.mark.prism

CALLBACK = "http://switchboard.test/webhooks/twilio/status"
# The template Twilio's ContentAndApprovals example approves for WhatsApp ("Media Test").
TEMPLATE = {"sid": "HX5fcd48a417c1cb59da349ad6d5da4607", "variables": {"1": "Alice", "2": "Tuesday"},
            "name": "Media Test"}


@pytest.fixture
def recording(app, prism, live_account):
    def install(**http_kwargs):
        http = RecordingHttpClient(prism.hosts, **http_kwargs)
        use_http_client(app, http)
        return http
    return install


@pytest.fixture
def chat(app, agent, twilio_webhook):
    def open_chat(frm="+14155550123", to="+14155550100"):
        params = inbound_params(sid="SM" + "7" * 32, frm=frm, to=to, body="Hello", account_sid=LIVE_SID)
        assert twilio_webhook("/webhooks/twilio/messaging", params, token=LIVE_TOKEN).status_code == 200
        return db.session.execute(db.select(Chat).where(Chat.customer_address == frm)).scalar_one()
    return open_chat


def send(app, api, agent, chat, **json_body):
    response = api(agent).post(f"/api/v1/chats/{chat.id}/messages", json=json_body)
    assert response.status_code == 201, response.get_json()
    app.extensions["switchboard"].outbox.drain()
    message = db.session.get(Message, response.get_json()["id"])
    db.session.refresh(message)
    return message


def sent_form(http):
    exchange = http.last
    assert exchange.method == "POST" and exchange.url == (
        f"https://api.twilio.com/2010-04-01/Accounts/{LIVE_SID}/Messages.json")
    return exchange.data


def test_sms_reply(app, agent, api, chat, recording, assert_no_violations):
    http = recording()
    message = send(app, api, agent, chat(), body="How can I help?")
    assert sent_form(http) == {"To": "+14155550123", "From": "+14155550100", "Body": "How can I help?",
                               "StatusCallback": CALLBACK}
    assert message.status == "queued" and message.external_id.startswith("SM")
    assert_no_violations(SimpleNamespace(http_client=http))


def test_mms_reply(app, agent, api, chat, recording, assert_no_violations):
    http = recording()
    media = [{"url": "https://files.example.com/invoice.pdf", "content_type": "application/pdf"},
             {"url": "https://files.example.com/label.png", "content_type": "image/png"}]
    send(app, api, agent, chat(), body="Your documents", media=media)
    form = sent_form(http)
    assert form["MediaUrl"] == [m["url"] for m in media] and form["Body"] == "Your documents"
    assert_no_violations(SimpleNamespace(http_client=http))


def test_whatsapp_session_reply(app, agent, api, chat, recording, assert_no_violations):
    http = recording()
    message = send(app, api, agent, chat(frm="whatsapp:+447700900123", to="whatsapp:+14155238886"), body="Hi!")
    assert sent_form(http) == {"To": "whatsapp:+447700900123", "From": "whatsapp:+14155238886", "Body": "Hi!",
                               "StatusCallback": CALLBACK}
    assert message.channel == "whatsapp"
    assert_no_violations(SimpleNamespace(http_client=http))


def test_whatsapp_template_outside_the_window(app, agent, api, chat, recording, assert_no_violations):
    http = recording()
    conversation = chat(frm="whatsapp:+447700900123", to="whatsapp:+14155238886")
    db.session.execute(db.update(Message).values(created_at=utcnow().replace(year=2020)))
    db.session.commit()
    api(agent).get("/api/v1/twilio/templates")  # the catalogue, as the picker loads it
    message = send(app, api, agent, conversation, template=TEMPLATE)
    form = sent_form(http)
    assert form["ContentSid"] == TEMPLATE["sid"] and "Body" not in form
    assert json.loads(form["ContentVariables"]) == {"1": "Alice", "2": "Tuesday"}
    assert form["StatusCallback"] == CALLBACK
    assert message.kind == "template" and message.template["name"] == "Media Test"
    assert message.body == ("Alice, Congratulations Tuesday! For additional assistance, please contact us at "
                            "hello@twilio.com")  # the text the customer received, from the template
    assert_no_violations(SimpleNamespace(http_client=http))


def test_a_template_not_approved_for_whatsapp_is_not_sent_outside_the_window(app, agent, api, chat, recording,
                                                                             assert_no_violations):
    http = recording()
    conversation = chat(frm="whatsapp:+447700900123", to="whatsapp:+14155238886")
    db.session.execute(db.update(Message).values(created_at=utcnow().replace(year=2020)))
    db.session.commit()
    draft = {"sid": "HXaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "name": "Some content"}  # "unsubmitted" in Twilio's example
    api(agent).get("/api/v1/twilio/templates")  # the catalogue, as the picker loads it
    refused = api(agent).post(f"/api/v1/chats/{conversation.id}/messages", json={"template": draft})
    assert refused.status_code == 409 and "not approved for WhatsApp" in refused.get_json()["message"]
    assert not [e for e in http.exchanges if e.method == "POST"]
    assert_no_violations(SimpleNamespace(http_client=http))


def test_content_templates_and_account_fetch(app, admin, api, recording, assert_no_violations):
    http = recording()
    templates = api(admin).get("/api/v1/twilio/templates").get_json()
    assert [(t["friendly_name"], t["status"]) for t in templates] == [("Media Test", "approved")]
    assert http.last.url == "https://content.twilio.com/v1/ContentAndApprovals"
    everything = api(admin).get("/api/v1/twilio/templates/all").get_json()
    assert {(t["friendly_name"], t["status"]) for t in everything} == {
        ("Media Test", "approved"), ("Some content", "unsubmitted"), ("Video Highlights", "rejected")}
    assert len(http.exchanges) == 1  # kept as a catalogue
    result = api(admin).post("/api/v1/twilio/credentials/test").get_json()
    assert result["ok"] is True and result["mode"] == "live"
    assert http.last.url == f"https://api.twilio.com/2010-04-01/Accounts/{LIVE_SID}.json"
    assert_no_violations(SimpleNamespace(http_client=http))


def test_opted_out_recipient_fails_plainly_without_retry(app, agent, api, chat, recording, recorder,
                                                         assert_no_violations):
    http = recording(extra_headers=prefer_error(OPTED_OUT))
    message = send(app, api, agent, chat(), body="Are you there?")
    assert (message.status, message.error_code) == ("failed", "21610")
    assert message.error_message == explain_error("21610")
    item = db.session.execute(db.select(OutboxItem)).scalar_one()
    assert (item.state, item.attempts) == ("dead", 1)
    event = recorder.of("message_status_changed")[-1]
    assert event.opted_out is True and event.message["status"] == "failed"
    assert app.extensions["switchboard"].outbox.drain() == 0  # nothing left to retry
    assert len(http.exchanges) == 1
    assert_no_violations(SimpleNamespace(http_client=http))


def test_invalid_number_fails_without_retry(app, agent, api, chat, recording, recorder, assert_no_violations):
    http = recording(extra_headers=prefer_error(INVALID_TO))
    message = send(app, api, agent, chat(), body="Hello?")
    assert (message.status, message.error_code) == ("failed", "21211")
    assert "not a valid number" in message.error_message
    assert recorder.of("message_status_changed")[-1].opted_out is False
    assert db.session.execute(db.select(OutboxItem.state)).scalar_one() == "dead"
    assert_no_violations(SimpleNamespace(http_client=http))


class _Overloaded(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({"code": 20500, "message": "Internal Server Error", "status": 500}).encode()
        self.send_response(500)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def overloaded_twilio():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Overloaded)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_server_errors_are_retried_with_backoff(app, agent, api, chat, live_account, overloaded_twilio, recorder):
    use_http_client(app, RecordingHttpClient({"api": overloaded_twilio}))
    message = send(app, api, agent, chat(), body="Hello")
    item = db.session.execute(db.select(OutboxItem)).scalar_one()
    assert (item.state, item.attempts) == ("pending", 1) and item.next_attempt_at > utcnow()
    assert message.status == "queued" and message.error_message.startswith("Not sent yet, retrying")
    assert "retried automatically" in message.error_message
    assert recorder.of("message_status_changed")[-1].opted_out is False


def test_files_twilio_would_refuse_are_refused_before_anything_is_queued(app, agent, api, chat, recording):
    http = recording()
    client = api(agent)
    whatsapp = chat(frm="whatsapp:+447700900123", to="whatsapp:+14155238886")
    two = [{"url": "https://files.example.com/a.pdf", "content_type": "application/pdf"},
           {"url": "https://files.example.com/b.pdf", "content_type": "application/pdf"}]
    refused = client.post(f"/api/v1/chats/{whatsapp.id}/messages", json={"body": "Both files", "media": two})
    assert refused.status_code == 422
    assert refused.json["errors"]["json"]["media"] == [
        "WhatsApp carries at most 1 file a message. Send the others in another message."]
    archive = [{"url": "https://files.example.com/all.zip", "content_type": "application/zip"}]
    refused = client.post("/api/v1/chats", json={"channel": "sms", "to": "+14155550199", "media": archive})
    assert refused.status_code == 422
    assert "MMS doesn't take application/zip files like all.zip" in refused.json["errors"]["json"]["media"][0]
    started = client.post("/api/v1/chats", json={"channel": "whatsapp", "to": "+447700900999", "media": two})
    assert started.status_code == 422 and "at most 1 file" in started.json["errors"]["json"]["media"][0]
    assert db.session.execute(db.select(OutboxItem)).first() is None
    assert not [e for e in http.exchanges if e.method == "POST"]  # Twilio never heard of them


def test_a_file_over_the_limit_that_reaches_the_outbox_fails_as_twilio_fails_it(app, agent, chat, recording):
    # A plugin (or a message queued before the rules changed) can put anything in the outbox;
    # Twilio would take the request and fail the message with 11751 once it fetched the file.
    from host import chats
    from host.models import Attachment

    http = recording()
    sms = chat()
    big = Attachment(chat_id=sms.id, filename="scan.png", content_type="image/png", size=6_000_000,
                     data=b"\0" * 6_000_000)
    db.session.add(big)
    db.session.commit()
    message = chats.reply(sms, agent, media=[{"url": f"/api/v1/attachments/{big.id}", "content_type": "image/png",
                                              "filename": "scan.png", "size": big.size, "attachment_id": big.id}])
    app.extensions["switchboard"].outbox.drain()
    db.session.refresh(message)
    assert message.status == "failed" and message.error_code == "11751"
    assert "scan.png is 6.0 MB; MMS takes up to 5.0 MB a message" in message.error_message
    assert not [e for e in http.exchanges if e.method == "POST"]

