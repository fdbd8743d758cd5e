"""The agent console in a real browser: live chats, replies, tabs, transfer, archive.

Chats start through the loopback channel (a signed webhook) while the page is open,
so everything the page shows arrives over Socket.IO without a reload. Assertions use
Playwright's auto-waiting ``expect``; there are no sleeps.
"""
from __future__ import annotations

import re
import time

import pytest

from host.contracts import SendError
from host.extensions import db
from host.testing.loopback import webhook
from host.testing.pytest_plugin import choose_language, sign_in_page

expect = pytest.importorskip("playwright.sync_api").expect

TAB_ORDER = ["Customer", "Call", "SMS", "WhatsApp", "Contacts", "Logs", "LiveChat"]
XSS = "<img src=x onerror=alert(1)><script>window.pwned=1</script>"


def inbound(app, message_id, sender="+15550001", body="Hello", **extra):
    response = webhook(app.test_client(), {"id": message_id, "from": sender, "body": body, **extra})
    assert response.status_code == 200, response.get_data(as_text=True)


def row(page, text):
    return page.locator(".chat-list .chat-row", has_text=text)


def view_button(page, view):
    return page.locator(f".views [data-view={view}]")


def open_chat(page, text):
    row(page, text).click()
    expect(page.locator(".chat-title")).to_have_text(text)
    expect(page.locator(".transcript")).to_have_attribute("aria-busy", "false")


def chat_id_of(page, text) -> int:
    return int(row(page, text).get_attribute("data-chat-id"))


# --- the main flow ---------------------------------------------------------------------

def test_chat_arrives_live_and_a_reply_is_sent(app, console, live_server):
    page = console
    expect(view_button(page, "queued")).to_have_attribute("aria-selected", "true")
    expect(page.locator(".chat-list .empty-state")).to_contain_text("No chats waiting.")
    expect(page.locator(".chat-list .empty-state")).to_contain_text("New conversations will appear here.")
    expect(view_button(page, "queued").locator(".view-count")).to_have_text("0")

    inbound(app, "in-1", body="Hello", profile={"name": "Maria Lopez"})

    new_row = row(page, "Maria Lopez")
    expect(new_row).to_be_visible()
    expect(new_row.locator(".unread-count")).to_have_text("1")
    expect(new_row.locator(".row-preview")).to_have_text("Hello")
    expect(new_row.locator(".badge.channel")).to_have_text("Loopback")
    expect(view_button(page, "queued").locator(".view-count")).to_have_text("1")
    expect(page).to_have_title("(1) Switchboard")
    assert page.evaluate("window.switchboardBeeps") >= 1

    chat_id = chat_id_of(page, "Maria Lopez")
    open_chat(page, "Maria Lopez")
    expect(page).to_have_url(f"{live_server.url}/console/chats/{chat_id}")
    expect(page.locator(".transcript .msg-in .msg-body")).to_have_text(["Hello"])
    expect(new_row.locator(".unread-count")).to_have_count(0)
    expect(page).to_have_title(re.compile(r"^(?!\(\d+\)).*Switchboard"))
    expect(page.locator(".chat-head .status-pill")).to_have_attribute("data-status", "queued")

    # A second customer message arrives in the open transcript, not as unread.
    inbound(app, "in-2", body="Are you there?")
    expect(page.locator(".transcript .msg-in .msg-body")).to_have_text(["Hello", "Are you there?"])
    expect(new_row.locator(".unread-count")).to_have_count(0)

    composer = page.locator(".composer-input")
    composer.fill("Hi Maria!")
    composer.press("Shift+Enter")
    composer.type("How can I help?")
    expect(page.locator(".composer-counter")).to_have_text("25 / 1600")
    composer.press("Enter")

    reply = page.locator(".transcript .msg-out").last
    expect(reply.locator(".msg-body")).to_have_text("Hi Maria!\nHow can I help?")
    expect(reply).to_have_attribute("data-status", "sent")
    expect(reply.locator(".ticks")).to_have_attribute("data-status", "sent")
    expect(reply.locator(".msg-author")).to_have_text("Sam Agent")
    expect(composer).to_have_value("")
    # Replying took the queued chat: it is now in My chats, assigned to me.
    expect(view_button(page, "mine")).to_have_attribute("aria-selected", "true")
    expect(row(page, "Maria Lopez").locator(".row-preview")).to_have_text("You: Hi Maria! How can I help?")
    expect(page.locator(".chat-head .chat-assignee")).to_contain_text("You")
    assert page.js_errors == []


