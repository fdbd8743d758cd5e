"""Plugin settings: validated, secrets write-only, health checks shown to admins."""
from host import settings
from host.extensions import db


def test_settings_page_never_shows_a_stored_secret(app, admin, signed_in):
    client = signed_in(admin)
    response = client.post("/admin/plugins/loopback/settings",
                           data={"sender": "+15550000", "api_key": "super-secret-value-123", "csrf_token": client.csrf_token})
    assert response.status_code == 302
    assert settings.get("loopback") == {"sender": "+15550000", "api_key": "super-secret-value-123"}
    page = client.get("/admin/plugins/loopback/settings").get_data(as_text=True)
    assert "super-secret-value-123" not in page and "stored — leave empty to keep it" in page
    # Saving again with the secret left empty keeps it.
    client.post("/admin/plugins/loopback/settings", data={"sender": "+15550001", "api_key": "",
                                                          "csrf_token": client.csrf_token})
    assert settings.get("loopback")["api_key"] == "super-secret-value-123"


def test_a_field_left_empty_takes_its_default(app, admin, signed_in):
    client = signed_in(admin)
    response = client.post("/admin/plugins/loopback/settings", data={"sender": "", "csrf_token": client.csrf_token})
    assert response.status_code == 302
    assert settings.get("loopback")["sender"] == "loopback-number"


def test_plugins_page_shows_versions_sources_and_health(app, admin, signed_in):
    page = signed_in(admin).get("/admin/plugins").get_data(as_text=True)
    for text in ("twilio_channel", "contacts", "livechat", "built-in", "Always on", "Loopback"):
        assert text in page, text


def test_plugin_socket_event_runs_for_signed_in_agents(app, agent, socket_client):
    ack = socket_client(agent).emit("loopback:echo", {"x": 1}, callback=True)
    assert ack == {"ok": True, "agent": agent.email, "data": {"x": 1}}


def test_agents_cannot_open_admin_pages(app, agent, signed_in):
    client = signed_in(agent)
    for path in ("/admin/agents", "/admin/groups", "/admin/plugins", "/admin/plugins/loopback/settings"):
        assert client.get(path).status_code == 403, path


def test_enabling_a_plugin_with_invalid_settings_says_what_is_wrong(app, admin, signed_in):
    """The plugins page names what a plugin's settings lack, and refuses to enable it until fixed."""
    app.extensions["switchboard"].plugins.set_enabled("loopback", False)
    from host.models import Setting

    db.session.add(Setting(plugin="loopback", key="sender", value=""))
    db.session.commit()
    client = signed_in(admin)
    page = client.get("/admin/plugins").get_data(as_text=True)
    assert "Needs setup" in page and "Sender address: Shorter than minimum length 1." in page
    response = client.post("/admin/plugins/loopback", data={"enabled": "1", "csrf_token": client.csrf_token},
                           follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "loopback was not enabled: fix its settings first." in text
    assert app.extensions["switchboard"].plugins.is_enabled("loopback") is False
    from host.cli import main

    result = app.test_cli_runner().invoke(main, ["plugins", "enable", "loopback"])
    assert result.exit_code != 0 and "Sender address: Shorter than minimum length 1." in result.output


def test_setting_problems_name_the_field_as_admins_see_it():
    from marshmallow import fields

    from host.settings import _problem

    labelled = fields.Str(required=True, metadata={"label": "Auth Token"})
    assert _problem(labelled, "auth_token", ["Missing data for required field."]) == "Auth Token is not filled in yet."
    assert _problem(fields.Url(), "send_url", ["Not a valid URL."]) == "Send url: Not a valid URL."


def test_a_plugin_not_set_up_yet_is_a_to_do_not_an_error(app, admin, signed_in):
    page = signed_in(admin).get("/admin/plugins").get_data(as_text=True)
    # LiveChat without credentials: its settings line is a to-do; nothing is an outage
    card = page.split('data-plugin="livechat"')[1].split("</section>")[0]
    assert '<li class="todo"><span>LiveChat settings: missing:' in card and "Needs setup" in card
    assert 'class="bad"' not in card
