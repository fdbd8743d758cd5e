"""The widget inside LiveChat's Agent App with third-party cookies blocked (Chromium).

The stand-in Agent App runs on ``localhost`` and frames the widget from ``127.0.0.1``: another
site, so the browser treats the widget's cookies as third-party and, with them blocked (as
Safari does by default), never sends them. The sign-in must then work without any cookie:
the token the server answers is kept in the page's memory and the widget is mounted with it.
"""
from __future__ import annotations

import pytest

from host.testing.pytest_plugin import CHROMIUM, CHROMIUM_ARGS
from tests.plugins.livechat.test_agent_app_browser import (AgentAppStandIn, mirror, parent_page_script,  # noqa: F401 - a fixture
                                                          widget_frame)

expect = pytest.importorskip("playwright.sync_api").expect
pytestmark = pytest.mark.browser

LC_AGENT = "agent@example.test"
CROSS_SITE = ("http://127.0.0.1", "ws://127.0.0.1", "http://localhost", "data:", "blob:")


@pytest.fixture(scope="module")
def chromium_without_third_party_cookies(chromium):
    """A second Chromium from the same Playwright, with third-party cookies blocked."""
    browser = chromium.browser_type.launch(executable_path=CHROMIUM, headless=True,
                                           args=[*CHROMIUM_ARGS, "--test-third-party-cookie-phaseout"])
    yield browser
    browser.close()


@pytest.fixture
def page(chromium_without_third_party_cookies, live_server):
    context = chromium_without_third_party_cookies.new_context(viewport={"width": 1024, "height": 768})
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(CROSS_SITE)
                  else route.abort())
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    yield page
    context.close()


@pytest.fixture
def cross_site_agent_app(parent_page_script, app, live_server, livechat):
    stand_in = AgentAppStandIn(parent_page_script, f"{live_server.url}/plugins/livechat/widget?plugin_id=switchboard")
    stand_in.url = f"http://localhost:{stand_in.port}"  # another site than the widget's 127.0.0.1
    app.config["SWITCHBOARD_LIVECHAT_FRAME_ANCESTORS"] = stand_in.url
    app.config["SWITCHBOARD_LIVECHAT_ACCOUNTS_URL"] = stand_in.url
    yield stand_in
    stand_in.server.shutdown()


def test_signing_in_inside_the_agent_app_works_without_third_party_cookies(
        page, live_server, cross_site_agent_app, agent, inbound, drain, fake):
    chat, profile = mirror(inbound, drain, "Where is my parcel?", "+15550001")
    cross_site_agent_app.token = fake.add_agent_token(LC_AGENT)
    page.goto(f"{cross_site_agent_app.url}/agent-app")
    page.wait_for_function("window.lcHarness && window.lcHarness.connections === 1")
    frame = widget_frame(page)
    # The agent opens a chat in LiveChat before signing in: it shows once they have.
    page.evaluate("profile => window.lcHarness.sendProfile(profile)", profile)
    with page.expect_popup() as popup:
        frame.get_by_role("button", name="Sign in with LiveChat").click()
    popup.value.wait_for_event("close")
    expect(frame.locator("html")).to_have_attribute("data-switchboard-signed-in", "token")
    expect(frame.locator(".widget-chat-title")).to_have_text("+15550001")
    expect(frame.locator("#livechat-bridge-status")).to_have_text(f"Switchboard chat #{chat.id} · +15550001")
    # The widget's API calls and its realtime connection work with the in-memory token.
    frame.get_by_role("tab", name="LiveChat").click()
    expect(frame.locator(".livechat-tab .livechat-chat-id")).to_have_text(profile["chat"]["chat_id"])
    expect(frame.locator(".widget-head .conn")).to_have_attribute("data-state", "connected")
    # Another chat opened in LiveChat follows, still without a cookie.
    second, second_profile = mirror(inbound, drain, "And my invoice?", "+15550002")
    page.evaluate("profile => window.lcHarness.sendProfile(profile)", second_profile)
    expect(frame.locator(".widget-chat-title")).to_have_text("+15550002")
    # Calls: the frame has no microphone; the call window gets the token from the frame.
    frame.get_by_role("tab", name="Call").click()
    with page.expect_popup() as opened:
        frame.get_by_role("button", name="Open call window").click()
    window = opened.value
    expect(window.locator("html")).to_have_attribute("data-switchboard-signed-in", "token")
    assert window.url.startswith(f"{live_server.url}/login/livechat/window?chat_id={second.id}&tab=call")
    expect(window.locator(".widget-chat-title")).to_have_text("+15550002")
    expect(window.locator(".call-panel .call-device")).to_have_attribute("data-state", "ready")
    window.close()
    # The browser really kept no cookie for the frame: a fresh widget page is signed out.
    frame.evaluate("url => { window.location.href = url }", f"{live_server.url}/plugins/livechat/widget")
    frame = widget_frame(page)
    expect(frame.get_by_role("button", name="Sign in with LiveChat")).to_be_visible()
    assert page.js_errors == []