def test_unread_messages_for_other_chats_bump_the_count_and_move_to_top(app, console):
    page = console
    inbound(app, "a-1", sender="+15550001", body="First customer", profile={"name": "Ann"})
    inbound(app, "b-1", sender="+15550002", body="Second customer", profile={"name": "Ben"})
    expect(page.locator(".chat-list .row-name")).to_have_text(["Ben", "Ann"])
    open_chat(page, "Ben")

    inbound(app, "a-2", sender="+15550001", body="Anyone?")
    inbound(app, "a-3", sender="+15550001", body="Hello??")
    expect(page.locator(".chat-list .row-name")).to_have_text(["Ann", "Ben"])
    expect(row(page, "Ann").locator(".unread-count")).to_have_text("3")
    expect(row(page, "Ann").locator(".row-preview")).to_have_text("Hello??")
    expect(page).to_have_title("(3) Switchboard")
    expect(page.locator(".transcript .msg-body")).to_have_text(["Second customer"])


def test_sidebar_shows_plugin_tabs_in_order_and_each_renders(app, console):
    page = console
    inbound(app, "in-1", sender="+15550001", body="Hi", profile={"name": "Maria Lopez"})
    open_chat(page, "Maria Lopez")

    titles = page.locator(".pane-details .widget-tab .widget-tab-title")
    expect(titles.first).to_be_visible()
    assert titles.all_text_contents()[:len(TAB_ORDER)] == TAB_ORDER

    details = page.locator(".pane-details")
    # The plugins' teams replace these tabs with richer ones, so beyond the customer's
    # address and name only "it loaded and shows something" is checked.
    anything = re.compile(r"\S")
    checks = {"customer": "+15550001", "sms": anything, "whatsapp": anything,
              "contacts": "Maria Lopez", "logs": anything, "livechat": anything}
    for key, text in checks.items():
        details.locator(f".widget-tab[data-tab={key}]").click()
        panel = details.locator(f".widget-panel[data-tab={key}]")
        expect(panel).to_be_visible()
        expect(panel.locator(".widget-body")).not_to_have_text(re.compile(r"^\s*Loading…\s*$"))
        expect(panel.locator(".widget-body")).to_contain_text(text)
        expect(panel.locator(".tab-error")).to_have_count(0)
        expect(details.locator(f".widget-tab[data-tab={key}]")).to_have_attribute("aria-selected", "true")

    # The selected tab is kept, and remounted for the next chat.
    inbound(app, "in-2", sender="+15550002", body="Other", profile={"name": "Omar"})
    details.locator(".widget-tab[data-tab=customer]").click()
    expect(details.locator(".widget-panel[data-tab=customer]")).to_contain_text("+15550001")
    open_chat(page, "Omar")
    expect(details.locator(".widget-tab[data-tab=customer]")).to_have_attribute("aria-selected", "true")
    expect(details.locator(".widget-panel[data-tab=customer]")).to_contain_text("+15550002")

    # Contacts' "Open" opens that customer's chat in the console.
    details.locator(".widget-tab[data-tab=contacts]").click()
    details.locator(".item", has_text="Maria Lopez").get_by_role("button", name=re.compile("Open")).click()
    expect(page.locator(".chat-title")).to_have_text("Maria Lopez")


