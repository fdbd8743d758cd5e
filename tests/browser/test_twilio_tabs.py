"""The Twilio tabs in a real browser, against the built-in simulator (no Twilio needed).

Customers write through the simulator (signed webhooks into the live app); agents'
messages go out through the outbox to the simulator, whose signed status callbacks
come back and reach the page over Socket.IO.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from host.extensions import db
from host.models import Chat, Message, utcnow
from host.testing.pytest_plugin import show_details_pane, sign_in_page
from plugins.twilio_channel.models import SimulatedMessage
from plugins.twilio_channel.simulator.engine import simulator_for

expect = pytest.importorskip("playwright.sync_api").expect

def open_chat(page, name):
    page.locator(".chat-list .chat-row", has_text=name).click()
    expect(page.locator(".chat-title")).to_have_text(name)


def open_tab(page, key):
    page.locator(f".pane-details .widget-tab[data-tab={key}]").click()
    return page.locator(f".pane-details .widget-panel[data-tab={key}]")


def test_whatsapp_tab_offers_templates_outside_the_window_and_logs_follow_live(app, console, tmp_path):
    import os
    from pathlib import Path

    page = console
    simulator = simulator_for(app)
    status, _ = simulator.customer_sends("+447700900123", "+14155550000", "Hallo", channel="whatsapp",
                                         profile_name="Tom Becker")
    assert status == 200
    expect(page.locator(".chat-list .chat-row", has_text="Tom Becker")).to_be_visible()  # stored by the inbox worker
    db.session.rollback()
    old = utcnow() - timedelta(hours=25)
    db.session.execute(db.update(Message).values(created_at=old))
    db.session.execute(db.update(SimulatedMessage).values(created_at=old))
    db.session.commit()

    open_chat(page, "Tom Becker")
    panel = open_tab(page, "whatsapp")
    expect(panel.locator(".wa-window")).to_have_attribute("data-open", "false")
    expect(panel.locator(".wa-window")).to_contain_text("approved template")
    panel.locator(".wa-template-select").select_option(label="follow_up (en)")
    panel.locator("input[name='var-1']").fill("Tom")
    expect(panel.locator(".wa-preview")).to_contain_text("Hi Tom, we tried to reach you")
    # only the approved templates are offered
    expect(panel.locator(".wa-template-select option")).to_have_text(
        ["appointment_reminder (en)", "follow_up (en)", "order_shipped (en)"])
    folder = Path(os.environ.get("SWITCHBOARD_SCREENSHOTS") or tmp_path)
    for width, height in ((390, 844), (1440, 900), (2560, 1440)):
        page.set_viewport_size({"width": width, "height": height})
        show_details_pane(page)
        panel.locator(".wa-templates").scroll_into_view_if_needed()
        page.screenshot(path=str(folder / f"whatsapp-templates-{width}.png"))
    page.set_viewport_size({"width": 1400, "height": 900})
    panel.get_by_role("button", name="Send template").click()
    expect(panel.locator(".wa-templates .error")).to_be_hidden()
    expect(panel.locator(".wa-templates .ok-note")).to_have_text("Template queued.")

    logs = open_tab(page, "logs")
    entry = logs.locator(".log-row").first
    expect(entry.locator(".log-body")).to_have_text(
        "Hi Tom, we tried to reach you about your request. Reply to this message to continue.")
    expect(entry.locator(".log-meta")).to_contain_text("template follow_up")
    # the transcript shows what the customer received
    expect(page.locator(".transcript .msg-body").last).to_contain_text("Hi Tom, we tried to reach you")
    expect(entry).to_have_attribute("data-status", "read", timeout=15_000)  # sent → delivered → read, live
    chat = db.session.execute(db.select(Chat)).scalar_one()
    assert chat.channel == "whatsapp"


def test_logs_tab_filters_by_channel_and_shows_errors(app, console, api, agent):
    page = console
    simulator = simulator_for(app)
    simulator.customer_sends("+14155550123", "+14155550000", "Hi", profile_name="")
    simulator.customer_sends("+14155550123", "+14155550000", "STOP")
    expect(page.locator(".chat-list .chat-row", has_text="+14155550123").locator(".row-preview")).to_have_text(
        "STOP")   # both stored by the inbox worker
    db.session.rollback()
    chat = db.session.execute(db.select(Chat)).scalar_one()
    open_chat(page, "+14155550123")
    logs = open_tab(page, "logs")
    expect(logs.locator(".tab-empty")).to_contain_text("Nothing sent yet")
    assert api(agent).post(f"/api/v1/chats/{chat.id}/messages", json={"body": "Still there?"}).status_code == 201
    entry = logs.locator(".log-row").first
    expect(entry).to_have_attribute("data-status", "failed", timeout=15_000)
    expect(entry.locator(".log-error")).to_contain_text("replied STOP")
    logs.locator(".logs-filter").select_option("whatsapp")
    expect(logs.locator(".tab-empty")).to_contain_text("Nothing was sent to this customer on this channel")
    logs.locator(".logs-filter").select_option("sms")
    expect(logs.locator(".log-row")).to_have_count(1)
    assert page.js_errors == []


def test_admin_page_lists_the_templates_agents_are_not_offered(app, admin, browser_page, live_server, tmp_path):
    import os
    from pathlib import Path

    from host.testing.pytest_plugin import sign_in_page

    page = browser_page
    sign_in_page(page, live_server.url, admin.email)
    page.goto(f"{live_server.url}/twilio/admin")
    section = page.locator("#twilio-templates")
    expect(section).to_contain_text("3 templates approved for WhatsApp and offered to agents; 3 not offered")
    rows = section.locator("[data-templates=others] li")
    expect(rows).to_have_count(3)
    rejected = rows.filter(has_text="holiday_offer")
    expect(rejected.locator(".badge")).to_have_text("Rejected")
    expect(rejected).to_contain_text("promotional")
    expect(rows.filter(has_text="welcome_draft")).to_contain_text("Submit it for WhatsApp approval")
    folder = Path(os.environ.get("SWITCHBOARD_SCREENSHOTS") or tmp_path)
    for width, height in ((390, 844), (1440, 900), (2560, 1440)):
        page.set_viewport_size({"width": width, "height": height})
        section.scroll_into_view_if_needed()
        page.screenshot(path=str(folder / f"twilio-templates-{width}.png"))
    section.get_by_role("button", name="Refresh from Twilio").click()
    expect(page.locator(".flash, .flashes, [role=status]").first).to_contain_text("Read 6 templates from Twilio")


def test_a_twilio_channel_that_is_not_set_up_offers_no_form_to_write_on_it(app, browser_page, live_server, agent):
    from host import settings
    from host.testing.pytest_plugin import sign_in_page
    from plugins.twilio_channel.testing.webhooks import LIVE_SID

    settings.save("twilio_channel", {"account_sid": LIVE_SID, "numbers": ["+14155550100"]})  # no auth token
    page = browser_page
    sign_in_page(page, live_server.url, agent.email)
    for key, label in (("sms", "SMS"), ("whatsapp", "WhatsApp")):
        panel = open_tab(page, key)
        expect(panel.locator(".tab-empty")).to_contain_text(f"{label} isn't set up yet")
        expect(panel.locator("textarea")).to_have_count(0)
    assert page.js_errors == []


def test_a_failure_reported_later_reaches_the_logs_tab_in_the_agents_language(app, browser_page, live_server, api,
                                                                              agent):
    """Twilio reports the failure after the row is shown: the push carries the worker's
    English, the tab shows the agent's language without a reload."""
    from plugins.twilio_channel.testing.webhooks import post_twilio, status_params

    agent.language = "es"
    db.session.commit()
    page = browser_page
    sign_in_page(page, live_server.url, agent.email)
    expect(page.locator(".conn")).to_have_attribute("data-state", "connected")
    simulator_for(app).customer_sends("+14155550123", "+14155550000", "Hola", profile_name="")
    expect(page.locator(".chat-list .chat-row", has_text="+14155550123")).to_be_visible()
    db.session.rollback()
    chat = db.session.execute(db.select(Chat)).scalar_one()
    open_chat(page, "+14155550123")
    logs = open_tab(page, "logs")
    expect(logs.locator(".tab-empty")).to_be_visible()
    assert api(agent).post(f"/api/v1/chats/{chat.id}/messages", json={"body": "¿Sigues ahí?"}).status_code == 201
    entry = logs.locator(".log-row").first
    expect(entry).to_have_attribute("data-status", "delivered", timeout=15_000)
    db.session.rollback()
    sent = db.session.execute(db.select(Message).where(Message.direction == "out")).scalar_one()
    response = post_twilio(app, "/webhooks/twilio/status", status_params(sent.external_id, "undelivered",
                                                                         error_code=30003))
    assert response.status_code in (200, 204), response.get_data(as_text=True)
    expect(entry).to_have_attribute("data-status", "undelivered", timeout=15_000)
    expect(entry.locator(".log-error")).to_contain_text("No se pudo contactar con el teléfono del cliente")
    assert page.js_errors == []


