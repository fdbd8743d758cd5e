"""Plugins switched on and off reach open consoles and widgets live, in a real browser:
the Plugins page, the API and the command line, without a reload or an error panel."""
from __future__ import annotations

import time

import pytest

from host.cli import main
from host.testing.pytest_plugin import blocked_page, sign_in_page

expect = pytest.importorskip("playwright.sync_api").expect

TWILIO_TABS = ("sms", "whatsapp", "call", "logs")


@pytest.fixture
def switchboard_config():
    return {"ACCESS_CHECK_SECONDS": 1}   # as in production: each process looks once a second


@pytest.fixture
def admin_page(chromium, live_server, admin):
    page = blocked_page(chromium)
    sign_in_page(page, live_server.url, admin.email)
    yield page
    page.context.close()


def tab_keys(page):
    return page.locator(".pane-details .widget-tab").evaluate_all("(tabs) => tabs.map((t) => t.dataset.tab)")


def test_switching_twilio_off_and_on_reaches_an_open_console_within_two_seconds(
        app, console, admin_page, live_server, admin, api):
    details = console.locator(".pane-details")
    details.locator(".widget-tab[data-tab=sms]").click()
    expect(details.locator(".widget-panel[data-tab=sms]")).to_be_visible()
    assert set(TWILIO_TABS) <= set(tab_keys(console))

    admin_page.goto(f"{live_server.url}/admin/plugins")
    admin_page.locator("[data-plugin=twilio_channel] button", has_text="Disable").click()
    started = time.monotonic()
    expect(details.locator(".widget-tab[data-tab=sms]")).to_have_count(0, timeout=2000)
    took = time.monotonic() - started
    assert not set(TWILIO_TABS) & set(tab_keys(console)), tab_keys(console)
    # The open tab went away: the Customer tab is shown instead, without an error panel.
    expect(details.locator(".widget-tab[data-tab=customer]")).to_have_attribute("aria-selected", "true")
    expect(details.locator(".widget-panel[data-tab=customer]")).to_be_visible()
    expect(console.locator(".tab-error")).to_have_count(0)
    assert console.evaluate("window.switchboardPhone === undefined")  # the browser phone stopped
    assert took < 2.0, took

    # Back on through the API and then the command line: the tabs come back, no reload.
    assert api(admin).patch("/api/v1/plugins/twilio_channel", json={"enabled": True}).status_code == 200
    expect(details.locator(".widget-tab[data-tab=call]")).to_have_count(1, timeout=2000)
    result = app.test_cli_runner().invoke(main, ["plugins", "disable", "contacts"])
    assert result.exit_code == 0, result.output
    expect(details.locator(".widget-tab[data-tab=customer]")).to_have_count(0, timeout=2000)
    expect(console.locator(".tab-error")).to_have_count(0)
    assert console.js_errors == []


def test_the_standalone_widget_follows_too(app, browser_page, live_server, agent, api, admin):
    sign_in_page(browser_page, live_server.url, agent.email)
    browser_page.goto(f"{live_server.url}/widget")
    expect(browser_page.locator(".conn")).to_have_attribute("data-state", "connected")
    assert api(admin).patch("/api/v1/plugins/livechat", json={"enabled": False}).status_code == 200
    assert api(admin).patch("/api/v1/plugins/twilio_channel", json={"enabled": False}).status_code == 200
    expect(browser_page.locator(".widget-tab[data-tab=sms]")).to_have_count(0, timeout=2000)
    assert api(admin).patch("/api/v1/plugins/twilio_channel", json={"enabled": True}).status_code == 200
    expect(browser_page.locator(".widget-tab[data-tab=sms]")).to_have_count(1, timeout=2000)
    assert browser_page.js_errors == []