def test_a_tab_whose_script_fails_shows_a_friendly_error(app, console):
    """The test loopback plugin registers a tab whose script doesn't exist."""
    page = console
    inbound(app, "in-1", body="Hi", profile={"name": "Maria Lopez"})
    open_chat(page, "Maria Lopez")
    page.locator(".widget-tab[data-tab=loopback]").click()
    error = page.locator(".widget-panel[data-tab=loopback] .tab-error")
    expect(error).to_contain_text("couldn't be loaded")
    expect(error.get_by_role("button", name="Try again")).to_be_visible()
    # The console still works.
    page.locator(".composer-input").fill("Still here")
    page.locator(".composer-input").press("Enter")
    expect(page.locator(".transcript .msg-out").last).to_have_attribute("data-status", "sent")
    assert page.js_errors == []


def test_message_bodies_are_shown_as_text_never_as_html(app, console):
    page = console
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    inbound(app, "x-1", body=XSS, profile={"name": "<b>Mallory</b>"})

    mallory = row(page, "<b>Mallory</b>")
    expect(mallory.locator(".row-preview")).to_have_text(XSS)
    mallory.click()
    expect(page.locator(".chat-title")).to_have_text("<b>Mallory</b>")
    expect(page.locator(".transcript .msg-body")).to_have_text([XSS])
    expect(page.locator(".transcript img")).to_have_count(0)
    expect(page.locator(".pane-details .widget-panel[data-tab=customer]")).to_contain_text("<b>Mallory</b>")
    assert page.evaluate("window.pwned") is None
    assert dialogs == []


def test_failed_delivery_shows_the_error_under_the_message(app, console, loopback):
    page = console
    inbound(app, "in-1", body="Hello", profile={"name": "Maria Lopez"})
    open_chat(page, "Maria Lopez")
    loopback.channel.fail_next.append(SendError("The number is not reachable.", code="21211"))
    page.locator(".composer-input").fill("Are you still there?")
    page.locator(".composer-input").press("Enter")
    failed = page.locator(".transcript .msg-out").last
    expect(failed).to_have_attribute("data-status", "failed")
    expect(failed.locator(".msg-error")).to_have_text("The number is not reachable.")
    color = failed.locator(".msg-error").evaluate("el => getComputedStyle(el).color")
    red, green, blue = map(int, re.findall(r"\d+", color)[:3])
    assert red > 150 and green < 80 and blue < 80, color


def test_a_failed_sends_reason_arrives_in_the_agents_language(app, browser_page, live_server, agent, loopback):
    """The push carries the worker's English sentence; the bubble shows the agent's own, live."""
    from plugins.twilio_channel.messaging.sender import explain_known

    loopback.channel.explain_failure = explain_known  # a channel that words its codes (Twilio's words)
    agent.language = "es"
    db.session.commit()
    page = browser_page
    sign_in_page(page, live_server.url, agent.email)
    expect(page.locator(".conn")).to_have_attribute("data-state", "connected")
    inbound(app, "in-1", body="Hola", profile={"name": "Maria Lopez"})
    open_chat(page, "Maria Lopez")
    loopback.channel.fail_next.append(SendError("The number is not valid.", code="21211"))
    page.locator(".composer-input").fill("¿Sigues ahí?")
    page.locator(".composer-input").press("Enter")
    failed = page.locator(".transcript .msg-out").last
    expect(failed).to_have_attribute("data-status", "failed")
    expect(failed.locator(".msg-error")).to_have_text(
        "El número de teléfono del cliente no es válido. Revisa que no tenga errores y que incluya el "
        "prefijo del país (error de Twilio 21211).")
    assert page.js_errors == []


