"""Enable/disable: a disabled plugin leaves no route, tab, Socket.IO handler or hook call."""
import pytest

from host.cli import main as cli
from host.extensions import db
from host.testing.loopback import webhook

BUILTIN = ["contacts", "twilio_channel", "livechat"]



def surface_urls(app, plugin):
    """A GET-able URL for each route of the plugin's blueprints."""
    sb = app.extensions["switchboard"]
    blueprints = set(sb.plugin_surface(plugin)["blueprints"])
    urls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in blueprints:
            url = rule.rule.replace("<path:filename>", "x.js").replace("<filename>", "x.js")
            for arg in rule.arguments:
                url = url.replace(f"<{arg}>", "1").replace(f"<int:{arg}>", "1")
            urls.append((url, sorted(rule.methods - {"HEAD", "OPTIONS"})[0]))
    return urls


@pytest.mark.parametrize("plugin", BUILTIN + ["loopback"])
def test_disabling_removes_the_whole_surface(app, admin, api, signed_in, socket_client, plugin):
    sb = app.extensions["switchboard"]
    surface = sb.plugin_surface(plugin)
    assert surface["blueprints"] or surface["tabs"] or surface["channels"], "plugin registers nothing"
    client = signed_in(admin)
    urls = surface_urls(app, plugin)
    before = {url: getattr(client, m.lower())(url, headers={"X-CSRFToken": client.csrf_token}).status_code
              for url, m in urls}
    tabs_before = {t["key"] for t in api(admin).get("/api/v1/widget/tabs").json}
    assert set(surface["tabs"]) <= tabs_before

    result = app.test_cli_runner().invoke(cli, ["plugins", "disable", plugin])
    assert result.exit_code == 0, result.output
    assert f"{plugin} disabled" in result.output

    for url, method in urls:
        response = getattr(client, method.lower())(url, headers={"X-CSRFToken": client.csrf_token})
        assert response.status_code == 404, (url, before[url], response.status_code)
    tabs_after = {t["key"] for t in api(admin).get("/api/v1/widget/tabs").json}
    assert not (set(surface["tabs"]) & tabs_after)
    assert not ({c["key"] for c in api(admin).get("/api/v1/channels").json} & set(surface["channels"]))
    plugin_obj = sb.plugins.plugins[plugin].plugin
    for hook_name in sb.plugins.plugins[plugin].hooks:
        impls = sb.plugins.hook(hook_name).get_hookimpls()
        assert all(impl.plugin is not plugin_obj for impl in impls), hook_name
    for event_name in surface["socket_events"]:
        ack = socket_client(admin).emit(event_name, {}, callback=True)
        assert ack["ok"] is False and "switched off" in ack["error"]
    if surface["socket_events"]:  # said in the admin's own language
        admin.language = "pl"
        db.session.commit()
        ack = socket_client(admin).emit(sorted(surface["socket_events"])[0], {}, callback=True)
        assert ack["ok"] is False and "wyłączona" in ack["error"], ack
        admin.language = None
        db.session.commit()

    assert app.test_cli_runner().invoke(cli, ["plugins", "enable", plugin]).exit_code == 0
    assert set(surface["tabs"]) <= {t["key"] for t in api(admin).get("/api/v1/widget/tabs").json}
    for url, method in urls:
        assert getattr(client, method.lower())(url, headers={"X-CSRFToken": client.csrf_token}).status_code == before[url]


def test_disabled_plugin_receives_no_notifications(app, admin, recorder):
    app.extensions["switchboard"].plugins.set_enabled("test.recorder", False)
    webhook(app.test_client(), {"id": "m1", "from": "+15550001", "body": "hi"})
    assert recorder.events == []
    app.extensions["switchboard"].plugins.set_enabled("test.recorder", True)
    webhook(app.test_client(), {"id": "m2", "from": "+15550001", "body": "again"})
    assert recorder.names() == ["message_received"]


def test_disabled_channel_cannot_receive_or_send(app, admin, api):
    sb = app.extensions["switchboard"]
    sb.plugins.set_enabled("loopback", False)
    assert webhook(app.test_client(), {"id": "m1", "from": "+1555", "body": "hi"}).status_code == 404
    response = api(admin).post("/api/v1/chats", json={"channel": "loopback", "to": "+1555", "body": "x"})
    assert response.status_code == 422
    assert "channel" in response.json["errors"]["json"]


def test_essential_plugins_cannot_be_disabled(app, admin, api):
    result = app.test_cli_runner().invoke(cli, ["plugins", "disable", "host.realtime"])
    assert result.exit_code != 0 and "essential" in result.output
    response = api(admin).patch("/api/v1/plugins/host.defaults", json={"enabled": False})
    assert response.status_code == 409 and "essential" in response.json["message"]


def test_unknown_plugin_is_named_in_the_error(app, admin, api):
    result = app.test_cli_runner().invoke(cli, ["plugins", "enable", "nope"])
    assert result.exit_code != 0 and "no plugin called 'nope'" in result.output
    assert api(admin).patch("/api/v1/plugins/nope", json={"enabled": True}).status_code == 404


def test_admin_page_and_api_switch_plugins_the_same_way(app, admin, agent, api, signed_in):
    client = signed_in(admin)
    response = client.post("/admin/plugins/livechat", data={"enabled": "0", "csrf_token": client.csrf_token})
    assert response.status_code == 302
    rows = {p["name"]: p for p in api(admin).get("/api/v1/plugins").json}
    assert rows["livechat"]["enabled"] is False and rows["contacts"]["enabled"] is True
    listing = app.test_cli_runner().invoke(cli, ["plugins", "list"]).output
    assert any(line.startswith("disabled") and "livechat" in line for line in listing.splitlines())
    assert api(agent).patch("/api/v1/plugins/livechat", json={"enabled": True}).status_code == 403
    agent_client = signed_in(agent)
    response = agent_client.post("/admin/plugins/livechat", data={"enabled": "1", "csrf_token": agent_client.csrf_token})
    assert response.status_code == 403


def test_state_is_shared_through_the_database(app, admin):
    """A second app on the same database sees the switch (another process would too)."""
    from host import create_app
    from host.plugins import STATE_TTL  # noqa: F401  (documented staleness bound)

    app.extensions["switchboard"].plugins.set_enabled("contacts", False)
    other = create_app({"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
                        "INSTANCE_PATH": app.instance_path, "SECRET_KEY": "x" * 32})
    with other.app_context():
        assert other.extensions["switchboard"].plugins.is_enabled("contacts") is False
        assert other.extensions["switchboard"].plugins.is_enabled("livechat") is True
