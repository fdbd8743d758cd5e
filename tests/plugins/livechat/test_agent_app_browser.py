"""The Agent App bridge in headless Chromium, framed by a stand-in for LiveChat's Agent App.

The parent page runs on its own origin (another port) and talks to the widget with
``@livechat/postmessage`` — the library ``@livechat/agent-app-sdk`` uses for its default
("trusted") connection — so the widget's real SDK does the handshake, reports
``plugin_inited`` and receives ``customer_profile``. The same server answers LiveChat's
implicit-grant page for the "Sign in with LiveChat" test.
"""
from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask import Flask, Response, redirect, request

from host.extensions import db
from host.models import Chat, utcnow
from host.testing.pytest_plugin import free_port, sign_in_page, skip_or_fail
from plugins.livechat.models import LiveChatChat, LiveChatCustomer, LiveChatSyncItem

expect = pytest.importorskip("playwright.sync_api").expect
pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
LC_AGENT = "agent@example.test"


@pytest.fixture(scope="session")
def parent_page_script(built_frontend):
    """The stand-in Agent App page's bundle (the app's own bundles are current too)."""
    if not (ROOT / "node_modules/.bin/esbuild").exists():
        skip_or_fail("node_modules/esbuild is needed (npm ci)")
    out = ROOT / "test-results" / "livechat_parent.js"  # gitignored
    out.parent.mkdir(exist_ok=True)
    subprocess.run([str(ROOT / "node_modules/.bin/esbuild"), str(HERE / "agent_app_parent.js"), "--bundle",
                    "--format=iife", "--minify", f"--outfile={out}"], cwd=ROOT, check=True, capture_output=True)
    return out.read_text()


class AgentAppStandIn:
    """Serves the parent page and LiveChat's authorize page on its own origin."""

    def __init__(self, script: str, widget_url: str):
        self.script, self.widget_url = script, widget_url
        self.token = None  # what the authorize page hands out
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        app = Flask("agent_app_stand_in")

        @app.get("/agent-app")
        def agent_app():
            page = f"""<!doctype html><html><head><title>Agent App</title>
<style>#agent-app iframe {{ width: 420px; height: 760px; border: 0 }}</style></head>
<body><div id="agent-app"></div><script>window.WIDGET_URL = {self.widget_url!r};</script>
<script src="/parent.js"></script></body></html>"""
            return Response(page, mimetype="text/html")

        @app.get("/parent.js")
        def parent_js():
            return Response(self.script, mimetype="application/javascript")

        @app.get("/")
        def authorize():  # LiveChat's implicit grant: straight back with the token in the fragment
            fragment = urlencode({"access_token": self.token, "expires_in": 28800, "token_type": "Bearer",
                                  "state": request.args["state"]})
            return redirect(f"{request.args['redirect_uri']}#{fragment}")

        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", self.port, app, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def agent_app(parent_page_script, app, live_server, livechat):
    stand_in = AgentAppStandIn(parent_page_script, f"{live_server.url}/plugins/livechat/widget?plugin_id=switchboard")
    # Only the stand-in may frame the widget (instead of LiveChat's own origins).
    app.config["SWITCHBOARD_LIVECHAT_FRAME_ANCESTORS"] = stand_in.url
    app.config["SWITCHBOARD_LIVECHAT_ACCOUNTS_URL"] = stand_in.url
    yield stand_in
    stand_in.server.shutdown()


