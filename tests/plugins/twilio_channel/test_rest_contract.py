"""The Twilio adapter against Twilio's own OpenAPI description, served by Prism.

Prism answers with fixed examples, so the assertions are about what our code *sent*
(recorded by RecordingHttpClient) and about Prism finding no contract violations.
"""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from twilio.base.exceptions import TwilioRestException

from host.contracts import Media, OutgoingMessage, SendError, Template
from plugins.twilio_channel.messaging.sender import (ERROR_EXPLANATIONS, TwilioMessagingSender,
                                           explain_error)
from plugins.twilio_channel.testing import (INVALID_TO, NOT_MOBILE, OPTED_OUT,
                                            RATE_LIMITED, RecordingHttpClient,
                                            prefer_error)
from plugins.twilio_channel.transport import (RoutingHttpClient, UnroutedHostError,
                                              parse_hosts)

CALLBACK = "https://helpdesk.example.com/webhooks/twilio/status"
SERVICE_SID = "MG" + "1" * 32
TEMPLATE_SID = "HX" + "2" * 32
CUSTOMER = "+15005550006"
OUR_NUMBER = "+15017122661"


def message(**overrides) -> OutgoingMessage:
    fields = dict(message_id=1, chat_id=1, channel="sms", to=CUSTOMER, sender=OUR_NUMBER,
                  body="Hello from support")
    fields.update(overrides)
    return OutgoingMessage(**fields)


def sent_form(client) -> dict:
    exchange = client.http_client.last
    assert exchange.method == "POST"
    assert exchange.url.startswith("https://api.twilio.com/2010-04-01/Accounts/")
    assert exchange.url.endswith("/Messages.json")
    return exchange.data


# --- sending through Prism ------------------------------------------------------------

def test_sms_with_status_callback(twilio_client, assert_no_violations):
    result = TwilioMessagingSender(twilio_client, CALLBACK).send(message())

    assert result.external_id.startswith("SM")
    assert result.status == "queued"
    assert sent_form(twilio_client) == {"To": CUSTOMER, "From": OUR_NUMBER,
                                        "Body": "Hello from support",
                                        "StatusCallback": CALLBACK}
    assert_no_violations(twilio_client)


def test_mms_sends_every_media_url(twilio_client, assert_no_violations):
    media = (Media("https://files.example.com/a.jpg", "image/jpeg"),
             Media("https://files.example.com/b.pdf", "application/pdf"))
    TwilioMessagingSender(twilio_client, CALLBACK).send(message(body="Two files",
                                                                media=media))

    form = sent_form(twilio_client)
    assert form["MediaUrl"] == ["https://files.example.com/a.jpg",
                                "https://files.example.com/b.pdf"]
    assert form["Body"] == "Two files"
    assert_no_violations(twilio_client)


def test_whatsapp_session_message_uses_sticky_sender(twilio_client, assert_no_violations):
    TwilioMessagingSender(twilio_client, CALLBACK, SERVICE_SID).send(message(
        channel="whatsapp", to="whatsapp:+447700900123", sender="+14155238886",
        body="Your order shipped"))

    form = sent_form(twilio_client)
    assert form["To"] == "whatsapp:+447700900123"
    assert form["From"] == "whatsapp:+14155238886"
    assert "MessagingServiceSid" not in form
    assert form["Body"] == "Your order shipped"
    assert form["StatusCallback"] == CALLBACK
    assert_no_violations(twilio_client)


def test_whatsapp_template_sends_content_sid_and_variables_without_body(
        twilio_client, assert_no_violations):
    template = Template(sid=TEMPLATE_SID, variables={"1": "Alice", "2": "Tuesday"})
    TwilioMessagingSender(twilio_client, CALLBACK).send(message(
        channel="whatsapp", to="+447700900123", sender="whatsapp:+14155238886",
        body="typed text that must not be sent", template=template))

    form = sent_form(twilio_client)
    assert form["To"] == "whatsapp:+447700900123"
    assert form["ContentSid"] == TEMPLATE_SID
    assert json.loads(form["ContentVariables"]) == {"1": "Alice", "2": "Tuesday"}
    assert "Body" not in form and "MediaUrl" not in form
    assert_no_violations(twilio_client)