def test_a_reason_pushed_while_the_chat_is_loading_is_shown_in_the_agents_language(app, browser_page, live_server,
                                                                                   agent, loopback):
    """The transcript's read was answered before the message failed and reaches the page
    after the push: the reason the console reads again meanwhile is kept, not dropped."""
    from host.models import Message
    from plugins.twilio_channel.messaging.sender import explain_known

    loopback.channel.explain_failure = explain_known
    agent.language = "es"
    db.session.commit()
    page = browser_page
    sign_in_page(page, live_server.url, agent.email)
    expect(page.locator(".conn")).to_have_attribute("data-state", "connected")
    inbound(app, "in-1", sender="+15550001", body="Hola", profile={"name": "Maria Lopez"})
    inbound(app, "in-2", sender="+15550002", body="Buenas", profile={"name": "Bruno Díaz"})
    open_chat(page, "Maria Lopez")
    maria = chat_id_of(page, "Maria Lopez")
    page.locator(".composer-input").fill("¿Sigues ahí?")
    page.locator(".composer-input").press("Enter")
    expect(page.locator(".transcript .msg-out").last).to_have_attribute("data-status", "sent")
    view_button(page, "queued").click()  # replying took Maria's chat: it is in My chats now
    open_chat(page, "Bruno Díaz")
    view_button(page, "mine").click()

    held = []  # the first read of Maria's transcript: answered now, handed to the page later

    def hold_first_read(route):
        if route.request.method == "GET" and not held:
            held.append((route, route.fetch()))
        else:
            route.continue_()

    page.route(f"**/api/v1/chats/{maria}/messages", hold_first_read)
    row(page, "Maria Lopez").click()
    expect(page.locator(".chat-title")).to_have_text("Maria Lopez")
    expect(page.locator(".transcript")).to_have_attribute("aria-busy", "true")
    sent = db.session.execute(db.select(Message).where(Message.direction == "out")).scalar_one()
    with page.expect_response(lambda r: r.url.endswith(f"/chats/{maria}/messages") and r.request.method == "GET"):
        failed_status = {"type": "status", "id": sent.external_id, "status": "failed", "error_code": "21211"}
        assert webhook(app.test_client(), failed_status).status_code == 200
    assert len(held) == 1
    route, stale = held[0]
    route.fulfill(response=stale)
    failed = page.locator(".transcript .msg-out").last
    expect(failed).to_have_attribute("data-status", "failed")
    expect(failed.locator(".msg-error")).to_have_text(
        "El número de teléfono del cliente no es válido. Revisa que no tenga errores y que incluya el "
        "prefijo del país (error de Twilio 21211).")
    choose_language(page.context, live_server.url, "pl")  # the reason shown follows the new language
    expect(failed.locator(".msg-error")).to_contain_text("(błąd Twilio 21211).")
    assert page.js_errors == []


# --- transfer, archive, reopen ---------------------------------------------------------

def test_transfer_to_another_agent_moves_the_chat_out_of_my_chats(app, console, make_agent):
    page = console
    make_agent("bo@example.test", name="Bo Colleague")
    inbound(app, "in-1", body="Hello", profile={"name": "Maria Lopez"})
    open_chat(page, "Maria Lopez")
    page.locator("[data-action=accept]").click()
    expect(view_button(page, "mine")).to_have_attribute("aria-selected", "true")
    expect(row(page, "Maria Lopez")).to_be_visible()
    expect(view_button(page, "mine").locator(".view-count")).to_have_text("1")

    page.locator("[data-action=transfer]").click()
    dialog = page.locator("dialog.transfer-dialog")
    expect(dialog).to_be_visible()
    option = dialog.locator("select[name=agent_id] option", has_text="Bo Colleague")
    expect(option).to_have_count(1)
    dialog.locator("select[name=agent_id]").select_option(value=option.get_attribute("value"))
    dialog.get_by_role("button", name="Transfer").click()
    expect(dialog).to_have_count(0)

    expect(row(page, "Maria Lopez")).to_have_count(0)
    expect(page.locator(".chat-list .empty-state")).to_contain_text("You have no open chats.")
    expect(view_button(page, "mine").locator(".view-count")).to_have_text("0")
    expect(page.locator(".chat-head .chat-assignee")).to_contain_text("Bo Colleague")


