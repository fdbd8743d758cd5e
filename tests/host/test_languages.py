"""Agents read Switchboard in their own language and see times in their own zone."""
import json
import re
from datetime import datetime

from host.extensions import db
from host.models import ApiToken


def boot_of(client) -> dict:
    page = client.get("/console").get_data(as_text=True)
    return json.loads(re.search(r'<script id="bootstrap" type="application/json">(.*?)</script>', page, re.S).group(1))


def test_the_sign_in_page_follows_the_browsers_accept_language(app):
    client = app.test_client()
    spanish = client.get("/login", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="es" dir="ltr">' in spanish
    assert "Iniciar sesión" in spanish and "Mantener la sesión iniciada" in spanish
    polish = client.get("/login", headers={"Accept-Language": "pl-PL,pl;q=0.9"}).get_data(as_text=True)
    assert "Zaloguj się" in polish
    # A language Switchboard doesn't speak falls back to English.
    german = client.get("/login", headers={"Accept-Language": "de-DE"}).get_data(as_text=True)
    assert '<html lang="en"' in german and "Keep me signed in" in german


def test_an_agent_picks_a_language_and_time_zone_on_the_profile(app, agent, signed_in, socket_client):
    client = signed_in(agent)
    page = client.get("/profile", headers={"Accept-Language": "es"}).get_data(as_text=True)
    # Until the agent chooses, the browser's language is preselected and the page speaks it.
    assert '<option value="es" lang="es" selected>' in page
    assert "Idioma y zona horaria" in page
    assert boot_of(client)["timeZone"] is None

    live = socket_client(agent)
    live.get_received()
    response = client.post(f"/profile/{agent.id}/language", headers={"Accept-Language": "es"},
                           data={"csrf_token": client.csrf_token, "language": "pl", "time_zone": "Europe/Warsaw"})
    assert response.status_code == 302 and response.headers["Location"].endswith("#language")
    db.session.refresh(agent)
    assert (agent.language, agent.time_zone) == ("pl", "Europe/Warsaw")
    # The agent's open consoles and widgets hear it at once.
    events = [e for e in live.get_received() if e["name"] == "agent:preferences"]
    assert events and events[0]["args"][0] == {"language": "pl", "time_zone": "Europe/Warsaw"}

    # The choice wins over the browser's Accept-Language from now on; the confirmation
    # already speaks the new language.
    page = client.get("/profile", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert '<html lang="pl"' in page and "Język: Polski" in page and "Europe/Warsaw" in page
    assert boot_of(client)["language"] == "pl" and boot_of(client)["timeZone"] == "Europe/Warsaw"


def test_a_language_or_zone_not_in_the_lists_is_refused_with_a_sentence(app, agent, signed_in, make_agent):
    client = signed_in(agent)
    for form, sentence in (({"language": "xx", "time_zone": "UTC"}, "Choose one of the languages in the list."),
                           ({"language": "es", "time_zone": "Mars/Olympus"}, "Choose a time zone from the list")):
        response = client.post(f"/profile/{agent.id}/language", data={"csrf_token": client.csrf_token, **form})
        assert response.status_code == 302
        assert sentence in client.get("/profile").get_data(as_text=True)
    db.session.refresh(agent)
    assert (agent.language, agent.time_zone) == (None, None)
    other = make_agent("other@example.test")
    refused = client.post(f"/profile/{other.id}/language",
                          data={"csrf_token": client.csrf_token, "language": "es", "time_zone": "UTC"})
    assert refused.status_code == 403


def test_server_times_follow_the_agents_zone(app, agent, signed_in):
    agent.language, agent.time_zone = "en", "Asia/Tokyo"
    db.session.add(ApiToken(agent=agent, name="report", token_hash="x" * 64, created_at=datetime(2026, 3, 1, 23, 30)))
    db.session.commit()
    page = signed_in(agent).get("/profile").get_data(as_text=True)
    # 23:30 UTC is 08:30 the next morning in Tokyo.
    assert 'title="Mar 2, 2026, 8:30:00\u202fAM"' in page


def test_api_errors_speak_the_agents_language(app, agent, api):
    agent.language = "es"
    db.session.commit()
    client = api(agent)
    answer = client.get("/api/v1/chats/999999")
    assert answer.status_code == 404
    assert answer.get_json()["message"] == "Ese chat no existe, o pertenece a un grupo del que no formas parte."
    answer = client.post(f"/api/v1/agents/{agent.id}/tokens", json={"name": ""})
    assert answer.status_code == 422
    assert "Ponle al token un nombre de hasta 80 caracteres." in json.dumps(answer.get_json(), ensure_ascii=False)


def test_the_browser_catalogs_come_in_the_agents_language_with_english_filling_gaps(app, agent, api, tmp_path):
    from host import frontend_messages

    client = api(agent)
    answer = client.get("/api/v1/messages/pl")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["language"] == "pl" and "host" in body["messages"]
    refused = client.get("/api/v1/messages/xx")
    assert refused.status_code == 404 and "Choose one of: en, es, pl." in refused.get_json()["message"]

    # A plugin's own catalogs sit in a messages/ folder next to its module.
    package = tmp_path / "shouty"
    (package / "messages").mkdir(parents=True)
    (package / "messages" / "en.json").write_text('{"hello": "Hello", "bye": "Bye"}')
    (package / "messages" / "es.json").write_text('{"hello": "Hola"}')

    class Plugin:
        __file__ = str(package / "plugin.py")

    assert frontend_messages.plugin_folder(Plugin) == package / "messages"
    assert frontend_messages._catalog(package / "messages", "es") == {"hello": "Hola", "bye": "Bye"}


def test_the_api_changes_the_agents_own_language_and_zone_with_field_named_refusals(app, agent, api,
                                                                                     socket_client):
    client = api(agent)
    live = socket_client(agent)
    live.get_received()
    refused = client.patch("/api/v1/me", json={"language": "xx", "time_zone": "Mars/Olympus"})
    assert refused.status_code == 422
    fields = refused.get_json()["errors"]["json"]
    assert set(fields) == {"language", "time_zone"}
    db.session.refresh(agent)
    assert (agent.language, agent.time_zone) == (None, None)

    answer = client.patch("/api/v1/me", json={"language": "pl", "time_zone": "Europe/Warsaw"})
    assert answer.status_code == 200
    db.session.refresh(agent)
    assert (agent.language, agent.time_zone) == ("pl", "Europe/Warsaw")
    events = [e for e in live.get_received() if e["name"] == "agent:preferences"]
    assert events and events[0]["args"][0] == {"language": "pl", "time_zone": "Europe/Warsaw"}
    # Refusals now speak Polish.
    again = client.patch("/api/v1/me", json={"time_zone": "Nowhere"})
    assert again.get_json()["errors"]["json"]["time_zone"] == ["Podaj strefę czasową IANA, na przykład Europe/Warsaw."]