def test_messaging_service_is_the_sender_when_chat_has_none(twilio_client,
                                                            assert_no_violations):
    sender = TwilioMessagingSender(twilio_client, CALLBACK, messaging_service_sid=SERVICE_SID)
    sender.send(message(sender=None))
    form = sent_form(twilio_client)
    assert form["MessagingServiceSid"] == SERVICE_SID
    assert "From" not in form

    # A chat bound to a sender pool keeps its own service.
    pool = "MG" + "3" * 32
    sender.send(message(sender=pool))
    assert sent_form(twilio_client)["MessagingServiceSid"] == pool
    assert_no_violations(twilio_client)


def test_messaging_host_is_routed(twilio_client, assert_no_violations):
    services = twilio_client.messaging.v1.services.list(limit=5)
    assert services and services[0].sid.startswith("MG")
    assert twilio_client.http_client.last.url.startswith("https://messaging.twilio.com/v1/")
    assert_no_violations(twilio_client)


def test_templates_and_their_whatsapp_approval_from_the_content_api(twilio_client, assert_no_violations):
    from plugins.twilio_channel.messaging.templates import PAGE_SIZE, read_catalogue, read_one

    templates = {t["sid"]: t for t in read_catalogue(twilio_client)}
    exchange = twilio_client.http_client.last
    assert (exchange.method, exchange.url) == ("GET", "https://content.twilio.com/v1/ContentAndApprovals")
    assert exchange.params["PageSize"] == PAGE_SIZE
    assert len(twilio_client.http_client.exchanges) == 1  # one page in Twilio's example
    # Twilio's own examples: one template not submitted, one approved for WhatsApp
    draft, approved = templates["HXaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"], templates["HX5fcd48a417c1cb59da349ad6d5da4607"]
    assert draft["whatsapp_status"] == "unsubmitted" and draft["body"] == "Foo Bar Co is located at 39.7392, 104.9903"
    assert (approved["whatsapp_status"], approved["friendly_name"]) == ("approved", "Media Test")
    assert approved["body"].startswith("{{1}}, Congratulations {{2}}!")

    one = read_one(twilio_client, "HX5fcd48a417c1cb59da349ad6d5da4607")
    assert [e.url for e in twilio_client.http_client.exchanges[-2:]] == [
        "https://content.twilio.com/v1/Content/HX5fcd48a417c1cb59da349ad6d5da4607",
        "https://content.twilio.com/v1/Content/HX5fcd48a417c1cb59da349ad6d5da4607/ApprovalRequests"]
    assert one["whatsapp_status"] == "approved" and one["whatsapp_category"] == "UTILITY"
    assert_no_violations(twilio_client)


# --- errors through Prism ---------------------------------------------------------------

def test_opted_out_recipient_is_final_and_flagged(make_twilio_client, assert_no_violations):
    client = make_twilio_client(extra_headers=prefer_error(OPTED_OUT))
    with pytest.raises(SendError) as caught:
        TwilioMessagingSender(client, CALLBACK).send(message())
    error = caught.value
    assert (error.code, error.opted_out, error.retryable) == ("21610", True, False)
    assert "STOP" in str(error) and "21610" in str(error)
    assert_no_violations(client)


@pytest.mark.parametrize("example, code", [(INVALID_TO, "21211"), (NOT_MOBILE, "21614")])
def test_invalid_recipient_is_not_retried(make_twilio_client, assert_no_violations,
                                          example, code):
    client = make_twilio_client(extra_headers=prefer_error(example))
    with pytest.raises(SendError) as caught:
        TwilioMessagingSender(client, CALLBACK).send(message())
    error = caught.value
    assert (error.code, error.opted_out, error.retryable) == (code, False, False)
    assert str(error) == explain_error(code)
    assert_no_violations(client)


def test_rate_limit_is_retried(make_twilio_client, assert_no_violations):
    client = make_twilio_client(extra_headers=prefer_error(RATE_LIMITED, status=429))
    with pytest.raises(SendError) as caught:
        TwilioMessagingSender(client, CALLBACK).send(message())
    assert caught.value.retryable and not caught.value.opted_out
    assert_no_violations(client)


def test_contract_violations_are_detected(twilio_client, prism):
    """Guards the guard: a request that breaks the spec must show up as a violation."""
    mark = prism.log_mark()
    with pytest.raises(TwilioRestException):
        twilio_client.messages.create(to=CUSTOMER, from_=OUR_NUMBER, body="x",
                                      status_callback="not a url")
    violations = twilio_client.http_client.violations()
    assert any(v["location"][-1] == "StatusCallback" for v in violations)
    assert any("StatusCallback" in line for line in prism.log_errors(since=mark))