def test_a_transfer_made_elsewhere_updates_my_list_live(app, console, agent, make_agent, api):
    page = console
    boss = make_agent("boss@example.test", role="admin", name="Boss")
    bo = make_agent("bo@example.test", name="Bo Colleague")
    inbound(app, "in-1", body="Hello", profile={"name": "Maria Lopez"})
    open_chat(page, "Maria Lopez")
    page.locator("[data-action=accept]").click()
    expect(view_button(page, "mine")).to_have_attribute("aria-selected", "true")
    expect(page.locator(".chat-head .chat-assignee")).to_contain_text("You")
    expect(row(page, "Maria Lopez")).to_be_visible()
    chat_id = chat_id_of(page, "Maria Lopez")

    response = api(boss).post(f"/api/v1/chats/{chat_id}/transfer", json={"agent_id": bo.id})
    assert response.status_code == 200, response.get_json()

    expect(row(page, "Maria Lopez")).to_have_count(0)
    expect(page.locator(".chat-head .chat-assignee")).to_contain_text("Bo Colleague")


def test_archive_then_reopen(app, console):
    page = console
    inbound(app, "in-1", body="Thanks, all sorted", profile={"name": "Maria Lopez"})
    open_chat(page, "Maria Lopez")
    page.locator("[data-action=accept]").click()
    expect(page.locator(".chat-head .status-pill")).to_have_attribute("data-status", "active")

    page.locator("[data-action=archive]").click()
    expect(page.locator(".chat-head .status-pill")).to_have_attribute("data-status", "archived")
    expect(page.locator(".composer-closed")).to_contain_text("This chat is archived")
    expect(page.locator(".composer")).to_be_hidden()
    expect(view_button(page, "archived").locator(".view-count")).to_have_text("1")
    view_button(page, "archived").click()
    expect(row(page, "Maria Lopez")).to_be_visible()

    page.locator(".chat-head [data-action=reopen]").click()
    expect(page.locator(".chat-head .status-pill")).to_have_attribute("data-status", "active")
    expect(view_button(page, "mine")).to_have_attribute("aria-selected", "true")
    expect(row(page, "Maria Lopez")).to_be_visible()
    expect(view_button(page, "archived").locator(".view-count")).to_have_text("0")
    expect(page.locator(".composer-input")).to_be_enabled()


# --- deep links and the standalone widget -----------------------------------------------

def test_deep_link_opens_the_chat(app, browser_page, live_server, agent):
    page = browser_page
    inbound(app, "in-1", body="Deep link me", profile={"name": "Maria Lopez"})
    sign_in_page(page, live_server.url, agent.email)
    chat_id = chat_id_of(page, "Maria Lopez")
    page.goto(f"{live_server.url}/console/chats/{chat_id}")
    expect(page.locator(".chat-title")).to_have_text("Maria Lopez")
    expect(page.locator(".transcript .msg-body")).to_have_text(["Deep link me"])
    expect(row(page, "Maria Lopez")).to_have_attribute("aria-current", "true")


def test_standalone_widget_follows_the_chat_it_is_given(app, browser_page, live_server, agent):
    page = browser_page
    inbound(app, "in-1", sender="+15550001", body="One", profile={"name": "Maria Lopez"})
    inbound(app, "in-2", sender="+15550002", body="Two", profile={"name": "Omar"})
    sign_in_page(page, live_server.url, agent.email)
    first, second = chat_id_of(page, "Maria Lopez"), chat_id_of(page, "Omar")

    page.goto(f"{live_server.url}/widget")
    expect(page.locator(".widget-empty")).to_contain_text("No chat selected")

    page.goto(f"{live_server.url}/widget?chat_id={first}")
    page.locator(".widget-tab[data-tab=customer]").click()
    expect(page.locator(".widget-panel[data-tab=customer]")).to_contain_text("+15550001")
    titles = page.locator(".widget-tab .widget-tab-title").all_text_contents()
    assert titles[:len(TAB_ORDER)] == TAB_ORDER

    page.evaluate("id => window.postMessage({type: 'switchboard:chat', chat_id: id}, '*')", second)
    expect(page.locator(".widget-panel[data-tab=customer]")).to_contain_text("+15550002")
    expect(page.locator(".widget-chat-title")).to_have_text("Omar")
    assert page.js_errors == []


