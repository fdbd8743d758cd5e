"""Admin settings, the "Connect Twilio" page, credentials test and health checks."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from host import settings
from plugins.twilio_channel.settings import load_config
from plugins.twilio_channel.account.checks import health_checks, check_credentials
from plugins.twilio_channel.testing.webhooks import LIVE_SID, LIVE_TOKEN

SETTINGS_PAGE = "/admin/plugins/twilio_channel/settings"


def settings_form(**fields):
    """The form a browser posts: list rows repeat their name, tables post key/value rows,
    business hours post an opening and a closing time per row."""
    form = {}
    for name, value in fields.items():
        if name == "business_hours":
            for day, spans in value.items():
                form[f"{name}.{day}.from"] = [start for start, _ in spans]
                form[f"{name}.{day}.to"] = [end for _, end in spans]
        elif isinstance(value, dict):
            form[f"{name}.key"], form[f"{name}.value"] = list(value), list(value.values())
        else:
            form[name] = value
    return form


def post_settings(client, **fields):
    return client.post(SETTINGS_PAGE, data={"csrf_token": client.csrf_token, **settings_form(**fields)})


def test_invalid_settings_are_explained_field_by_field(app, admin, signed_in):
    client = signed_in(admin)
    response = post_settings(client, account_sid="AC123", numbers=["415 555"],
                             messaging_service_sids=["XX" + "1" * 32], number_groups={"+14155550100": "Nope"},
                             business_hours={"mon": [("17:00", "09:00")]}, timezone="Mars/Olympus")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for words in ("AC followed by 32 hex characters", "is not an E.164 number", "MG followed by 32 hex",
                  "there is no group called", "should look like 09:00-17:00", "is not a time zone name"):
        assert words in page, words
    assert settings.stored("twilio_channel") == {}


def test_the_settings_form_and_its_refusals_speak_the_admins_language(app, admin, signed_in):
    client = signed_in(admin)
    page = client.get(SETTINGS_PAGE, headers={"Accept-Language": "pl"}).get_data(as_text=True)
    for words in ("Numery SMS", "Godziny pracy", "Automatyczna odpowiedź poza godzinami pracy", "Subkonta"):
        assert words in page, words
    admin.language = "es"
    response = post_settings(client, account_sid="AC123", numbers=["415 555"], twilio_region="eu9",
                             number_groups={"+14155550100": "Nope"})
    page = response.get_data(as_text=True)
    for words in ("Números de SMS", "Horario de atención", "AC seguido de 32 caracteres hexadecimales",
                  "no es un número E.164", "Elige la región de Twilio", "no hay ningún grupo llamado"):
        assert words in page, words
    assert "is not an E.164 number" not in page and settings.stored("twilio_channel") == {}


def test_valid_settings_are_saved_and_the_token_is_never_shown(app, admin, signed_in):
    client = signed_in(admin)
    response = post_settings(client, account_sid=LIVE_SID, auth_token=LIVE_TOKEN, numbers=["+14155550100"],
                             whatsapp_senders=["whatsapp:+14155238886"], number_groups={"+14155550100": "Sales"},
                             timezone="Europe/Berlin", autoreply_out_of_hours="on")
    assert response.status_code == 302
    config = load_config()
    assert (config.account.mode, config.account.source) == ("live", "settings")
    assert config.numbers == ("+14155550100",) and config.timezone == "Europe/Berlin"
    assert "out_of_hours" in config.autoreplies
    page = client.get(SETTINGS_PAGE).get_data(as_text=True)
    assert LIVE_TOKEN not in page and LIVE_SID in page


def test_environment_credentials_win(app, monkeypatch):
    settings.save("twilio_channel", {"account_sid": "AC" + "9" * 32, "auth_token": "stored-token-123"})
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", LIVE_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", LIVE_TOKEN)
    account = load_config().account
    assert (account.sid, account.token, account.source) == (LIVE_SID, LIVE_TOKEN, "environment")


def test_settings_page_shows_the_webhook_urls_and_test_button(app, admin, signed_in):
    page = signed_in(admin).get(SETTINGS_PAGE).get_data(as_text=True)
    assert "http://switchboard.test/webhooks/twilio/messaging" in page
    assert "http://switchboard.test/webhooks/twilio/status" in page
    assert "Test credentials" in page and "Simulator mode" in page

    spanish = signed_in(admin).get(SETTINGS_PAGE, headers={"Accept-Language": "es"}).get_data(as_text=True)
    for words in ("Conectar Twilio", "Probar credenciales", "Modo simulador", "teléfono del cliente</a>",
                  "no es https", 'sea <code data-url="voice_outbound">http://switchboard.test/webhooks/twilio/voice/'):
        assert words in spanish, words
    assert "Test credentials" not in spanish


def test_connect_page_is_for_admins(app, admin, agent, signed_in):
    assert signed_in(agent).get("/twilio/admin").status_code == 403
    client = signed_in(admin)
    assert "/webhooks/twilio/messaging" in client.get("/twilio/admin").get_data(as_text=True)
    response = client.post("/twilio/admin", data={"csrf_token": client.csrf_token}, follow_redirects=True)
    assert "Connected to Twilio account" in response.get_data(as_text=True)
    back = client.post("/twilio/admin", data={"csrf_token": client.csrf_token, "back": SETTINGS_PAGE})
    assert back.headers["Location"].endswith(SETTINGS_PAGE)
    elsewhere = client.post("/twilio/admin", data={"csrf_token": client.csrf_token, "back": "//evil.example/x"})
    assert elsewhere.headers["Location"].endswith("/twilio/admin")
    assert signed_in(agent).post("/twilio/admin", data={}).status_code in (400, 403)


def test_webhook_urls_api_warns_about_unreachable_public_urls(app, admin, agent, api):
    app.config["SWITCHBOARD_PUBLIC_URL"] = "http://127.0.0.1:5000"
    urls = api(admin).get("/api/v1/twilio/webhook-urls").get_json()
    assert urls["messaging"] == "http://127.0.0.1:5000/webhooks/twilio/messaging"
    assert urls["status"] == "http://127.0.0.1:5000/webhooks/twilio/status"
    assert "Twilio cannot reach" in urls["warnings"][0]
    assert api(agent).get("/api/v1/twilio/webhook-urls").status_code == 403


class _Refusing(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"code": 20003, "message": "Authenticate", "status": 401}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def refusing_twilio():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_wrong_credentials_are_reported_readably(app, live_account, refusing_twilio):
    app.config["SWITCHBOARD_TWILIO_HOSTS"] = f"api={refusing_twilio}"
    result = check_credentials()
    assert result["ok"] is False and result["mode"] == "live"
    assert result["message"] == ("Twilio refused these credentials. Check that the Account SID and the auth token "
                                 "belong together (Twilio console → Account info) (HTTP 401, Twilio error 20003).")
    assert LIVE_TOKEN not in json.dumps(result)


def test_unreachable_twilio_is_reported(app, live_account):
    app.config["SWITCHBOARD_TWILIO_HOSTS"] = "api=http://127.0.0.1:9"
    result = check_credentials()
    assert result["ok"] is False and "could not be reached" in result["message"]


def test_health_checks(app, admin, api):
    (check,) = health_checks()
    assert (check.ok, check.setup, check.action) == (False, True, "Connect Twilio")
    assert "simulator plays Twilio" in check.detail and check.action_url.endswith("/twilio/admin#connect")
    settings.save("twilio_channel", {"account_sid": LIVE_SID})
    assert [c.name for c in health_checks() if not c.ok] == ["Twilio credentials", "Public address", "Twilio senders",
                                                            "Calls in the browser"]
    calls = next(c for c in health_checks() if c.name == "Calls in the browser")
    assert calls.detail.startswith("Auth token is not set yet"), calls.detail
    settings.save("twilio_channel", {"account_sid": LIVE_SID, "auth_token": LIVE_TOKEN})
    calls = next(c for c in health_checks() if c.name == "Calls in the browser")
    assert calls.detail.startswith("API key SID (voice), API key secret (voice) and TwiML App SID (voice) are not set yet"), calls.detail
    settings.save("twilio_channel", {"account_sid": LIVE_SID, "auth_token": LIVE_TOKEN,
                                     "api_key_sid": "SK" + "0" * 32, "api_key_secret": "secret"})
    calls = next(c for c in health_checks() if c.name == "Calls in the browser")
    assert calls.detail.startswith("TwiML App SID (voice) is not set yet"), calls.detail  # names only what is missing
    app.config["SWITCHBOARD_TWILIO_HOSTS"] = "api=127.0.0.1:4010"
    bad = {c.name: c.detail for c in health_checks() if not c.ok}
    assert "SWITCHBOARD_TWILIO_HOSTS is invalid" in bad["Twilio hosts"]


def test_api_routes_join_the_openapi_document(app, agent, api):
    paths = api(agent).get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/twilio/logs", "/api/v1/twilio/templates", "/api/v1/twilio/whatsapp/window",
                 "/api/v1/twilio/credentials/test", "/api/v1/twilio/webhook-urls", "/api/v1/twilio/senders"):
        assert path in paths, path


def test_a_fresh_twilio_form_shows_its_defaults_and_saves_unchanged(app, admin, signed_in):
    from host.testing.forms import as_multidict, form_data

    client = signed_in(admin)
    page = client.get(SETTINGS_PAGE).get_data(as_text=True)
    posted = as_multidict(form_data(page, "settings-form"))
    assert posted["autoreply_cooldown_minutes"] == ["60"] and posted["voice_voicemail_after_seconds"] == ["90"]
    assert posted["business_hours.mon.from"] == ["09:00"] and "business_hours.sat.from" not in posted
    assert posted["timezone"] == ["UTC"]
    response = client.post(SETTINGS_PAGE, data=posted)
    assert response.status_code == 302, response.get_data(as_text=True)
    config = load_config()
    assert config.account.simulator and config.cooldown_minutes == 60
    assert config.business_hours["fri"] == ["09:00-17:00"] and "sat" not in config.business_hours


def test_numbers_are_picked_and_mapped_to_groups_by_name(app, admin, signed_in):
    client = signed_in(admin)
    page = client.get(SETTINGS_PAGE).get_data(as_text=True)
    assert 'name="numbers" value="+14155550000"' in page  # the simulator's number, offered to tick
    assert '<option value="Support"' in page
    response = post_settings(client, numbers=["+14155550000", "+14155550123"],
                             number_groups={"+14155550123": "Support"})
    assert response.status_code == 302
    assert load_config().number_groups == {"+14155550123": "Support"}
    assert load_config().numbers == ("+14155550000", "+14155550123")
