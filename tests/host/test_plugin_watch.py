"""Open connections hear that plugins were switched on or off, whoever switched them
(host.plugin_watch). Here the watch runs by hand, after each change; the browser test
tests/browser/test_plugin_changes.py shows a console following it within 2 seconds."""
from host import plugin_watch
from host.extensions import db
from host.models import PluginState
from host.realtime_access import connections


def heard(client):
    return [p["args"][0] for p in client.get_received() if p["name"] == plugin_watch.EVENT]


def test_a_change_made_anywhere_reaches_every_connection_once(app, agent, admin, socket_client):
    agent_client, admin_client = socket_client(agent), socket_client(admin)
    assert plugin_watch.check(app, list(connections(app))) is False  # nothing changed yet
    agent_client.get_received(), admin_client.get_received()
    # Another process (the command line, another server) writes the state to the database.
    db.session.add(PluginState(name="contacts", enabled=False))
    db.session.commit()
    assert plugin_watch.check(app, list(connections(app))) is True
    for client in (agent_client, admin_client):
        (event,) = heard(client)
        assert "contacts" not in event["enabled"] and "twilio_channel" in event["enabled"]
    assert plugin_watch.check(app, list(connections(app))) is False  # told once
    assert heard(agent_client) == []


def test_the_tabs_and_channels_asked_for_next_follow_the_change(app, agent, api, socket_client):
    client = api(agent)
    assert "sms" in [c["key"] for c in client.get("/api/v1/channels").get_json()]
    socket_client(agent)
    app.extensions["switchboard"].plugins.set_enabled("twilio_channel", False)
    plugin_watch.check(app, list(connections(app)))
    assert "sms" not in [c["key"] for c in client.get("/api/v1/channels").get_json()]
    assert "call" not in [t["key"] for t in client.get("/api/v1/widget/tabs").get_json()]


def test_a_change_made_by_another_app_on_the_same_database_is_heard(app, agent, socket_client, tmp_path):
    """Another process (here a second app on the same database, as `switchboard plugins
    disable` or another server would be) switches a plugin off; this process tells its
    connections on its next pass."""
    from host import create_app

    client = socket_client(agent)
    plugin_watch.check(app, list(connections(app)))
    client.get_received()
    other = create_app({"INSTANCE_PATH": str(tmp_path / "other"), "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
                        "SECRET_KEY": "another-process-secret-key-0123456789", "OUTBOX_WORKER": False,
                        "ACCESS_CHECK_SECONDS": 0, "TESTING": True})
    with other.app_context():
        other.extensions["switchboard"].plugins.set_enabled("livechat", False)
    assert plugin_watch.check(app, list(connections(app))) is True
    (event,) = heard(client)
    assert "livechat" not in event["enabled"]
    assert not app.extensions["switchboard"].plugins.is_enabled("livechat")
