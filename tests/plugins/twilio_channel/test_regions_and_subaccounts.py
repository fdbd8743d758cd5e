"""Every Twilio region and subaccounts.

Regions: the client is built with ``region``/``edge`` from the settings, so requests go
to ``api.<edge>.<region>.twilio.com``; media and recordings are fetched from the
regional hosts too. Subaccounts: with the parent's credentials and the subaccount
listed, its webhooks (which carry the subaccount's AccountSid and are signed with the
subaccount's own auth token) are verified with that token, fetched from Twilio with
the parent's credentials, and replies leave through the subaccount that owns the number.
"""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from host import settings
from host.extensions import db
from host.models import Chat, Message
from plugins.twilio_channel.client import twilio_client, use_http_client
from plugins.twilio_channel.models import SimulatedMedia
from plugins.twilio_channel.settings import load_config
from plugins.twilio_channel.testing import RecordingHttpClient
from plugins.twilio_channel.testing.voice import call_sid, voice_params
from plugins.twilio_channel.testing.webhooks import LIVE_SID, LIVE_TOKEN, inbound_params
from plugins.twilio_channel.transport import RoutingHttpClient, UnroutedHostError, twilio_product

MESSAGING = "/webhooks/twilio/messaging"
SUB_SID = "AC" + "5ab" * 10 + "5a"
OTHER_SUB = "AC" + "6c" * 16
PRISM_ACCOUNT_TOKEN = "auth_token"  # what Twilio's Account example answers for auth_token
INBOUND_SID = "SM" + "7" * 32       # not Prism's example sid for the messages we send


# --- regions ------------------------------------------------------------------------------------

@pytest.mark.parametrize("url, product", [
    ("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json", "api"),
    ("https://api.dublin.ie1.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1", "api"),
    ("https://api.sydney.au1.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1", "api"),
    ("https://api.tokyo.jp1.twilio.com/2010-04-01/Accounts/AC1.json", "api"),
    ("https://api.ashburn.us1.twilio.com/2010-04-01/Accounts/AC1.json", "api"),
    ("https://content.dublin.ie1.twilio.com/v1/ContentAndApprovals", "content"),
])
def test_every_regional_twilio_host_is_recognised(url, product):
    assert twilio_product(url) == product
    routed = RoutingHttpClient({product: "http://127.0.0.1:4010/base"}).route(url)
    assert routed == "http://127.0.0.1:4010/base" + url.split(".twilio.com", 1)[1]


@pytest.mark.parametrize("url", [
    "https://api.twilio.com.attacker.example/2010-04-01/x", "https://attacker.example/api.twilio.com",
    "http://api.dublin.ie1.twilio.com/x", "https://api.dublin.ie1.twilio.com:8443/x",
    "https://api..twilio.com/x", "https://twilio.com/x", "https://-api.twilio.com/x",
])
def test_anything_else_is_refused(url):
    with pytest.raises(UnroutedHostError):
        twilio_product(url)


def save(**values):
    settings.save("twilio_channel", {"account_sid": LIVE_SID, "auth_token": LIVE_TOKEN,
                                     "numbers": ["+14155550100"], **values})


def test_region_and_edge_reach_the_twilio_client(app):
    save(twilio_region="ie1")
    client = twilio_client()
    assert (client.region, client.edge) == ("ie1", "dublin")  # the region's own edge
    save(twilio_region="au1", twilio_edge="sydney")
    assert (twilio_client().region, twilio_client().edge) == ("au1", "sydney")
    save(twilio_edge="frankfurt")  # US1 through another edge
    assert (twilio_client().region, twilio_client().edge) == ("us1", "frankfurt")
    save()
    assert (twilio_client().region, twilio_client().edge) == (None, None)


