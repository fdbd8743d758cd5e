"""The command line offers Switchboard's commands, the development server starts quietly,
and plugins add top-bar links (the simulator's "Customer phone")."""
import logging

import pytest

from host import hookimpl
from host.cli import DevelopmentServerNotice, main
from host.contracts import NavLink


class HelpLinks:
    @hookimpl
    def register_nav_links(self, app):
        return [NavLink("Handbook", "/handbook", order=5), NavLink("Audit", "/audit", admin_only=True)]


@pytest.fixture
def extra_plugins():
    return [("help_links", HelpLinks())]


def test_help_offers_switchboards_commands_not_flasks_run(app):
    result = app.test_cli_runner().invoke(main, ["--help"])
    assert result.exit_code == 0
    commands = result.output.split("Commands:")[1].split()
    assert "serve" in commands and "worker" in commands and "db" in commands
    assert "run" not in commands
    assert "--app" not in result.output and "--env-file" not in result.output
    assert app.test_cli_runner().invoke(main, ["run"]).exit_code != 0


def test_the_development_server_notice_is_dropped_and_other_warnings_kept():
    notice = DevelopmentServerNotice()

    def record(text):
        return logging.LogRecord("werkzeug", logging.WARNING, __file__, 1, text, (), None)

    assert not notice.filter(record("Werkzeug appears to be used in a production deployment. Consider "
                                    "switching to a production web server instead."))
    assert notice.filter(record("WebSocket transport not available."))


def test_customer_phone_link_in_simulator_mode_for_admins(app, admin, agent, signed_in):
    page = signed_in(admin).get("/console").get_data(as_text=True)
    assert '<a href="/simulator/phone" class="plugin-link"' in page and ">Customer phone</a>" in page
    assert "Customer phone" not in signed_in(agent).get("/console").get_data(as_text=True)


def test_the_customer_phone_link_speaks_the_admins_language(app, admin, signed_in):
    client = signed_in(admin)
    spanish = client.get("/console", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert ">Teléfono del cliente</a>" in spanish and ">Customer phone</a>" not in spanish
    assert ">Telefon klienta</a>" in client.get("/console", headers={"Accept-Language": "pl"}).get_data(as_text=True)


def test_no_customer_phone_link_with_real_credentials_or_when_disabled(app, admin, signed_in):
    from host import settings
    from plugins.twilio_channel.testing.webhooks import LIVE_SID, LIVE_TOKEN

    client = signed_in(admin)
    app.extensions["switchboard"].plugins.set_enabled("twilio_channel", False)
    assert "Customer phone" not in client.get("/console").get_data(as_text=True)
    app.extensions["switchboard"].plugins.set_enabled("twilio_channel", True)
    settings.save("twilio_channel", {"account_sid": LIVE_SID, "auth_token": LIVE_TOKEN})
    assert "Customer phone" not in client.get("/console").get_data(as_text=True)


def test_plugins_add_top_bar_links_for_who_may_see_them(app, admin, agent, signed_in):
    agent_page = signed_in(agent).get("/console").get_data(as_text=True)
    assert 'href="/handbook"' in agent_page and 'href="/audit"' not in agent_page
    assert 'href="/audit"' in signed_in(admin).get("/console").get_data(as_text=True)
    app.extensions["switchboard"].plugins.set_enabled("help_links", False)
    assert 'href="/handbook"' not in signed_in(agent).get("/console").get_data(as_text=True)
