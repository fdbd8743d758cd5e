"""Inbound messaging and status webhooks: signature checks, parsing, routing, media."""
from __future__ import annotations

import base64
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from host import emit as bus
from host import hookimpl, settings
from host.contracts import ContactRef
from host.events import MessageSent
from host.extensions import db
from host.models import Chat, Group, Message
from host.schemas import snapshot_chat, snapshot_message
from plugins.twilio_channel.models import EarlyStatus, InboundMedia
from plugins.twilio_channel.settings import load_config
from plugins.twilio_channel.testing.webhooks import (LIVE_SID, LIVE_TOKEN, POOL_SID, inbound_params,
                                                     status_params)

MESSAGING = "/webhooks/twilio/messaging"
STATUS = "/webhooks/twilio/status"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'


def count(model=Message):
    return db.session.execute(db.select(db.func.count()).select_from(model)).scalar()


def group_id(name):
    return db.session.execute(db.select(Group.id).where(Group.name == name)).scalar_one()


# --- signatures --------------------------------------------------------------------------

def test_inbound_sms_lands_in_a_new_chat_with_empty_twiml(app, agent, recorder, twilio_webhook):
    response = twilio_webhook(MESSAGING, inbound_params(body="Where is my order?"))
    assert response.status_code == 200
    assert response.content_type.startswith("text/xml")
    assert response.get_data(as_text=True) == EMPTY_TWIML
    chat = db.session.execute(db.select(Chat)).scalar_one()
    assert (chat.channel, chat.customer_address, chat.sender, chat.status) == (
        "sms", "+14155550123", "+14155550000", "queued")
    message = db.session.execute(db.select(Message)).scalar_one()
    assert (message.body, message.external_id, message.direction) == ("Where is my order?", "SM" + "a" * 32, "in")
    assert recorder.names() == ["chat_started", "message_received"]


@pytest.mark.parametrize("forge", ["wrong token", "tampered", "missing", "other account", "signed for another URL"])
def test_forged_webhooks_are_refused_and_store_nothing(app, agent, recorder, twilio_webhook, forge):
    from twilio.request_validator import RequestValidator

    params = inbound_params(body="hi")
    if forge == "wrong token":
        response = twilio_webhook(MESSAGING, params, token="not-the-token-1234")
    elif forge == "tampered":
        signature = RequestValidator(load_config().account.token).compute_signature(
            app.config["SWITCHBOARD_PUBLIC_URL"] + MESSAGING, params)
        response = twilio_webhook(MESSAGING, {**params, "Body": "hi, send me a refund"}, signature=signature)
    elif forge == "missing":
        response = twilio_webhook(MESSAGING, params, signature=False)
    elif forge == "other account":
        response = twilio_webhook(MESSAGING, {**params, "AccountSid": "AC" + "f" * 32})
    else:
        response = twilio_webhook(MESSAGING, params, url="https://attacker.example" + MESSAGING)
    assert response.status_code == 403
    assert count() == 0 and count(Chat) == 0 and recorder.events == []


def test_live_account_verifies_with_its_own_token(app, agent, live_account, twilio_webhook):
    params = inbound_params(to="+14155550100")
    assert params["AccountSid"] == LIVE_SID
    assert twilio_webhook(MESSAGING, params, token=LIVE_TOKEN).status_code == 200
    from plugins.twilio_channel.settings import simulator_token
    simulated = inbound_params(sid="SM" + "d" * 32, account_sid=load_config().account.sid)
    assert twilio_webhook(MESSAGING, simulated, token=simulator_token()).status_code == 403
    assert count() == 1


def test_incomplete_credentials_fail_closed(app, agent, twilio_webhook):
    settings.save("twilio_channel", {"account_sid": LIVE_SID})
    assert load_config().account.mode == "incomplete"
    assert twilio_webhook(MESSAGING, inbound_params(account_sid=LIVE_SID), token="anything-at-all").status_code == 403
    assert count() == 0


