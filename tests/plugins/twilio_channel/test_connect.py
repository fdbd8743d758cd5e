"""Connect Twilio in one step, against Prism on Twilio's OpenAPI: credentials, the
account's numbers to pick, one click that points them here (and creates the TwiML App
and API key), and undo with the previous URLs. Nothing changes at Twilio before the click."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from flask_babel import force_locale
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from host import settings
from plugins.twilio_channel.client import use_http_client
from plugins.twilio_channel.account.inventory import options
from plugins.twilio_channel.models import WebhookChange
from plugins.twilio_channel.settings import load_config
from plugins.twilio_channel.account.checks import UNVERIFIED, health_checks
from plugins.twilio_channel.testing.webhooks import inbound_params, post_twilio
from plugins.twilio_channel.testing import RecordingHttpClient
from plugins.twilio_channel.testing.prism import (PRISM_NUMBERS, PRISM_SENDER_WEBHOOK, PRISM_SUBACCOUNT,
                                                  PRISM_SUBACCOUNT_NUMBER, PRISM_WHATSAPP_SENDER, SUBACCOUNT_NUMBERS,
                                                  WITH_SUBACCOUNT, prefer_example)

ACCOUNT = "AC" + "0123456789abcdef" * 2
TOKEN = "prism-auth-token-0123456789"
BASE = "http://switchboard.test"
KEY_SID, KEY_SECRET = "SK" + "5" * 32, "prism-api-key-secret-0123"
(PN1, NUMBER1, _, _), (PN2, NUMBER2, _, _) = PRISM_NUMBERS
XE, WHATSAPP = PRISM_WHATSAPP_SENDER


@pytest.fixture
def http(app, prism):
    recording = RecordingHttpClient(prism.hosts)
    use_http_client(app, recording)
    return recording


SUB, SUB_NAME = PRISM_SUBACCOUNT
PN3, NUMBER3, _, _ = PRISM_SUBACCOUNT_NUMBER


class ParentAccountHttp(RecordingHttpClient):
    """Prism as a parent account's Twilio: the account list has a subaccount, which has its own number."""

    def request(self, method, url, params=None, data=None, headers=None, **kwargs):
        path = urlsplit(url).path
        if path.endswith("/2010-04-01/Accounts.json"):
            headers = {**(headers or {}), **prefer_example(WITH_SUBACCOUNT)}
        elif path.endswith(f"/Accounts/{SUB}/IncomingPhoneNumbers.json"):
            headers = {**(headers or {}), **prefer_example(SUBACCOUNT_NUMBERS)}
        return super().request(method, url, params=params, data=data, headers=headers, **kwargs)


@pytest.fixture
def parent_http(app, prism):
    recording = ParentAccountHttp(prism.hosts)
    use_http_client(app, recording)
    return recording


def request_violations(http):
    """What Prism found wrong with our requests (Twilio's own examples break its response schemas)."""
    return [v for v in http.violations() if v["location"][0] == "request"]


def sent(http, method, path_end):
    return [e for e in http.exchanges if e.method == method and urlsplit(e.url).path.endswith(path_end)]


def connect(client):
    return client.post("/twilio/admin/connect/credentials", data={
        "csrf_token": client.csrf_token, "account_sid": ACCOUNT, "auth_token": TOKEN}, follow_redirects=True)


def test_credentials_fetch_the_account_and_change_nothing(app, admin, signed_in, http):
    client = signed_in(admin)
    page = connect(client).get_data(as_text=True)
    assert "Found 2 phone numbers, 1 WhatsApp sender and 1 Messaging Service." in page
    for number in (NUMBER1, NUMBER2):
        assert number in page
    assert "Messages go to https://old.example.com/sms; calls go to https://old.example.com/voice" in page
    assert load_config().account.mode == "live"
    assert {e.method for e in http.exchanges} == {"GET"}  # looked, touched nothing
    assert request_violations(http) == []
    # the settings form now offers the fetched numbers to tick
    form = client.get("/admin/plugins/twilio_channel/settings").get_data(as_text=True)
    assert f'name="numbers" value="{NUMBER1}"' in form and "Sales line" in form


