"""The LiveChat plugin's own pages, settings, refusals and bridge lines speak the agent's language."""
import json
import re


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