def test_status_callbacks_are_signed_too(app, agent, twilio_webhook):
    assert twilio_webhook(STATUS, status_params("SM" + "b" * 32, "delivered"), signature=False).status_code == 403
    assert twilio_webhook(STATUS, status_params("SM" + "b" * 32, "delivered"), token="x" * 20).status_code == 403
    assert count(EarlyStatus) == 0


def test_signature_covers_the_query_string(app, agent, twilio_webhook):
    assert twilio_webhook(MESSAGING, inbound_params(), query="tenant=7").status_code == 200
    unsigned_query = app.config["SWITCHBOARD_PUBLIC_URL"] + MESSAGING
    response = twilio_webhook(MESSAGING, inbound_params(sid="SM" + "c" * 32), url=unsigned_query, query="tenant=7")
    assert response.status_code == 403
    assert count() == 1


def test_a_signature_over_the_url_with_its_port_spelled_out_is_accepted(app, agent, twilio_webhook):
    """Our URL's signature is checked first; what it doesn't match still gets the SDK's whole
    ``validate`` (the URL with and without its port), and a wrong port is still refused."""
    assert app.config["SWITCHBOARD_PUBLIC_URL"] == "http://switchboard.test"
    assert twilio_webhook(MESSAGING, inbound_params(), url="http://switchboard.test:80" + MESSAGING).status_code == 200
    other_port = "http://switchboard.test:8080" + MESSAGING
    assert twilio_webhook(MESSAGING, inbound_params(sid="SM" + "e" * 32), url=other_port).status_code == 403
    assert count() == 1


def test_duplicate_message_sid_is_stored_once(app, agent, recorder, twilio_webhook):
    for _ in range(3):
        response = twilio_webhook(MESSAGING, inbound_params(body="once"))
        assert response.status_code == 200 and response.get_data(as_text=True) == EMPTY_TWIML
    assert count() == 1
    assert recorder.names().count("message_received") == 1


# --- pool numbers and routing ---------------------------------------------------------------

def test_messaging_service_pool_number_is_accepted_and_routed(app, admin, live_account, twilio_webhook):
    """A pool number we never listed: matched by AccountSid, routed by its Messaging Service."""
    settings.save("twilio_channel", {**settings.stored("twilio_channel"), "number_groups": {POOL_SID: "Sales"}})
    params = inbound_params(to="+14155550999", MessagingServiceSid=POOL_SID)
    assert "+14155550999" not in load_config().numbers
    response = twilio_webhook(MESSAGING, params, token=LIVE_TOKEN)
    assert response.status_code == 200
    chat = db.session.execute(db.select(Chat)).scalar_one()
    assert chat.sender == "+14155550999" and chat.group_id == group_id("Sales")


def test_number_to_group_mapping_routes_new_chats(app, admin, twilio_webhook):
    settings.save("twilio_channel", {"number_groups": {"+14155550000": "Sales"}})
    twilio_webhook(MESSAGING, inbound_params())
    twilio_webhook(MESSAGING, inbound_params(sid="SM" + "e" * 32, frm="+14155550124", to="+14155550001"))
    routed = dict(db.session.execute(db.select(Chat.sender, Chat.group_id)).all())
    assert routed == {"+14155550000": group_id("Sales"), "+14155550001": group_id("Support")}


class OverridingContacts:
    """A stand-in contacts plugin whose customer has their own group."""

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

    def test_contact_group_override_wins_over_the_number_mapping(self, app, admin, contacts_stub, twilio_webhook):
        settings.save("twilio_channel", {"number_groups": {"+14155550000": "Sales"}})
        contacts_stub.group_id = group_id("Support")
        twilio_webhook(MESSAGING, inbound_params())
        chat = db.session.execute(db.select(Chat)).scalar_one()
        assert chat.group_id == group_id("Support") and chat.contact_id == 42 and chat.customer_name == "Maria Lopez"


# --- parsing ------------------------------------------------------------------------------

