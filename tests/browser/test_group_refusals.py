"""In Chromium: writing or calling first to another group's customer shows the sentence.

Maria writes to Support (the default group); Sol, a Sales agent, types her number in the
SMS tab, the WhatsApp tab and the Call tab's dialer. Each shows "This customer is handled
by Support…" and nothing changes. Screenshots at phone, laptop and large sizes go to
``$SWITCHBOARD_SCREENSHOTS`` (default: the test's tmp dir).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from host.extensions import db
from host.models import Chat, Group, Message
from host.testing.pytest_plugin import show_details_pane, sign_in_page
from plugins.twilio_channel.simulator.engine import simulator_for

expect = pytest.importorskip("playwright.sync_api").expect

MARIA, SALES_CUSTOMER, OUR_NUMBER = "+14155550123", "+14155550177", "+14155550000"
SENTENCE = "This customer is handled by Support. Ask a Support agent or an admin to transfer the chat to you."
SIZES = {"phone": (390, 844), "laptop": (1440, 900), "large": (2560, 1440)}


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("SWITCHBOARD_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def sales_console(app, browser_page, live_server, agent, make_agent):
    simulator = simulator_for(app)
    assert simulator.customer_sends(MARIA, OUR_NUMBER, "My order is late")[0] == 200
    assert simulator.customer_sends(SALES_CUSTOMER, OUR_NUMBER, "A quote, please")[0] == 200
    sol = make_agent("sol@example.test", groups=("Sales",), name="Sol Sales")
    quote = db.session.execute(db.select(Chat).where(Chat.customer_address == SALES_CUSTOMER)).scalar_one()
    quote.group_id = db.session.execute(db.select(Group.id).where(Group.name == "Sales")).scalar_one()
    db.session.commit()
    page = browser_page
    sign_in_page(page, live_server.url, sol.email)
    expect(page.locator(".conn")).to_have_attribute("data-state", "connected")
    expect(page.locator(".chat-list .chat-row")).to_have_count(1)  # Maria's chat is not Sales'
    page.locator(".chat-list .chat-row", has_text=SALES_CUSTOMER).click()
    expect(page.locator(".chat-title")).to_have_text(SALES_CUSTOMER)
    return page


def open_tab(page, key):
    page.locator(f".pane-details .widget-tab[data-tab={key}]").click()
    return page.locator(f".pane-details .widget-panel[data-tab={key}]")


def maria_unchanged():
    db.session.expire_all()
    chat = db.session.execute(db.select(Chat).where(Chat.customer_address == MARIA)).scalar_one()
    messages = db.session.execute(db.select(Message.body).where(Message.chat_id == chat.id)).scalars().all()
    return (chat.status, chat.agent_id, chat.channel, messages) == ("queued", None, "sms", ["My order is late"])


@pytest.mark.parametrize("key", ["sms", "whatsapp"])
def test_the_message_tabs_show_who_handles_the_customer(sales_console, shots, key):
    page = sales_console
    panel = open_tab(page, key)
    panel.locator("input[name=to]").fill(MARIA)
    panel.locator("textarea[name=body]").fill("Hi Maria, Sales here")
    panel.get_by_role("button", name="Send", exact=True).click()
    expect(panel.locator(".error[role=alert]:visible")).to_have_text(SENTENCE)
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        show_details_pane(page)
        page.screenshot(path=str(shots / f"refusal-{key}-{size}.png"))
        panel.screenshot(path=str(shots / f"refusal-{key}-{size}-tab.png"))
    assert maria_unchanged()
    assert page.js_errors == []


def test_the_call_tab_shows_who_handles_the_customer(sales_console, shots):
    page = sales_console
    panel = open_tab(page, "call")
    expect(panel.locator(".call-device")).to_have_attribute("data-state", "ready")
    number = panel.locator("input.call-number")
    number.fill(MARIA)
    panel.locator("button.call-typed").click()
    expect(panel.locator(".call-error")).to_have_text(SENTENCE)
    page.screenshot(path=str(shots / "refusal-call-laptop.png"))
    assert maria_unchanged()
    assert page.js_errors == []
