"""Plugins installed with pip appear through their entry point, with no other step."""
from importlib.metadata import entry_points

import pytest

from host.cli import main
from host.testing.pytest_plugin import skip_or_fail


@pytest.fixture
def example_installed():
    names = {ep.name for ep in entry_points(group="switchboard.plugins")}
    if "http_sms" not in names:
        skip_or_fail("the example plugin is not installed (pip install -e examples/http_sms_gateway)")


def test_example_plugin_is_listed_with_its_package(app, example_installed):
    output = app.test_cli_runner().invoke(main, ["plugins", "list"]).output
    line = next(line for line in output.splitlines() if " http_sms " in f" {line} ")
    assert "switchboard-http-sms" in line and "0.1.0" in line


def test_builtin_plugins_come_from_the_switchboard_package(app, api, admin):
    rows = {p["name"]: p for p in api(admin).get("/api/v1/plugins").json}
    for name in ("contacts", "livechat", "twilio_channel"):
        assert rows[name]["source"] == "built-in"
    assert rows["host.defaults"]["essential"] and rows["host.realtime"]["essential"]


def test_broken_third_party_plugin_does_not_stop_the_host(app, monkeypatch, tmp_path, caplog):
    """A package whose plugin module fails to import is logged and skipped."""
    import host.plugins as plugins_module
    from host import create_app

    class BrokenEntryPoint:
        name, dist = "broken_pkg", None

        def load(self):
            raise ImportError("No module named 'missing_dependency'")

    real = plugins_module.entry_points
    monkeypatch.setattr(plugins_module, "entry_points",
                        lambda group: [*real(group=group), BrokenEntryPoint()])
    other = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k" * 32})
    assert "broken_pkg" not in other.extensions["switchboard"].plugins.plugins
    assert "plugin broken_pkg could not be loaded" in caplog.text


def test_the_example_gateway_is_not_offered_until_its_settings_are_filled_in(app, api, agent, example_installed):
    """``make run`` installs it with no gateway URL: agents must not be offered a channel that can't send."""
    assert "http_sms" not in [c["key"] for c in api(agent).get("/api/v1/channels").json]
    response = api(agent).post("/api/v1/chats", json={"channel": "http_sms", "to": "+15550123", "body": "Hi"})
    assert response.status_code == 422
    assert response.json["errors"]["json"]["channel"] == [
        "SMS (gateway) isn't set up yet: Gateway send URL, Sender number and Gateway API token are missing "
        "from the HTTP SMS gateway settings. An admin can fill them in on the Plugins page."]