def test_the_logs_tab_dates_each_message_in_the_agents_language_and_zone(app, browser_page, live_server, agent):
    from datetime import datetime

    agent.language, agent.time_zone = "pl", "Asia/Kolkata"  # UTC+5:30
    db.session.commit()
    page = browser_page
    sign_in_page(page, live_server.url, agent.email)
    expect(page.locator(".conn")).to_have_attribute("data-state", "connected")
    simulator = simulator_for(app)
    simulator.customer_sends("+14155550123", "+14155550000", "Hi", profile_name="")
    expect(page.locator(".chat-list .chat-row", has_text="+14155550123")).to_have_count(1, timeout=15_000)
    db.session.rollback()
    chat = db.session.execute(db.select(Chat)).scalar_one()
    db.session.add(Message(chat=chat, direction="out", channel="sms", body="Sent on 4 March", status="delivered",
                           created_at=datetime(2026, 3, 4, 10, 0), external_id="SM" + "7" * 32))
    db.session.commit()
    open_chat(page, "+14155550123")
    logs = open_tab(page, "logs")
    shown = logs.locator(".log-row", has_text="Sent on 4 March").locator(".log-time")
    expect(shown).to_contain_text("15:30")  # 10:00 UTC in Kolkata
    expect(shown).to_contain_text("mar 2026")  # Polish month
    assert page.js_errors == []
