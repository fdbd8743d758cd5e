"""Screen readers and keyboards: axe-core (from npm) finds no serious or critical
violation on the console, the widget, the customer phone and the admin pages; the main
flows work without a mouse, with the shortcuts listed under "?"."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from host.extensions import db
from host.models import Chat, Group, Message, utcnow
from host.testing.pytest_plugin import sign_in_page

expect = pytest.importorskip("playwright.sync_api").expect

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# axe's own script is evaluated through the browser's debugging protocol, which the
# page's CSP (script-src 'self') does not govern; the pages themselves stay as served.
RUN_AXE = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.filter((v) => ["serious", "critical"].includes(v.impact)).map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 4).map((n) => n.target.join(" ") + " — " + (n.failureSummary || "").split("\\n").slice(1, 2).join(""))
  }));
}"""


def violations(page):
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text())
    return page.evaluate(RUN_AXE)


def assert_clean(page, where):
    found = violations(page)
    assert not found, f"{where}:\n" + "\n".join(
        f"  {v['impact']} {v['id']} ({v['help']}): " + "; ".join(v["nodes"]) for v in found)


@pytest.fixture
def story(app, agent):
    group = db.session.execute(db.select(Group).where(Group.name == "Support")).scalar_one()
    chat = Chat(channel="sms", customer_address="+14155550123", customer_name="Maria Lopez", sender="+14155550000",
                status="active", group_id=group.id, agent_id=agent.id)
    db.session.add(chat)
    start = utcnow() - timedelta(minutes=10)
    for offset, fields in enumerate([
            dict(direction="in", body="Hi, where is my order?", status="received"),
            dict(direction="out", body="Let me check.", status="delivered", agent_id=agent.id),
            dict(direction="in", kind="call", channel="voice", body="Missed incoming call (no answer)", status="failed"),
            dict(direction="out", body="Did you get it?", status="undelivered", agent_id=agent.id,
                 error_message="The customer's phone could not be reached.")]):
        db.session.add(Message(chat=chat, created_at=start + timedelta(minutes=offset),
                               **{"channel": "sms", **fields}))
    queued = Chat(channel="sms", customer_address="+14155550177", status="queued", group_id=group.id)
    db.session.add(queued)
    db.session.add(Message(chat=queued, direction="in", channel="sms", body="Hello?", status="received"))
    db.session.commit()
    return chat


def test_the_console_and_widget_have_no_serious_violations(app, story, console, live_server):
    page = console
    assert_clean(page, "console lists")
    page.locator('.views [data-view="mine"]').click()
    page.locator(f'.chat-row[data-chat-id="{story.id}"]').click()
    expect(page.locator(".transcript")).to_have_attribute("aria-busy", "false")
    assert_clean(page, "console with a chat open")
    for key in ("call", "sms", "whatsapp", "contacts", "logs"):
        tab = page.locator(f".pane-details .widget-tab[data-tab={key}]")
        if tab.count():
            tab.click()
            page.wait_for_timeout(200)
            assert_clean(page, f"console, {key} tab")
    page.goto(f"{live_server.url}/widget?chat_id={story.id}")
    expect(page.locator(".widget-chat-title")).to_have_text("Maria Lopez")
    assert_clean(page, "widget")
    for path in ("/profile", "/replies"):
        page.goto(live_server.url + path)
        assert_clean(page, path)


@pytest.mark.parametrize("path", ["/admin/agents", "/admin/groups", "/admin/plugins", "/admin/inbox", "/simulator/phone",
                                  "/admin/plugins/twilio_channel/settings"])
def test_admin_pages_and_the_customer_phone_have_no_serious_violations(app, browser_page, live_server, admin, path):
    page = browser_page
    sign_in_page(page, live_server.url, admin.email)
    page.goto(live_server.url + path)
    page.wait_for_load_state("networkidle")
    assert_clean(page, path)


def test_the_call_bar_and_dialogs_have_no_serious_violations(app, story, console, live_server):
    from plugins.twilio_channel.simulator.voice import voice_simulator_for

    page = console
    voice_simulator_for(app).customer_dials("+14155550188", "+14155550000")
    expect(page.locator(".live-bar")).to_have_attribute("data-state", "ringing")
    assert_clean(page, "console with a call ringing")
    page.locator("body").focus()
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    assert_clean(page, "the shortcuts dialog")
    page.keyboard.press("Escape")
    page.locator('.views [data-view="mine"]').click()
    page.locator(f'.chat-row[data-chat-id="{story.id}"]').click()
    expect(page.locator(".transcript")).to_have_attribute("aria-busy", "false")
    page.locator("body").focus()
    page.keyboard.press("t")
    expect(page.get_by_role("dialog", name="Transfer chat").locator("select[name=agent_id]")).to_be_focused()
    assert_clean(page, "the transfer dialog")