def test_one_click_points_the_picked_numbers_here_and_sets_up_calls(app, admin, signed_in, http):
    client = signed_in(admin)
    connect(client)
    response = client.post("/twilio/admin/connect/apply", data={
        "csrf_token": client.csrf_token, "number_sid": [PN1, PN2], "voice": "on"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert f"{NUMBER1} now sends its messages and calls here." in page
    (update,) = sent(http, "POST", f"/IncomingPhoneNumbers/{PN1}.json")
    assert update.data["SmsUrl"] == BASE + "/webhooks/twilio/messaging" and update.data["SmsMethod"] == "POST"
    assert update.data["VoiceUrl"] == BASE + "/webhooks/twilio/voice"
    assert update.data["StatusCallback"] == BASE + "/webhooks/twilio/voice/status"
    (app_create,) = sent(http, "POST", "/Applications.json")
    assert app_create.data["VoiceUrl"] == BASE + "/webhooks/twilio/voice/outbound"
    assert len(sent(http, "POST", "/Keys.json")) == 1
    assert request_violations(http) == []
    config = load_config()
    assert config.numbers == (NUMBER1, NUMBER2)
    assert config.raw["twiml_app_sid"].startswith("AP") and config.raw["api_key_sid"].startswith("SK")
    assert config.raw["api_key_secret"] and config.raw["api_key_secret"] not in page  # stored, never shown
    previous = {c.field: c.previous for c in WebhookChange.query.filter_by(resource_sid=PN1)}
    assert previous == {"sms_url": "https://old.example.com/sms", "voice_url": "https://old.example.com/voice",
                        "status_callback": None}
    assert "✔ Points here" in page

    polish = client.get("/twilio/admin", headers={"Accept-Language": "pl"}).get_data(as_text=True)
    for words in ("Połącz swoje konto Twilio", "✔ Wskazuje tutaj", "Cofnij wszystko", "Pobierz ponownie",
                  f"Połączono z kontem <code>{ACCOUNT}</code>."):
        assert words in polish, words
    assert "Points here" not in polish


def test_undo_puts_the_previous_urls_back_and_deletes_what_was_created(app, admin, signed_in, http):
    client = signed_in(admin)
    connect(client)
    client.post("/twilio/admin/connect/apply", data={"csrf_token": client.csrf_token, "number_sid": [PN1],
                                                     "voice": "on"})
    created_app = load_config().raw["twiml_app_sid"]
    page = client.post("/twilio/admin/connect/undo", data={"csrf_token": client.csrf_token},
                       follow_redirects=True).get_data(as_text=True)
    assert f"{NUMBER1} points where it did before." in page, request_violations(http)
    restore = sent(http, "POST", f"/IncomingPhoneNumbers/{PN1}.json")[-1]
    assert restore.data["SmsUrl"] == "https://old.example.com/sms"
    assert restore.data["VoiceUrl"] == "https://old.example.com/voice"
    assert sent(http, "DELETE", f"/Applications/{created_app}.json")
    assert len([e for e in http.exchanges if e.method == "DELETE" and "/Keys/" in e.url]) == 1
    assert not load_config().raw.get("twiml_app_sid")
    assert WebhookChange.query.filter(WebhookChange.undone_at.is_(None)).count() == 0
    assert request_violations(http) == []


def test_undo_clears_again_the_fields_that_had_no_address_before(app, admin, signed_in, http):
    # The Support line had no messaging URL and no call status URL: after undo Twilio must not
    # keep sending its messages here. Twilio clears a URL parameter given as an empty string.
    client = signed_in(admin)
    connect(client)
    client.post("/twilio/admin/connect/apply", data={"csrf_token": client.csrf_token, "number_sid": [PN2]})
    previous = {c.field: c.previous for c in WebhookChange.query.filter_by(resource_sid=PN2)}
    assert previous == {"sms_url": None, "voice_url": "https://old.example.com/voice", "status_callback": None}
    page = client.post("/twilio/admin/connect/undo", data={"csrf_token": client.csrf_token},
                       follow_redirects=True).get_data(as_text=True)
    assert f"{NUMBER2} points where it did before." in page
    assert "still comes here" not in page and "still come here" not in page
    restore = sent(http, "POST", f"/IncomingPhoneNumbers/{PN2}.json")[-1]
    assert restore.data["SmsUrl"] == "" and restore.data["StatusCallback"] == ""
    assert restore.data["VoiceUrl"] == "https://old.example.com/voice"
    assert restore.status == 200 and request_violations(http) == []
    # What the admin now sees of the number is what Twilio holds: messages go nowhere.
    (number,) = [o for o in options("numbers") if o.value == NUMBER2]
    assert number.detail.endswith("messages go nowhere")
    # Only the empty value is let through: anything else must still be a URL.
    with pytest.raises(TwilioRestException):
        Client(ACCOUNT, TOKEN, http_client=http).incoming_phone_numbers(PN2).update(sms_url="not a url")
    assert request_violations(http)


def test_one_click_points_the_picked_whatsapp_sender_here(app, admin, signed_in, http):
    client = signed_in(admin)
    page = connect(client).get_data(as_text=True)
    assert "Messages go to https://old.example.com/whatsapp; status updates go to " \
           "https://old.example.com/whatsapp-status" in page
    page = client.post("/twilio/admin/connect/apply", data={"csrf_token": client.csrf_token, "sender_sid": [XE]},
                       follow_redirects=True).get_data(as_text=True)
    assert f"WhatsApp sender {NUMBER1} now sends its messages and status updates here." in page
    (update,) = sent(http, "POST", f"/v2/Channels/Senders/{XE}")
    assert update.headers["Content-Type"] == "application/json"
    assert update.data["webhook"] == {
        "callback_url": BASE + "/webhooks/twilio/messaging", "callback_method": "POST",
        "fallback_url": "https://old.example.com/fallback", "fallback_method": "POST",  # kept as it was
        "status_callback_url": BASE + "/webhooks/twilio/status", "status_callback_method": "POST"}
    assert update.status == 202 and request_violations(http) == []
    assert not sent(http, "POST", ".json")  # no number or service was touched
    assert load_config().whatsapp_senders == (WHATSAPP,)
    previous = {c.field: c.previous for c in WebhookChange.query.filter_by(resource_sid=XE)}
    assert previous == {"webhook": "https://old.example.com/whatsapp",
                        "status_callback": "https://old.example.com/whatsapp-status"}
    assert "✔ Points here" in page


def test_undo_gives_the_whatsapp_sender_its_previous_webhooks(app, admin, signed_in, http):
    client = signed_in(admin)
    connect(client)
    client.post("/twilio/admin/connect/apply", data={"csrf_token": client.csrf_token, "sender_sid": [XE]})
    page = client.post("/twilio/admin/connect/undo", data={"csrf_token": client.csrf_token},
                       follow_redirects=True).get_data(as_text=True)
    assert f"WhatsApp {NUMBER1} points where it did before." in page
    restore = sent(http, "POST", f"/v2/Channels/Senders/{XE}")[-1]
    assert restore.data["webhook"] == PRISM_SENDER_WEBHOOK
    assert request_violations(http) == []
    assert "Messages go to https://old.example.com/whatsapp;" in page


def test_with_the_auth_token_rest_calls_use_it_and_webhooks_are_verified(app, admin, signed_in, http):
    client = signed_in(admin)
    page = connect(client).get_data(as_text=True)
    assert {e.auth for e in http.exchanges} == {(ACCOUNT, TOKEN)}
    assert "can&#39;t be verified" not in page
    assert not [c for c in health_checks() if c.name == "Twilio webhook signatures"]
    assert post_twilio(app, "/webhooks/twilio/messaging", inbound_params(to=NUMBER1)).status_code == 200


def test_an_api_key_fetches_and_repoints_but_no_webhook_is_accepted_without_the_auth_token(
        app, admin, signed_in, http):
    from host.extensions import db
    from host.models import InboxEvent  # everything Twilio posts is stored here first

    client = signed_in(admin)
    page = client.post("/twilio/admin/connect/credentials", data={
        "csrf_token": client.csrf_token, "account_sid": ACCOUNT, "api_key_sid": KEY_SID,
        "api_key_secret": KEY_SECRET}, follow_redirects=True).get_data(as_text=True)
    assert "Found 2 phone numbers, 1 WhatsApp sender and 1 Messaging Service." in page
    assert "can&#39;t be verified — and are refused — until the auth token is entered." in page
    page = client.post("/twilio/admin/connect/apply", data={"csrf_token": client.csrf_token, "number_sid": [PN1]},
                       follow_redirects=True).get_data(as_text=True)
    assert f"{NUMBER1} now sends its messages and calls here." in page
    (update,) = sent(http, "POST", f"/IncomingPhoneNumbers/{PN1}.json")
    assert f"/Accounts/{ACCOUNT}/" in update.url  # the key acts for the account it belongs to
    assert {e.auth for e in http.exchanges} == {(KEY_SID, KEY_SECRET)}
    assert request_violations(http) == []
    (check,) = [c for c in health_checks() if c.name == "Twilio webhook signatures"]
    assert not check.ok and check.detail == UNVERIFIED and check.action == "Enter the auth token"
    # Signed with any token at all, an incoming message is refused and nothing is stored.
    for token in (TOKEN, KEY_SECRET):
        response = post_twilio(app, "/webhooks/twilio/messaging", inbound_params(to=NUMBER1), token=token)
        assert response.status_code == 403
    assert db.session.execute(db.select(db.func.count()).select_from(InboxEvent)).scalar() == 0
    # Entering the auth token too makes webhooks verifiable; the REST calls move to it.
    page = connect(client).get_data(as_text=True)
    assert "can&#39;t be verified" not in page
    assert post_twilio(app, "/webhooks/twilio/messaging", inbound_params(to=NUMBER1)).status_code == 200


def test_half_an_api_key_is_refused_with_a_sentence(app, admin, signed_in, http):
    client = signed_in(admin)
    page = client.post("/twilio/admin/connect/credentials", data={
        "csrf_token": client.csrf_token, "account_sid": ACCOUNT, "api_key_sid": KEY_SID},
        follow_redirects=True).get_data(as_text=True)
    assert "Enter both the API key SID (SK…) and its secret" in page
    assert not [e for e in http.exchanges if "/Accounts/" in e.url] and settings.stored("twilio_channel") == {}


def test_a_parent_account_lists_and_repoints_its_subaccounts_numbers(app, admin, signed_in, parent_http):
    http = parent_http
    client = signed_in(admin)
    page = connect(client).get_data(as_text=True)
    assert "Found 3 phone numbers" in page
    assert f"Subaccount: {SUB_NAME}" in page and f'value="{SUB}/{PN3}"' in page
    page = client.post("/twilio/admin/connect/apply", data={"csrf_token": client.csrf_token,
                                                            "number_sid": [f"{SUB}/{PN3}"]},
                       follow_redirects=True).get_data(as_text=True)
    assert f"{NUMBER3} ({SUB_NAME}) now sends its messages and calls here." in page
    (update,) = [e for e in http.exchanges if e.method == "POST"]
    assert urlsplit(update.url).path == f"/2010-04-01/Accounts/{SUB}/IncomingPhoneNumbers/{PN3}.json"
    assert update.auth == (ACCOUNT, TOKEN)  # the parent's credentials act for the subaccount
    assert update.data["SmsUrl"] == BASE + "/webhooks/twilio/messaging"
    assert request_violations(http) == []
    config = load_config()
    assert NUMBER3 in config.numbers and config.subaccounts == (SUB,)
    page = client.post("/twilio/admin/connect/undo", data={"csrf_token": client.csrf_token},
                       follow_redirects=True).get_data(as_text=True)
    assert f"{NUMBER3} ({SUB_NAME}) points where it did before." in page
    restore = [e for e in http.exchanges if e.method == "POST"][-1]
    assert urlsplit(restore.url).path == f"/2010-04-01/Accounts/{SUB}/IncomingPhoneNumbers/{PN3}.json"
    assert restore.data["SmsUrl"] == "https://old.example.com/sms"
    assert request_violations(http) == []


def test_without_a_pick_nothing_is_sent(app, admin, signed_in, http):
    client = signed_in(admin)
    connect(client)
    page = client.post("/twilio/admin/connect/apply", data={"csrf_token": client.csrf_token},
                       follow_redirects=True).get_data(as_text=True)
    assert "Pick at least one number, WhatsApp sender or Messaging Service first." in page
    assert {e.method for e in http.exchanges} == {"GET"}


def test_refused_credentials_are_explained_and_not_kept_working(app, admin, signed_in, http):
    client = signed_in(admin)
    page = client.post("/twilio/admin/connect/credentials", data={
        "csrf_token": client.csrf_token, "account_sid": "AC123", "auth_token": TOKEN},
        follow_redirects=True).get_data(as_text=True)
    assert "These credentials can&#39;t be used: Account SID:" in page
    assert not [e for e in http.exchanges if "/Accounts/" in e.url] and settings.stored("twilio_channel") == {}


def test_connecting_is_for_admins(app, agent, signed_in, http):
    client = signed_in(agent)
    for path in ("credentials", "fetch", "apply", "undo"):
        assert client.post(f"/twilio/admin/connect/{path}", data={"csrf_token": client.csrf_token}).status_code == 403
    assert http.exchanges == []


def test_the_connect_steps_speak_the_admins_language_and_time_zone(app, admin, signed_in, http):
    import pytz
    from babel.dates import format_datetime
    from host.extensions import db
    from plugins.twilio_channel.models import AccountInventory

    admin.language, admin.time_zone = "es", "Asia/Kolkata"
    db.session.commit()
    client = signed_in(admin)
    page = connect(client).get_data(as_text=True)
    assert "Se encontraron 2 números de teléfono, 1 remitente de WhatsApp y 1 Messaging Service." in page
    assert "Elige los que Switchboard debe atender." in page and "Configurar a mano" in page
    # When the numbers were read: in the admin's zone and in Spanish's own long format.
    fetched = db.session.get(AccountInventory, ACCOUNT).fetched_at
    when = format_datetime(pytz.utc.localize(fetched), "long", tzinfo=pytz.timezone("Asia/Kolkata"), locale="es")
    assert f"leído por última vez el {when}" in page and "UTC" not in when
    page = client.post("/twilio/admin/connect/apply", data={
        "csrf_token": client.csrf_token, "number_sid": [PN1], "voice": "on"}, follow_redirects=True).get_data(as_text=True)
    assert f"{NUMBER1} ahora envía aquí sus mensajes y llamadas." in page
    assert "Se creó la TwiML App «Switchboard» (AP" in page
    # What changed at Twilio, listed for undo.
    assert (f"<strong>{NUMBER1}</strong>: ahora llegan aquí mensajes, llamadas y actualizaciones de estado"
            in page)
    assert ("(antes: mensajes iban a https://old.example.com/sms; llamadas iban a https://old.example.com/voice; "
            "actualizaciones de estado no iban a ningún sitio)") in page
    assert "Se creó la clave de API «Switchboard»." in page
    for english in ("now come here", "before:", "Created the", "nowhere"):
        assert english not in page, english
    admin.language = "pl"
    db.session.commit()
    page = client.post("/twilio/admin/connect/undo", data={"csrf_token": client.csrf_token},
                       follow_redirects=True).get_data(as_text=True)
    assert f"{NUMBER1} wskazuje tam, gdzie wcześniej." in page
    assert "Usunięto aplikację TwiML „Switchboard” w Twilio." in page and "Usunięto klucz API „Switchboard” w Twilio." in page
    page = client.post("/twilio/admin/connect/apply", data={"csrf_token": client.csrf_token},
                       follow_redirects=True).get_data(as_text=True)
    assert "Najpierw wybierz co najmniej jeden numer, nadawcę WhatsApp lub Messaging Service." in page


def test_the_health_checks_are_made_in_the_readers_language(app, admin, signed_in, http):
    client = signed_in(admin)
    client.post("/twilio/admin/connect/credentials", data={
        "csrf_token": client.csrf_token, "account_sid": ACCOUNT, "api_key_sid": KEY_SID,
        "api_key_secret": KEY_SECRET})
    page = client.get("/admin/plugins", headers={"Accept-Language": "pl"}).get_data(as_text=True)
    for words in ("Podpisy webhooków Twilio", "Połączono tylko kluczem API", "Wpisz auth token",
                  "Adres publiczny", "Połączenia w przeglądarce"):
        assert words in page, words
    assert "Connected with an API key only" not in page
    # The same checks made in English read as before.
    with force_locale("en"):
        (check,) = [c for c in health_checks() if c.name == "Twilio webhook signatures"]
        assert check.detail == UNVERIFIED and check.action == "Enter the auth token"
    # The credentials test's sentence follows whoever asks; Twilio's status word stays as Twilio says it.
    result = client.post("/api/v1/twilio/credentials/test", headers={"Accept-Language": "es",
                                                                      "X-CSRFToken": client.csrf_token}).get_json()
    assert result["message"].startswith("Conectado a la cuenta de Twilio «") and result["status"] == "active"
    assert "(activa)" in result["message"]