def test_the_switchboard_account_form_in_the_frame_works_without_third_party_cookies(
        page, live_server, cross_site_agent_app, agent, inbound, drain):
    chat, profile = mirror(inbound, drain, "Where is my parcel?", "+15550001")
    page.goto(f"{cross_site_agent_app.url}/agent-app")
    page.wait_for_function("window.lcHarness && window.lcHarness.connections === 1")
    frame = widget_frame(page)
    page.evaluate("profile => window.lcHarness.sendProfile(profile)", profile)
    form = frame.locator("#switchboard-sign-in")
    form.get_by_label("Email").fill(agent.email)
    form.get_by_label("Password").fill("not-it")
    form.get_by_role("button", name="Sign in").click()
    expect(frame.get_by_role("alert")).to_have_text(
        "That email and password don't match an active agent. Check both and try again.")
    form.get_by_label("Password").fill("correct-horse-battery")
    form.get_by_role("button", name="Sign in").click()
    expect(frame.locator("html")).to_have_attribute("data-switchboard-signed-in", "token")
    expect(frame.locator(".widget-chat-title")).to_have_text("+15550001")
    expect(frame.locator("#livechat-bridge-status")).to_have_text(f"Switchboard chat #{chat.id} · +15550001")
    expect(frame.locator(".widget-head .conn")).to_have_attribute("data-state", "connected")
    # No cookie was kept for the frame: a fresh widget page is signed out again.
    frame.evaluate("url => { window.location.href = url }", f"{live_server.url}/plugins/livechat/widget")
    expect(widget_frame(page).locator("#switchboard-sign-in")).to_be_visible()
    assert page.js_errors == []


@pytest.fixture
def short_lived_tokens(app):
    app.config["SWITCHBOARD_LIVECHAT_WIDGET_TOKEN_SECONDS"] = 4
    yield
    app.config.pop("SWITCHBOARD_LIVECHAT_WIDGET_TOKEN_SECONDS")


def test_the_widget_renews_its_token_and_an_ended_one_leads_back_to_sign_in(
        page, app, live_server, cross_site_agent_app, agent, inbound, drain, short_lived_tokens):
    from host.extensions import db
    from host.models import ApiToken

    _, profile = mirror(inbound, drain, "Where is my parcel?", "+15550001")
    page.goto(f"{cross_site_agent_app.url}/agent-app")
    page.wait_for_function("window.lcHarness && window.lcHarness.connections === 1")
    frame = widget_frame(page)
    form = frame.locator("#switchboard-sign-in")
    form.get_by_label("Email").fill(agent.email)
    form.get_by_label("Password").fill("correct-horse-battery")
    form.get_by_role("button", name="Sign in").click()
    expect(frame.locator("html")).to_have_attribute("data-switchboard-signed-in", "token")
    # Past two lifetimes of the first token the widget still works: it renewed in time.
    page.wait_for_timeout(9_000)
    tokens = lambda: db.session.execute(db.select(ApiToken).order_by(ApiToken.id)).scalars().all()  # noqa: E731
    db.session.expire_all()
    # Each renewal lets the token it replaces run out rather than cutting it off: the newest
    # works, every one older than the one before it has ended.
    states = [t.state for t in tokens()]
    assert len(states) >= 3 and states[-1] == "active" and set(states[:-2]) == {"expired"}, states
    _, second = mirror(inbound, drain, "And my invoice?", "+15550002")
    page.evaluate("profile => window.lcHarness.sendProfile(profile)", second)
    expect(frame.locator(".widget-chat-title")).to_have_text("+15550002")
    expect(frame.locator(".widget-head .conn")).to_have_attribute("data-state", "connected")
    # The agent revokes it on their profile page: the frame goes back to the sign-in, saying why.
    db.session.expire_all()
    for token in tokens():
        token.revoked_at = token.revoked_at or token.created_at
    db.session.commit()
    frame = widget_frame(page)
    expect(frame.locator("#livechat-sign-in-ended")).to_have_text(
        "Your Switchboard sign-in has ended. Sign in again to see the conversation.", timeout=15_000)
    expect(frame.locator("#switchboard-sign-in")).to_be_visible()
    assert page.js_errors == []