@pytest.mark.parametrize("opt_out_type, expected", [("STOP", "stop"), ("START", "start"), ("HELP", None)])
def test_opt_out_keywords_set_opt_out(app, agent, recorder, twilio_webhook, opt_out_type, expected):
    twilio_webhook(MESSAGING, inbound_params(body=opt_out_type.lower(), OptOutType=opt_out_type))
    (event,) = recorder.of("message_received")
    assert event.opt_out == expected


def test_whatsapp_inbound_keeps_the_prefix_and_profile_name(app, agent, recorder, twilio_webhook):
    params = inbound_params(frm="whatsapp:+447700900123", to="whatsapp:+14155550000", body="Hallo!",
                            ProfileName="Tom Becker", WaId="447700900123")
    assert twilio_webhook(MESSAGING, params).status_code == 200
    chat = db.session.execute(db.select(Chat)).scalar_one()
    assert (chat.channel, chat.customer_address, chat.sender, chat.customer_name) == (
        "whatsapp", "whatsapp:+447700900123", "whatsapp:+14155550000", "Tom Becker")
    (event,) = recorder.of("message_received")
    assert event.profile == {"name": "Tom Becker", "wa_id": "447700900123"}
    assert event.message["channel"] == "whatsapp"


def test_whatsapp_location_becomes_text(app, agent, twilio_webhook):
    params = inbound_params(frm="whatsapp:+447700900123", to="whatsapp:+14155550000", body="",
                            Latitude="52.52", Longitude="13.40", Address="Alexanderplatz")
    twilio_webhook(MESSAGING, params)
    assert db.session.execute(db.select(Message.body)).scalar_one() == "📍 52.52, 13.40 — Alexanderplatz"


MMS_SID = "MM" + "1" * 32


def mms_params(account_sid=None, to="+14155550000"):
    base = f"https://api.twilio.com/2010-04-01/Accounts/{account_sid or load_config().account.sid}/Messages/{MMS_SID}/Media"
    return inbound_params(sid=MMS_SID, body="Photo of the damage", to=to, account_sid=account_sid, NumMedia=2,
                          MediaUrl0=f"{base}/ME{'a' * 32}", MediaContentType0="image/png",
                          MediaUrl1=f"{base}/ME{'b' * 32}", MediaContentType1="application/pdf")


def test_mms_stores_every_attachment_behind_the_proxy(app, agent, twilio_webhook):
    for _ in range(2):  # a retried webhook adds nothing
        assert twilio_webhook(MESSAGING, mms_params()).status_code == 200
    message = db.session.execute(db.select(Message)).scalar_one()
    assert message.kind == "media"
    assert message.media == [{"url": f"/twilio/media/{MMS_SID}/0", "content_type": "image/png"},
                             {"url": f"/twilio/media/{MMS_SID}/1", "content_type": "application/pdf"}]
    refs = db.session.execute(db.select(InboundMedia).order_by(InboundMedia.position)).scalars().all()
    assert [r.url.rsplit("/", 1)[1] for r in refs] == ["ME" + "a" * 32, "ME" + "b" * 32]
    assert "Accounts" in refs[0].url  # the Twilio URL itself never reaches the browser


class _MediaHost(BaseHTTPRequestHandler):
    """Plays api.twilio.com (checks Basic auth, redirects) and the storage it redirects to."""

    seen = []
    PDF = b"%PDF-1.4 the customer's invoice"

    def do_GET(self):
        self._answer(body=True)

    def do_HEAD(self):  # Twilio's storage answers HEAD with the length and the file's name
        self._answer(body=False)

    def _answer(self, body: bool):
        auth = self.headers.get("Authorization")
        self.seen.append((self.headers.get("Host"), self.path, auth, self.command))
        if self.path.startswith("/2010-04-01/"):
            expected = "Basic " + base64.b64encode(f"{LIVE_SID}:{LIVE_TOKEN}".encode()).decode()
            if auth != expected:
                self.send_response(401)
                self.end_headers()
                return
            self.send_response(307)
            self.send_header("Location", f"http://localhost:{self.server.server_address[1]}/storage/{self.path[-6:]}")
            self.end_headers()
            return
        content, content_type = b"\x89PNG fake image bytes", "image/png"
        self.send_response(200)
        if self.path.endswith("bbbbbb"):  # the second file of mms_params
            content, content_type = self.PDF, "application/pdf"
            self.send_header("Content-Disposition", 'attachment; filename="Invoice March.pdf"')
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if body:
            self.wfile.write(content)

    def log_message(self, *args):
        pass


