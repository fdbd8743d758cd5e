"""What is open while an agent picks another language follows too, without a reload: an
open dialog (Transfer, the "?" shortcuts) redraws its words in place, keeping the choice
made in it, and channel names follow in the console's details and the standalone widget."""
from __future__ import annotations

import pytest

from host.extensions import db
from host.models import Chat, Group, Message
from host.testing.pytest_plugin import choose_language

expect = pytest.importorskip("playwright.sync_api").expect


def make_chat(agent, channel, address, name):
    group = db.session.execute(db.select(Group).where(Group.name == "Support")).scalar_one()
    chat = Chat(channel=channel, customer_address=address, customer_name=name, sender="+14155550000",
                status="active", group_id=group.id, agent_id=agent.id)
    db.session.add(chat)
    db.session.add(Message(chat=chat, direction="in", channel=channel, body="Hello", status="received"))
    db.session.commit()
    return chat


def test_open_dialogs_follow_a_language_switch(app, agent, make_agent, console, live_server):
    make_agent("kim@example.test", name="Kim Colleague")
    chat = make_chat(agent, "whatsapp", "whatsapp:+14155550123", "Maria")
    page = console
    page.goto(f"{live_server.url}/console/chats/{chat.id}")
    expect(page.locator(".transcript")).to_have_attribute("aria-busy", "false")
    page.evaluate("window.notReloaded = true")

    page.locator('.chat-actions [data-action="transfer"]').click()
    dialog = page.locator("dialog.transfer-dialog")
    expect(dialog.locator("h2")).to_have_text("Transfer chat")
    agents = dialog.locator("select[name=agent_id]")
    expect(agents.locator("option")).to_have_count(2)
    kim = agents.locator("option").nth(1).get_attribute("value")
    agents.select_option(kim)

    choose_language(page.context, live_server.url, "es")
    expect(dialog.locator("h2")).to_have_text("Transferir el chat")
    expect(dialog).to_have_attribute("aria-label", "Transferir el chat")
    expect(dialog.locator(".or")).to_have_text("o")
    expect(dialog.locator("button[type=submit]")).to_have_text("Transferir")
    expect(dialog.locator("button[type=submit]")).to_be_enabled()
    expect(agents.locator("option").first).to_have_text("Elige un agente…")
    expect(agents).to_have_value(kim)  # the choice made before the switch stays
    dialog.locator("button[type=button]").click()
    expect(dialog).to_have_count(0)

    page.locator(".shortcuts-button").click()
    shortcuts = page.locator("dialog.shortcuts-dialog")
    expect(shortcuts.locator("h2")).to_have_text("Atajos de teclado")
    choose_language(page.context, live_server.url, "pl")
    expect(shortcuts.locator("h2")).to_have_text("Skróty klawiszowe")
    expect(shortcuts.locator("dd").first).to_have_text("Otwórz następny czat na liście")
    expect(shortcuts.locator(".dialog-actions button")).to_have_text("Zamknij")
    expect(shortcuts.locator(".dialog-actions button")).to_be_focused()
    assert page.evaluate("window.notReloaded") is True
    assert page.js_errors == []


def test_channel_names_follow_a_language_switch_in_the_console_and_the_widget(app, agent, console, live_server):
    from plugins.twilio_channel.simulator.voice import voice_simulator_for

    voice_simulator_for(app)  # the voice channel set up, so it is offered by name
    chat = make_chat(agent, "voice", "+14155550123", "Maria")
    page = console
    page.goto(f"{live_server.url}/console/chats/{chat.id}")
    expect(page.locator(".transcript")).to_have_attribute("aria-busy", "false")
    widget = page.context.new_page()
    widget.goto(f"{live_server.url}/widget?chat_id={chat.id}")
    widget.evaluate("window.notReloaded = true")
    shown = []
    for where, tab in ((page, "Customer"), (widget, "Customer")):
        where.locator(".widget-tab").filter(has_text=tab).click()
        channel = where.locator(".widget-panel:not([hidden]) dl.kv dd").first
        expect(channel).to_have_text("Voice")
        shown.append(channel)

    choose_language(page.context, live_server.url, "es")
    expect(page.locator(".widget-tab-title").filter(has_text="Cliente")).to_have_count(1)
    expect(widget.locator(".widget-tab-title").filter(has_text="Cliente")).to_have_count(1)
    for channel in shown:
        expect(channel).to_have_text("Voz")
    assert widget.evaluate("window.notReloaded") is True
    widget.close()


def test_an_older_chat_on_a_switched_off_channel_names_it_in_the_new_language(app, agent, console, live_server):
    """Voice switched off: its older chat is still shown, and after the switch the Customer
    tab names its channel in Spanish, in the console and the standalone widget alike."""
    app.extensions["switchboard"].plugins.set_enabled("twilio_channel", False)
    chat = make_chat(agent, "voice", "+14155550123", "Maria")
    page = console
    page.goto(f"{live_server.url}/console/chats/{chat.id}")
    expect(page.locator(".transcript")).to_have_attribute("aria-busy", "false")
    page.evaluate("window.notReloaded = true")
    widget = page.context.new_page()
    widget_errors = []
    widget.on("pageerror", lambda exc: widget_errors.append(str(exc)))
    widget.goto(f"{live_server.url}/widget?chat_id={chat.id}")
    widget.evaluate("window.notReloaded = true")
    shown = []
    for where in (page, widget):
        where.locator(".widget-tab").filter(has_text="Customer").click()
        channel = where.locator(".widget-panel:not([hidden]) dl.kv dd").first
        expect(channel).to_have_text("Voice")
        shown.append(channel)

    choose_language(page.context, live_server.url, "es")
    for where in (page, widget):
        expect(where.locator(".widget-tab-title").filter(has_text="Cliente")).to_have_count(1)
    for channel in shown:
        expect(channel).to_have_text("Voz")
    assert page.evaluate("window.notReloaded") is True and widget.evaluate("window.notReloaded") is True
    assert page.js_errors == [] and widget_errors == []
    widget.close()