# --- media and attention ------------------------------------------------------------------

def test_media_shows_images_inline_and_other_files_with_name_kind_open_and_download(app, console, live_server):
    from host.chats import receive
    from host.contracts import InboundMessage, Media

    page = console
    receive(InboundMessage(channel="loopback", external_id="m-1", from_address="+15550001", body="Photo and invoice",
                           profile={"name": "Maria Lopez"}, media=(
                               Media(f"{live_server.url}/static/favicon.svg", "image/svg+xml"),
                               Media(f"{live_server.url}/static/invoice-4411.pdf", "application/pdf"),
                               Media("javascript:alert(1)", "text/html"))))
    open_chat(page, "Maria Lopez")
    media = page.locator(".transcript .msg-media")
    expect(media.locator("img")).to_have_attribute("src", f"{live_server.url}/static/favicon.svg")
    document = media.locator(".media-file[data-content-type='application/pdf']")
    expect(document.locator(".media-file-name")).to_have_text("invoice-4411.pdf")
    expect(document.locator(".media-file-details")).to_have_text("PDF document · application/pdf")
    expect(document.get_by_role("link", name="Open invoice-4411.pdf")).to_have_attribute(
        "href", f"{live_server.url}/static/invoice-4411.pdf")
    expect(document.get_by_role("link", name="Download invoice-4411.pdf")).to_have_attribute("download", "invoice-4411.pdf")
    expect(media).to_contain_text("unsupported address")
    expect(page.locator(".transcript a[href^='javascript']")).to_have_count(0)


NOTIFICATION_STUB = """
window.__notifications = [];
class FakeNotification {
  constructor(title, options) { window.__notifications.push({title, body: options && options.body}); }
  close() {}
  static requestPermission() { FakeNotification.permission = "granted"; return Promise.resolve("granted"); }
}
FakeNotification.permission = "default";
window.Notification = FakeNotification;
"""


def test_notifications_are_asked_for_once_then_shown_for_new_messages(app, browser_page, live_server, agent):
    page = browser_page
    page.context.add_init_script(NOTIFICATION_STUB)
    sign_in_page(page, live_server.url, agent.email)
    button = page.get_by_role("button", name="Enable notifications")
    expect(button).to_be_visible()
    button.click()
    expect(button).to_be_hidden()

    inbound(app, "in-1", body="Is anyone there?", profile={"name": "Maria Lopez"})
    expect(row(page, "Maria Lopez")).to_be_visible()
    # polled from here: wait_for_function evaluates a string, which the page's CSP (no eval) refuses
    deadline = time.monotonic() + 10
    while not page.evaluate("window.__notifications.some(n => n.body === 'Is anyone there?')"):
        assert time.monotonic() < deadline, "no notification"
        time.sleep(0.05)
    assert {"title": "Maria Lopez", "body": "Is anyone there?"} in page.evaluate("window.__notifications")

    # Messages in the chat the agent is reading don't notify.
    open_chat(page, "Maria Lopez")
    count = page.evaluate("window.__notifications.length")
    inbound(app, "in-2", body="Hello?")
    expect(page.locator(".transcript .msg-body")).to_have_text(["Is anyone there?", "Hello?"])
    assert page.evaluate("window.__notifications.length") == count