@pytest.fixture
def media_host():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _MediaHost)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _MediaHost.seen = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_media_proxy_fetches_with_basic_auth_and_never_forwards_it(app, agent, make_agent, signed_in,
                                                                  live_account, twilio_webhook, media_host):
    app.config["SWITCHBOARD_TWILIO_HOSTS"] = f"api={media_host}"
    assert twilio_webhook(MESSAGING, mms_params(LIVE_SID, to="+14155550100"), token=LIVE_TOKEN).status_code == 200
    # The document's size and name were asked of Twilio's storage (HEAD), the image's not.
    message = db.session.execute(db.select(Message)).scalar_one()
    assert message.media[1] == {"url": f"/twilio/media/{MMS_SID}/1", "content_type": "application/pdf",
                                "filename": "Invoice_March.pdf", "size": len(_MediaHost.PDF)}
    assert "size" not in message.media[0]
    (head_api, head_storage) = _MediaHost.seen
    assert head_api[3] == head_storage[3] == "HEAD" and head_storage[2] is None  # no credentials to storage
    _MediaHost.seen = []

    assert app.test_client().get(f"/twilio/media/{MMS_SID}/0").status_code in (302, 401)  # signed-in agents only
    response = signed_in(agent).get(f"/twilio/media/{MMS_SID}/0")
    assert response.status_code == 200
    assert response.data == b"\x89PNG fake image bytes"
    assert response.content_type == "image/png"
    assert response.headers["Content-Disposition"] == f'inline; filename="{MMS_SID}-1.png"'
    api_call, storage_call = _MediaHost.seen
    assert api_call[1] == f"/2010-04-01/Accounts/{LIVE_SID}/Messages/{MMS_SID}/Media/ME{'a' * 32}"
    assert storage_call[2] is None  # the credentials stayed with "Twilio"
    document = signed_in(agent).get(f"/twilio/media/{MMS_SID}/1?download=1")
    assert document.data == _MediaHost.PDF
    assert document.headers["Content-Disposition"] == 'attachment; filename="Invoice_March.pdf"'
    assert signed_in(agent).get(f"/twilio/media/{MMS_SID}/7").status_code == 404

    outsider = make_agent("sales@example.test", groups=("Sales",))
    db.session.execute(db.update(Chat).values(group_id=group_id("Support")))
    db.session.commit()
    assert signed_in(outsider).get(f"/twilio/media/{MMS_SID}/0").status_code == 404


def test_non_media_attachments_are_downloads(app, agent, signed_in, twilio_webhook, simulator):
    status, sid = simulator.customer_sends("+14155550123", "+14155550000", "", "sms",
                                           [("application/pdf", b"%PDF-1.4 fake")])
    assert status == 200
    response = signed_in(agent).get(f"/twilio/media/{sid}/0")
    assert response.status_code == 200 and response.data == b"%PDF-1.4 fake"
    assert response.headers["Content-Disposition"] == f'inline; filename="{sid}-1.pdf"'  # PDFs are safe inline
    assert "sandbox" in response.headers["Content-Security-Policy"]


# --- status callbacks ---------------------------------------------------------------------------

def outbound(sid, status="sent", channel="sms"):
    chat = Chat(channel=channel, customer_address="+14155550123", status="active", sender="+14155550000")
    message = Message(chat=chat, direction="out", channel=channel, body="Hi", external_id=sid, status=status,
                      sender="+14155550000", recipient="+14155550123")
    db.session.add_all([chat, message])
    db.session.commit()
    return message


