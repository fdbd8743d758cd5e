"""The LiveChat plugin's own pages, settings, refusals and bridge lines speak the agent's language."""
import json
import re
from urllib.parse import parse_qs, urlparse


def test_the_setup_page_and_the_settings_speak_spanish(livechat, admin, signed_in):
    client = signed_in(admin)
    page = client.get("/plugins/livechat/admin", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Configuración de LiveChat" in page and "Registrar webhooks" in page
    # The addresses stay code inside the translated sentence.
    assert "envía los mensajes de los agentes" in page and "<code>http://switchboard.test/webhooks/livechat</code>" in page
    assert "Connect LiveChat" not in page
    assert "registrar los webhooks de Switchboard" in page  # why each OAuth scope is needed
    settings = client.get("/admin/plugins/livechat/settings", headers={"Accept-Language": "pl"}).get_data(as_text=True)
    assert "Sekret klienta" in settings and "Przypisanie grup" in settings
    assert "Client secret" not in settings


def test_the_api_refuses_in_the_agents_language(livechat, agent, api):
    response = api(agent).get("/api/v1/livechat/resolve", headers={"Accept-Language": "pl"})
    assert response.status_code == 422
    assert response.json["message"] == "Podaj chat_id lub customer_id z LiveChat."


def test_the_sign_in_page_hands_its_script_the_browsers_catalog(app, livechat):
    html = app.test_client().get("/login/livechat", headers={"Accept-Language": "pl-PL,pl;q=0.9"}).get_data(as_text=True)
    config = json.loads(re.search(r'id="livechat-sign-in-config" type="application/json">([^<]+)<', html).group(1))
    assert config["language"] == "pl"
    assert config["messages"]["signIn.fillIn"] == "Wpisz swój adres e-mail i hasło."
    assert config["messages"]["bridge.idle"].startswith("Otwórz czat w LiveChat")
    english = app.test_client().get("/login/livechat", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert '"language": "en"' in english and "Fill in your email and your password." in english


def test_the_setup_pages_notices_speak_the_admins_language(livechat, admin, signed_in):
    client = signed_in(admin)
    page = client.get("/plugins/livechat/admin/connect/callback?state=forged&code=x", headers={"Accept-Language": "es"},
                      follow_redirects=True).get_data(as_text=True)
    assert "Esta conexión con LiveChat no se inició aquí o ha caducado." in page


def test_health_keeps_livechats_answers_and_words_them_for_each_reader(app, fake, configure, admin, signed_in):
    configure()
    client = signed_in(admin)
    spanish = client.get("/admin/plugins", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Token del agente de LiveChat: válido, caduca en 8 h" in spanish
    assert "Cola de sincronización con LiveChat: en espera: 0, fallidas: 0" in spanish
    asked = len([r for r in fake.requests if r.path == "/v2/info"])
    polish = client.get("/admin/plugins", headers={"Accept-Language": "pl"}).get_data(as_text=True)
    assert len([r for r in fake.requests if r.path == "/v2/info"]) == asked  # the kept answer, not a new call
    assert "Token konsultanta LiveChat: ważny, wygasa za 8 h" in polish and "válido" not in polish
    assert "Dostarczanie webhooków LiveChat" in polish
    english = client.get("/plugins/livechat/admin", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "LiveChat agent token: valid, expires in 8 h" in english
    app.extensions.pop("livechat.health", None)
    fake.revoke_token(fake.agent_token)
    page = client.get("/admin/plugins", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "LiveChat rechaza el token del agente (caducado o revocado)" in page


def test_registering_webhooks_reports_in_the_admins_language(livechat, fake, admin, signed_in):
    client = signed_in(admin)
    client.post("/plugins/livechat/admin/webhooks", data={"csrf_token": client.csrf_token},
                headers={"Accept-Language": "es"})
    page = client.get("/plugins/livechat/admin", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "incoming_event: ya estaba registrado." in page
    assert "solo eventos de agentes; solo los chats de Switchboard; no lo que hizo el propio Switchboard" in page
    polish = client.get("/plugins/livechat/admin", headers={"Accept-Language": "pl"}).get_data(as_text=True)
    assert "tylko zdarzenia konsultantów; tylko czaty Switchboard" in polish


def test_connect_refusals_speak_the_admins_language(fake, configure, admin, signed_in):
    configure(agent_token=None, client_secret=None)
    client = signed_in(admin)
    start = client.post("/plugins/livechat/admin/connect", data={"csrf_token": client.csrf_token},
                        headers={"Accept-Language": "pl"})
    page = client.get(start.headers["Location"], headers={"Accept-Language": "pl"}).get_data(as_text=True)
    assert "Najpierw wpisz Client ID i sekret klienta aplikacji w ustawieniach LiveChat." in page
    configure(agent_token=None, client_secret="not-the-secret")
    start = client.post("/plugins/livechat/admin/connect", data={"csrf_token": client.csrf_token})
    state = parse_qs(urlparse(start.headers["Location"]).query)["state"][0]
    code = fake.authorization_code("http://switchboard.test/plugins/livechat/admin/connect/callback")
    done = client.get("/plugins/livechat/admin/connect/callback", query_string={"code": code, "state": state},
                      headers={"Accept-Language": "es"})
    page = client.get(done.headers["Location"], headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "LiveChat rechazó las credenciales de la aplicación" in page


def test_the_sync_state_comes_as_codes_and_in_the_agents_words(livechat, inbound, drain, agent, api):
    from host.extensions import db
    from host.models import Chat

    livechat.fail_next(1, status=503)
    inbound("hola")
    drain()
    chat = db.session.execute(db.select(Chat)).scalar_one()
    state = api(agent).get(f"/api/v1/livechat/chats/{chat.id}/sync", headers={"Accept-Language": "es"}).json
    assert state["status_code"] == "delayed" and "HTTP 503" in state["status_error"]
    assert state["status"].startswith("La sincronización con LiveChat se retrasa: LiveChat ")
    assert state["status"].endswith("Se reintentará automáticamente.")
    assert [item["label"] for item in state["items"]] == ["Copiar un mensaje del cliente a LiveChat"]


def test_agent_app_sign_in_refusals_speak_the_agents_language(app, livechat):
    from plugins.livechat import oauth, settings

    with app.test_request_context(headers={"Accept-Language": "pl"}):
        app.preprocess_request()
        settings.update(client_id="")
        try:
            oauth.identify("any-token", settings.current())
        except oauth.SignInError as exc:
            assert exc.message.startswith("Logowanie przez LiveChat nie jest skonfigurowane")
        else:
            raise AssertionError("signing in without a Client ID was accepted")


def test_the_sign_in_popup_speaks_the_browsers_language(app, livechat):
    html = app.test_client().get("/login/livechat/callback", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert '<html lang="es"' in html and "Terminando el inicio de sesión con LiveChat…" in html
    assert 'data-opener-gone="El inicio de sesión terminó, pero la ventana de Switchboard' in html