def settle(drain, timeout=10.0):
    """Until the LiveChat outbox (drained here and by the live server's worker) has nothing due."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        drain()
        db.session.commit()  # a fresh snapshot of what the worker wrote
        busy = db.session.execute(db.select(LiveChatSyncItem.id).where(
            LiveChatSyncItem.state == "pending", LiveChatSyncItem.next_attempt_at <= utcnow())).first()
        if busy is None:
            return
        time.sleep(0.05)
    raise AssertionError("the LiveChat outbox did not settle")


def mirror(inbound, drain, body, sender):
    inbound(body, sender=sender)
    settle(drain)
    chat = db.session.execute(db.select(Chat).where(Chat.customer_address == sender)).scalar_one()
    link = db.session.execute(db.select(LiveChatChat).where(LiveChatChat.chat_id == chat.id)).scalar_one()
    customer = db.session.get(LiveChatCustomer, link.customer_id)
    profile = {"id": customer.entity_id, "name": "", "email": "", "source": "chats",
               "chat": {"chat_id": link.lc_chat_id, "id": link.lc_thread_id, "groupID": 0}}
    return chat, profile


def widget_frame(page):
    handle = page.wait_for_selector("#agent-app iframe")
    frame = handle.content_frame()
    assert frame is not None
    return frame


def test_customer_profile_from_the_agent_app_opens_the_switchboard_chat(
        browser_page, live_server, agent_app, agent, inbound, drain):
    page = browser_page
    first, first_profile = mirror(inbound, drain, "Where is my order?", "+15550001")
    second, second_profile = mirror(inbound, drain, "Can I change my address?", "+15550002")
    sign_in_page(page, live_server.url, agent.email)

    page.goto(f"{agent_app.url}/agent-app")
    page.wait_for_function("window.lcHarness && window.lcHarness.connections === 1")
    page.wait_for_function("window.lcHarness.received.some(m => m.message === 'plugin_inited')")
    inited = page.evaluate("window.lcHarness.received.find(m => m.message === 'plugin_inited')")
    assert inited == {"plugin_id": "switchboard", "message": "plugin_inited", "data": None}
    frame = widget_frame(page)
    status = frame.locator("#livechat-bridge-status")
    expect(status).to_have_attribute("data-state", "connected")

    page.evaluate("profile => window.lcHarness.sendProfile(profile)", first_profile)
    expect(status).to_have_text(f"Switchboard chat #{first.id} · +15550001")
    expect(frame.locator(".widget-chat-title")).to_have_text("+15550001")
    expect(frame.locator("html")).to_have_attribute("data-switchboard-chat", str(first.id))

    page.evaluate("profile => window.lcHarness.sendProfile(profile)", second_profile)
    expect(frame.locator(".widget-chat-title")).to_have_text("+15550002")

    # A LiveChat chat that did not come through Switchboard (e.g. the website widget).
    page.evaluate("() => window.lcHarness.sendProfile({id: 'web-visitor', name: 'Web Visitor', "
                  "chat: {chat_id: 'WEBCHAT1', id: 'T1', groupID: 0}, source: 'chats'})")
    expect(status).to_have_attribute("data-state", "unknown")
    expect(status).to_contain_text("No Switchboard conversation for Web Visitor")
    assert page.js_errors == []


TAB_WORDS = {
    "en": {"tab": "LiveChat", "delayed": "LiveChat sync delayed: LiveChat send_event failed: could not reach LiveChat",
           "action": "Copy a customer message to LiveChat", "retry": "Retry now", "in_sync": "In sync with LiveChat."},
    # The worker's push after the retry carries codes: the tab words them in its agent's language.
    "es": {"tab": "LiveChat", "delayed": "La sincronización con LiveChat se retrasa: LiveChat send_event falló:",
           "action": "Copiar un mensaje del cliente a LiveChat", "retry": "Reintentar ahora",
           "in_sync": "Sincronizado con LiveChat."},
}


@pytest.mark.parametrize("language", sorted(TAB_WORDS))
def test_livechat_tab_shows_a_delay_and_retries(browser_page, live_server, agent_app, agent, inbound, drain,
                                                 lc_transport, language):
    words = TAB_WORDS[language]
    agent.language = language
    db.session.commit()
    page = browser_page
    chat, profile = mirror(inbound, drain, "Hello", "+15550001")
    lc_chat_id = profile["chat"]["chat_id"]
    lc_transport.down = True
    inbound("Are you there?", sender="+15550001")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the first attempt fails (here or in the worker)
        drain()
        db.session.commit()
        if db.session.execute(db.select(LiveChatSyncItem.last_error).where(
                LiveChatSyncItem.action == "message", LiveChatSyncItem.last_error.is_not(None))).first():
            break
        time.sleep(0.05)
    sign_in_page(page, live_server.url, agent.email)
    page.goto(f"{live_server.url}/plugins/livechat/widget?chat_id={chat.id}")
    page.get_by_role("tab", name=words["tab"]).click()
    tab = page.locator(".livechat-tab")
    expect(tab.locator(".livechat-chat-id")).to_have_text(lc_chat_id)
    expect(tab.locator(".livechat-status")).to_contain_text(words["delayed"])
    expect(tab.locator(".livechat-status")).to_contain_text("(ConnectError)")
    expect(tab.locator(".livechat-item strong")).to_have_text(words["action"])
    expect(tab.locator(".livechat-pending")).to_have_text("1")

    lc_transport.down = False
    tab.get_by_role("button", name=words["retry"]).click()  # due now, and the worker is woken
    settle(drain)  # its result is pushed to the open tab
    expect(tab.locator(".livechat-status")).to_have_text(words["in_sync"])
    expect(tab.locator(".livechat-pending")).to_have_text("0")
    db.session.commit()
    assert db.session.execute(db.select(LiveChatSyncItem.state).where(
        LiveChatSyncItem.action == "message").order_by(LiveChatSyncItem.id.desc())).scalars().first() == "done"
    assert page.js_errors == []


def test_sign_in_with_livechat_inside_the_agent_app(browser_page, live_server, agent_app, agent, inbound, drain,
                                                    fake):
    page = browser_page
    chat, profile = mirror(inbound, drain, "Hi", "+15550001")
    agent_app.token = fake.add_agent_token(LC_AGENT)
    page.goto(f"{agent_app.url}/agent-app")  # not signed in to Switchboard
    frame = widget_frame(page)
    expect(frame.get_by_role("button", name="Sign in with LiveChat")).to_be_visible()
    expect(frame.get_by_role("heading", name="Or with your Switchboard account")).to_be_visible()
    with page.expect_popup() as popup:
        frame.get_by_role("button", name="Sign in with LiveChat").click()
    popup.value.wait_for_event("close")
    # Signed in: the frame went on to the widget, which connected to the Agent App again.
    page.wait_for_function("window.lcHarness.connections >= 1 && window.lcHarness.child !== null")
    frame = widget_frame(page)
    expect(frame.locator("#livechat-bridge-status")).to_have_attribute("data-state", "connected")
    page.evaluate("profile => window.lcHarness.sendProfile(profile)", profile)
    expect(frame.locator(".widget-chat-title")).to_have_text("+15550001")
    assert page.js_errors == []


def test_a_language_chosen_on_the_profile_reaches_the_widget_inside_the_agent_app(
        browser_page, live_server, agent_app, agent, inbound, drain, fake):
    page = browser_page
    chat, profile = mirror(inbound, drain, "Hola", "+15550001")
    agent_app.token = fake.add_agent_token(LC_AGENT)
    page.goto(f"{agent_app.url}/agent-app")
    frame = widget_frame(page)
    with page.expect_popup() as popup:
        frame.get_by_role("button", name="Sign in with LiveChat").click()
    popup.value.wait_for_event("close")
    page.wait_for_function("window.lcHarness.connections >= 1 && window.lcHarness.child !== null")
    frame = widget_frame(page)
    expect(frame.locator("#livechat-bridge-status")).to_have_attribute("data-state", "connected")
    page.evaluate("profile => window.lcHarness.sendProfile(profile)", profile)
    expect(frame.locator(".widget-chat-title")).to_have_text("+15550001")
    expect(frame.locator(".widget-tabs")).to_have_attribute("aria-label", "Details")
    frame.evaluate("window.notReloaded = true")
    bridge = frame.locator("#livechat-bridge-status").get_attribute("data-state")

    # The same agent picks Spanish elsewhere (their profile page does this too).
    from host.api.agents import issue_token

    answer = live_server_client(live_server).patch(
        "/api/v1/me", json={"language": "es", "time_zone": "Europe/Madrid"},
        headers={"Authorization": f"Bearer {issue_token(agent, 'preferences')}"})
    assert answer.status_code == 200, answer.text

    # The framed widget (signed in by its in-memory token) switches in place.
    expect(frame.locator(".widget-tabs")).to_have_attribute("aria-label", "Detalles")
    expect(frame.locator("html")).to_have_attribute("lang", "es")
    assert frame.evaluate("window.notReloaded") is True
    expect(frame.locator("#livechat-bridge-status")).to_have_attribute("data-state", bridge)
    expect(frame.locator(".widget-chat-title")).to_have_text("+15550001")
    frame.get_by_role("tab", name="LiveChat").click()
    expect(frame.locator(".livechat-tab dt").first).to_have_text("Chat de LiveChat")
    assert page.js_errors == []


def live_server_client(live_server):
    import httpx

    return httpx.Client(base_url=live_server.url, timeout=10)
