"""Browser tests: current bundles for every test, and a signed-in console."""
import pytest

from host.testing.pytest_plugin import sign_in_page


@pytest.fixture(autouse=True)
def _bundles(built_frontend):
    return built_frontend


@pytest.fixture
def console(browser_page, live_server, agent):
    """Sam (agent, Support group) signed in to the console, connected for live updates."""
    from playwright.sync_api import expect

    sign_in_page(browser_page, live_server.url, agent.email)
    expect(browser_page.locator(".conn")).to_have_attribute("data-state", "connected")
    return browser_page