def test_a_region_refuses_another_regions_edge(app, admin, signed_in):
    client = signed_in(admin)
    response = client.post("/admin/plugins/twilio_channel/settings", data={
        "csrf_token": client.csrf_token, "twilio_region": "ie1", "twilio_edge": "sydney"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "IE1 is reached through the dublin edge" in page
    response = client.post("/admin/plugins/twilio_channel/settings", data={
        "csrf_token": client.csrf_token, "twilio_region": "mars1"})
    assert "us1, ie1, au1 or jp1" in response.get_data(as_text=True)


@pytest.fixture
def recording(app, prism):
    def install():
        http = RecordingHttpClient(prism.hosts)
        use_http_client(app, http)
        return http
    return install


def test_messages_go_to_the_regional_api_host(app, agent, api, twilio_webhook, recording, assert_no_violations):
    save(twilio_region="ie1")
    http = recording()
    twilio_webhook(MESSAGING, inbound_params(sid=INBOUND_SID, to="+14155550100", account_sid=LIVE_SID),
                   token=LIVE_TOKEN)
    chat = db.session.execute(db.select(Chat)).scalar_one()
    assert api(agent).post(f"/api/v1/chats/{chat.id}/messages", json={"body": "Dia duit"}).status_code == 201
    app.extensions["switchboard"].outbox.drain()
    assert http.last.url == f"https://api.dublin.ie1.twilio.com/2010-04-01/Accounts/{LIVE_SID}/Messages.json"
    assert_no_violations(SimpleNamespace(http_client=http))


def test_media_from_a_regional_host_is_fetched(app, agent, signed_in, twilio_webhook, simulator):
    sid, media_sid = "MM" + "1" * 32, "ME" + "2" * 32
    db.session.add(SimulatedMedia(sid=media_sid, message_sid=sid, content_type="image/png", data=b"\x89PNG eu"))
    db.session.commit()
    url = f"https://api.dublin.ie1.twilio.com/2010-04-01/Accounts/{simulator.account_sid}/Messages/{sid}/Media/{media_sid}"
    assert twilio_webhook(MESSAGING, inbound_params(sid=sid, NumMedia=1, MediaUrl0=url,
                                                    MediaContentType0="image/png")).status_code == 200
    response = signed_in(agent).get(f"/twilio/media/{sid}/0")
    assert response.status_code == 200 and response.data == b"\x89PNG eu"


# --- subaccounts ----------------------------------------------------------------------------------

@pytest.fixture
def parent_with_subaccount(app, prism):
    save(subaccount_sids=[SUB_SID])
    http = RecordingHttpClient(prism.hosts)
    use_http_client(app, http)
    return http


def sub_webhook(twilio_webhook, token=PRISM_ACCOUNT_TOKEN, account_sid=SUB_SID, sid=INBOUND_SID,
                to="+14155550177", **params):
    return twilio_webhook(MESSAGING, inbound_params(sid=sid, to=to, account_sid=account_sid, **params),
                          token=token)


def test_a_subaccount_webhook_is_verified_with_the_subaccounts_token(app, agent, twilio_webhook,
                                                                     parent_with_subaccount):
    http = parent_with_subaccount
    assert sub_webhook(twilio_webhook, token=LIVE_TOKEN).status_code == 403  # not the parent's token
    assert db.session.execute(db.select(db.func.count(Message.id))).scalar() == 0
    assert sub_webhook(twilio_webhook).status_code == 200
    fetch = http.exchanges[0]
    assert (fetch.method, fetch.url) == ("GET", f"https://api.twilio.com/2010-04-01/Accounts/{SUB_SID}.json")
    message = db.session.execute(db.select(Message)).scalar_one()
    assert message.recipient == "+14155550177"
    sub_webhook(twilio_webhook, sid="SM" + "f" * 32)
    assert len(http.exchanges) == 1  # the token is kept, not fetched per webhook
    # a subaccount nobody listed is refused, whatever it signs with
    assert sub_webhook(twilio_webhook, account_sid=OTHER_SUB, sid="SM" + "e" * 32).status_code == 403


def test_an_unlisted_subaccount_is_refused_without_asking_twilio(app, agent, twilio_webhook, prism):
    save()
    http = RecordingHttpClient(prism.hosts)
    use_http_client(app, http)
    assert sub_webhook(twilio_webhook).status_code == 403
    assert http.exchanges == []


def test_replies_leave_through_the_subaccount_that_owns_the_number(app, agent, api, twilio_webhook,
                                                                   parent_with_subaccount, assert_no_violations):
    http = parent_with_subaccount
    sub_webhook(twilio_webhook)
    chat = db.session.execute(db.select(Chat)).scalar_one()
    assert api(agent).post(f"/api/v1/chats/{chat.id}/messages", json={"body": "Hello"}).status_code == 201
    app.extensions["switchboard"].outbox.drain()
    assert http.last.url == f"https://api.twilio.com/2010-04-01/Accounts/{SUB_SID}/Messages.json"
    assert http.last.data["From"] == "+14155550177"
    assert_no_violations(SimpleNamespace(http_client=http))


def test_a_subaccount_chat_uses_the_subaccounts_templates(app, agent, api, twilio_webhook, parent_with_subaccount):
    http = parent_with_subaccount
    sub_webhook(twilio_webhook, frm="whatsapp:+447700900123", to="whatsapp:+14155550177")
    chat = db.session.execute(db.select(Chat)).scalar_one()
    offered = api(agent).get(f"/api/v1/twilio/templates?chat_id={chat.id}").get_json()
    assert [t["friendly_name"] for t in offered] == ["Media Test"]
    listing = http.last
    assert listing.url == "https://content.twilio.com/v1/ContentAndApprovals"
    assert listing.auth == (SUB_SID, PRISM_ACCOUNT_TOKEN)  # a template belongs to one account (21655)
    api(agent).get("/api/v1/twilio/templates")
    assert http.last.auth == (LIVE_SID, LIVE_TOKEN)


def test_the_parents_own_numbers_still_send_as_the_parent(app, agent, api, twilio_webhook, parent_with_subaccount):
    http = parent_with_subaccount
    sub_webhook(twilio_webhook)  # a subaccount number is known …
    twilio_webhook(MESSAGING, inbound_params(sid="SM" + "c" * 32, frm="+14155550124", to="+14155550100",
                                             account_sid=LIVE_SID), token=LIVE_TOKEN)
    other = db.session.execute(db.select(Chat).where(Chat.customer_address == "+14155550124")).scalar_one()
    api(agent).post(f"/api/v1/chats/{other.id}/messages", json={"body": "Hi"})
    app.extensions["switchboard"].outbox.drain()
    assert http.last.url == f"https://api.twilio.com/2010-04-01/Accounts/{LIVE_SID}/Messages.json"


def test_the_credentials_check_covers_each_subaccount_and_learns_its_numbers(app, admin, agent, api,
                                                                             parent_with_subaccount):
    http = parent_with_subaccount
    result = api(admin).post("/api/v1/twilio/credentials/test").get_json()
    assert result["ok"] is True
    (sub,) = result["subaccounts"]
    assert sub["account_sid"] == SUB_SID and sub["ok"] is True
    assert sub["numbers"] == ["+14155550101", "+14155550102"]  # Prism's account (testing.prism.PRISM_NUMBERS)
    assert any(e.url == f"https://api.twilio.com/2010-04-01/Accounts/{SUB_SID}/IncomingPhoneNumbers.json"
               for e in http.exchanges)
    # an agent writes first from that number: it leaves through the subaccount
    save(subaccount_sids=[SUB_SID], default_sender="+14155550102")
    response = api(agent).post("/api/v1/chats", json={"channel": "sms", "to": "+14155550123", "body": "Hello"})
    assert response.status_code == 201
    app.extensions["switchboard"].outbox.drain()
    assert http.last.url == f"https://api.twilio.com/2010-04-01/Accounts/{SUB_SID}/Messages.json"


def test_a_call_to_a_subaccount_number_is_verified_the_same_way(app, agent, twilio_webhook,
                                                               parent_with_subaccount):
    params = voice_params(call_sid(7), to="+14155550177", account_sid=SUB_SID)
    assert twilio_webhook("/webhooks/twilio/voice", params, token=LIVE_TOKEN).status_code == 403
    assert twilio_webhook("/webhooks/twilio/voice", params, token=PRISM_ACCOUNT_TOKEN).status_code == 200


def test_subaccounts_need_the_parents_credentials(app, admin, signed_in):
    client = signed_in(admin)
    response = client.post("/admin/plugins/twilio_channel/settings", data={
        "csrf_token": client.csrf_token, "subaccount_sids": [SUB_SID]})
    assert "Subaccounts are reached with the parent account" in response.get_data(as_text=True)
    response = client.post("/admin/plugins/twilio_channel/settings", data={
        "csrf_token": client.csrf_token, "account_sid": LIVE_SID, "auth_token": LIVE_TOKEN,
        "subaccount_sids": [LIVE_SID]})
    assert "is the account itself" in response.get_data(as_text=True)
    assert load_config().subaccounts == ()


VOICE_KEYS = {"api_key_sid": "SK" + "5" * 32, "api_key_secret": "voice-api-key-secret-for-tests-0123456789",
              "twiml_app_sid": "AP" + "6" * 32}


@pytest.mark.parametrize("region, edge", [("au1", "sydney"), ("ie1", "dublin"), (None, None)])
def test_the_browser_phone_is_told_its_region_and_edge(app, agent, api, region, edge):
    import jwt

    save(twilio_region=region, **VOICE_KEYS)
    body = api(agent).get("/api/v1/voice/token").get_json()
    assert body["edge"] == edge  # the Device connects through the region's edge
    assert jwt.get_unverified_header(body["token"]).get("twr") == region


def test_region_and_edge_are_picked_from_lists_on_the_settings_page(app, admin, signed_in):
    import re

    client = signed_in(admin)
    page = client.get("/admin/plugins/twilio_channel/settings").get_data(as_text=True)
    region = re.search(r'<select[^>]*name="twilio_region">(.*?)</select>', page, re.S).group(1)
    assert re.findall(r'<option value="([^"]*)"', region) == ["", "us1", "ie1", "au1", "jp1"]
    assert 'name="twilio_edge"' in page and '<option value="dublin"' in page
    response = client.post("/admin/plugins/twilio_channel/settings", data={
        "csrf_token": client.csrf_token, "account_sid": LIVE_SID, "auth_token": LIVE_TOKEN,
        "twilio_region": "ie1", "twilio_edge": ""})
    assert response.status_code == 302
    assert (load_config().region, load_config().edge) == ("ie1", "dublin")
    page = client.get("/admin/plugins/twilio_channel/settings").get_data(as_text=True)
    assert '<option value="ie1" selected>' in page