def test_status_moves_forward_and_keeps_the_raw_value_and_code(app, agent, twilio_webhook, recorder):
    message = outbound("SM" + "1" * 32)
    for status in ("delivered", "sent"):
        assert twilio_webhook(STATUS, status_params(message.external_id, status)).status_code == 204
    db.session.refresh(message)
    assert message.status == "delivered"
    twilio_webhook(STATUS, status_params(message.external_id, "undelivered", error_code=30003))
    db.session.refresh(message)
    assert (message.status, message.error_code) == ("undelivered", "30003")
    assert "could not be reached" in message.error_message and "30003" in message.error_message


def test_63016_shows_on_the_whatsapp_message(app, agent, twilio_webhook):
    message = outbound("SM" + "2" * 32, status="queued", channel="whatsapp")
    params = status_params(message.external_id, "failed", error_code=63016, frm="whatsapp:+14155550000",
                           to="whatsapp:+14155550123")
    assert twilio_webhook(STATUS, params).status_code == 204
    db.session.refresh(message)
    assert message.status == "failed" and message.error_code == "63016"
    assert message.error_message.startswith("More than 24 hours")


def test_a_failed_messages_reason_is_shown_in_the_readers_language(app, agent, api, twilio_webhook):
    message = outbound("SM" + "6" * 32)
    twilio_webhook(STATUS, status_params(message.external_id, "undelivered", error_code=30003))
    db.session.refresh(message)
    assert message.error_message.startswith("The customer's phone could not be reached")  # as the webhook wrote it
    agent.language = "pl"
    db.session.commit()
    (shown,) = [m for m in api(agent).get(f"/api/v1/chats/{message.chat_id}/messages").get_json()
                if m["id"] == message.id]
    assert shown["error_code"] == "30003"
    assert shown["error_message"] == ("Nie udało się dotrzeć do telefonu klienta (wyłączony, poza zasięgiem lub w "
                                      "roamingu). Spróbuj ponownie później (błąd Twilio 30003).")
    (logged,) = api(agent).get(f"/api/v1/twilio/logs?chat_id={message.chat_id}").get_json()
    assert logged["error_message"] == shown["error_message"]


def test_21610_status_is_an_opt_out_event(app, agent, twilio_webhook, recorder):
    message = outbound("SM" + "3" * 32)
    twilio_webhook(STATUS, status_params(message.external_id, "failed", error_code=21610))
    (event,) = recorder.of("message_status_changed")
    assert event.opted_out is True and event.message["error_code"] == "21610"


def test_status_before_the_outbox_recorded_the_sid_is_applied_later(app, agent, twilio_webhook):
    sid = "SM" + "4" * 32
    assert twilio_webhook(STATUS, status_params(sid, "delivered")).status_code == 204
    assert count(EarlyStatus) == 1
    message = outbound(sid, status="queued")
    bus.emit(MessageSent(message=snapshot_message(message), chat=snapshot_chat(message.chat)))
    bus.commit()
    db.session.refresh(message)
    assert message.status == "delivered" and count(EarlyStatus) == 0


def test_inbound_continues_the_open_chat_and_reopens_an_archived_one(app, agent, api, twilio_webhook, recorder):
    twilio_webhook(MESSAGING, inbound_params(sid="SM" + "5" * 32, body="first"))
    twilio_webhook(MESSAGING, inbound_params(sid="SM" + "6" * 32, body="second"))
    chat = db.session.execute(db.select(Chat)).scalar_one()
    assert api(agent).post(f"/api/v1/chats/{chat.id}/archive").status_code == 200
    twilio_webhook(MESSAGING, inbound_params(sid="SM" + "8" * 32, body="back again"))
    db.session.refresh(chat)
    assert chat.status == "queued" and count(Chat) == 1 and count() == 3
    assert [e.hook for e in recorder.events if e.hook.startswith("chat_")] == [
        "chat_started", "chat_archived", "chat_reopened"]


def test_signed_but_incomplete_status_is_a_400(app, agent, twilio_webhook):
    params = status_params("SM" + "9" * 32, "delivered")
    del params["MessageStatus"], params["SmsStatus"]
    assert twilio_webhook(STATUS, params).status_code == 400
    assert count(EarlyStatus) == 0