def test_unsendable_messages_never_reach_twilio(twilio_client):
    sender = TwilioMessagingSender(twilio_client, CALLBACK)
    for bad in (message(body=""), message(sender=None), message(body="x" * 1601)):
        with pytest.raises(SendError) as caught:
            sender.send(bad)
        assert not caught.value.retryable
    assert twilio_client.http_client.exchanges == []


# --- transport without Prism -------------------------------------------------------------

def test_unknown_hosts_are_refused():
    http = RoutingHttpClient({"api": "http://127.0.0.1:9"})
    for url in ("https://video.twilio.com/v1/Rooms",          # product not configured
                "https://content.dublin.ie1.twilio.com/v1/Content",  # a region's, but not configured
                "http://api.twilio.com/2010-04-01",           # not Twilio's scheme
                "https://api.twilio.com.evil.example/x",       # look-alike host
                "https://example.com/2010-04-01"):
        with pytest.raises(UnroutedHostError):
            http.request("GET", url)


def test_unknown_host_is_refused_through_the_client():
    from twilio.rest import Client
    client = Client("AC" + "0" * 32, "token",
                    http_client=RoutingHttpClient({"api": "http://127.0.0.1:9"}))
    with pytest.raises(UnroutedHostError):
        client.content.v1.contents.list(limit=1)


def test_route_keeps_path_and_query_and_base_prefix():
    http = RoutingHttpClient({"api": "http://127.0.0.1:5000/sim/api/"})
    assert http.route("https://api.twilio.com/2010-04-01/Accounts.json?PageSize=5") == \
        "http://127.0.0.1:5000/sim/api/2010-04-01/Accounts.json?PageSize=5"
    assert http.timeout == 10.0


def test_parse_hosts():
    assert parse_hosts(" api=http://127.0.0.1:4010 , content.twilio.com=http://h:4011/ ") == {
        "api": "http://127.0.0.1:4010", "content": "http://h:4011"}
    for bad, words in (("", "no Twilio hosts"), ("api", "no '='"),
                       ("api=127.0.0.1:4010", "must look like"),
                       ("api=http://a:1,api=http://b:2", "listed twice"),
                       ("api=https://api.twilio.com", "Twilio itself"),
                       ("a pi=http://a:1", "not valid")):
        with pytest.raises(ValueError, match=words):
            parse_hosts(bad)


class _TwilioTrouble(BaseHTTPRequestHandler):
    """Answers every request like an overloaded Twilio, or too slowly."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.startswith("/slow"):
            time.sleep(1.0)
        body = json.dumps({"code": 20500, "message": "Internal Server Error",
                           "status": 500}).encode()
        self.send_response(500)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # keep test output quiet
        pass


@pytest.fixture
def trouble_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _TwilioTrouble)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _sender(base: str, **http_kwargs) -> TwilioMessagingSender:
    from twilio.rest import Client
    http = RecordingHttpClient({"api": base}, **http_kwargs)
    return TwilioMessagingSender(Client("AC" + "0" * 32, "token", http_client=http),
                                 CALLBACK)


@pytest.mark.parametrize("base_suffix, timeout", [("", 10.0), ("/slow", 0.2)])
def test_server_errors_and_timeouts_are_retried(trouble_server, base_suffix, timeout):
    with pytest.raises(SendError) as caught:
        _sender(trouble_server + base_suffix, timeout=timeout).send(message())
    assert caught.value.retryable and not caught.value.opted_out


def test_unreachable_twilio_is_retried():
    with pytest.raises(SendError) as caught:
        _sender("http://127.0.0.1:9", timeout=1.0).send(message())  # port 9: nobody
    assert caught.value.retryable


# --- explanations ----------------------------------------------------------------------

def test_agents_get_plain_explanations():
    required = ("21610 21211 21408 21614 30003 30004 30005 30006 30007 30008 "
                "63016 63003 63024").split()
    assert set(required) <= set(ERROR_EXPLANATIONS)
    for code in required:
        text = explain_error(code)
        assert text.endswith(f"(Twilio error {code}).") and len(text) > 40
    assert explain_error(int("63016")).startswith("More than 24 hours")
    assert "99999" in explain_error("99999")
    assert explain_error(None)
