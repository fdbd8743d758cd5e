"""The Customer and Contacts tabs in headless Chromium: search, add, edit, live updates.

Only the contacts plugin is loaded (plus loopback and a stand-in "voice" channel so the
Call button shows); chats start through ``host.chats.receive`` on the sms channel key,
as a Twilio webhook would. Assertions use Playwright's auto-waiting ``expect``.
"""
from __future__ import annotations

import re

import pytest

from host import hookimpl
from host.chats import receive
from host.contracts import InboundMessage, SendResult
from host.testing.pytest_plugin import CHROMIUM_ARGS, show_details_pane, sign_in_page  # noqa: F401

expect = pytest.importorskip("playwright.sync_api").expect
pytestmark = pytest.mark.browser

class VoiceStandIn:
    """A channel keyed "voice" so the tabs render their Call buttons (the voice work wires them)."""

    class Channel:
        key = "voice"
        label = "Voice"

        def send(self, message):
            return SendResult(external_id="CA-test")

    @hookimpl
    def register_channels(self, app):
        return [self.Channel()]


@pytest.fixture
def switchboard_plugins():
    return "contacts"


@pytest.fixture
def extra_plugins(loopback):
    return [("loopback", loopback), ("voice-stand-in", VoiceStandIn())]


def customer_writes(number, body="Hello", name=None, message_id=[0]):  # noqa: B006 - a counter
    message_id[0] += 1
    receive(InboundMessage(channel="sms", external_id=f"SM-browser-{message_id[0]}", from_address=number,
                           to_address="+14155550000", body=body, profile={"name": name} if name else {}))


def console_page(context_factory, live_server, who):
    page = context_factory()
    sign_in_page(page, live_server.url, who.email)
    expect(page.locator(".conn")).to_have_attribute("data-state", "connected")
    return page


@pytest.fixture
def new_page(chromium, live_server):
    """More signed-in browsers: each its own context (cookies), outside traffic blocked."""
    contexts = []

    def make():
        context = chromium.new_context(viewport={"width": 1400, "height": 900})
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(
            ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")) else route.abort())
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.js_errors = []
        page.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
        return page

    yield make
    for context in contexts:
        context.close()


def open_chat(page, title):
    page.locator(".views button, .views a", has_text=re.compile("Queue", re.I)).first.click()
    page.locator(".chat-list .chat-row", has_text=title).click()
    expect(page.locator(".chat-title")).to_have_text(title)


def tab(page, key):
    page.locator(f".pane-details .widget-tab[data-tab={key}]").click()
    return page.locator(f".pane-details .widget-panel[data-tab={key}]")


def test_search_add_edit_and_live_customer_tab(app, agent, make_agent, live_server, new_page):
    colleague = make_agent("colleague@example.test", name="Cleo Colleague")
    customer_writes("+14155550123", "Where is my order?", name="Maria Lopez")
    customer_writes("+442079460958", "Hello from London", name="Mario Rossi")
    sam = console_page(new_page, live_server, agent)
    cleo = console_page(new_page, live_server, colleague)

    # Both agents have Maria's chat open on the Customer tab.
    for page in (sam, cleo):
        open_chat(page, "Maria Lopez")
        customer = tab(page, "customer")
        expect(customer.locator(".customer-name")).to_have_text("Maria Lopez")
        expect(customer).to_contain_text("+14155550123")
        expect(customer.locator(".ct-consent li")).to_contain_text(["SMS · +14155550123"])
        expect(customer.locator(".ct-consent .badge")).to_have_text(["Subscribed"])

    # Search as you type: a name prefix, digits in another format, no match.
    contacts = tab(sam, "contacts")
    expect(contacts.locator(".ct-list .item")).to_have_count(2)
    search = contacts.get_by_role("searchbox", name="Search contacts")
    search.fill("mar")
    expect(contacts.locator(".ct-list .item-title")).to_have_text(["Maria Lopez", "Mario Rossi"])
    search.fill("(415) 555-01")
    expect(contacts.locator(".ct-list .item-title")).to_have_text(["Maria Lopez"])
    search.fill("7946 0958")
    expect(contacts.locator(".ct-list .item-title")).to_have_text(["Mario Rossi"])
    search.fill("nobody at all")
    expect(contacts.locator(".ct-list")).to_contain_text("No match")
    search.fill("")

    # Add: a field error first, then the contact; a duplicate number points at it.
    contacts.get_by_role("button", name="+ Add").click()
    form = contacts.locator("form.tab-form")
    form.get_by_label("Name").fill("Ben Jones")
    form.get_by_label("Phone").fill("555-CALL")
    form.get_by_role("button", name="Add contact").click()
    expect(form.locator(".field.has-error")).to_contain_text("may only contain digits")
    form.get_by_label("Phone").fill("(415) 555-0199")
    form.get_by_role("button", name="Add contact").click()
    expect(contacts.locator(".ct-notice")).to_have_text("Contact added.")
    expect(contacts.locator(".customer-name")).to_have_text("Ben Jones")
    expect(contacts.locator(".kv")).to_contain_text("+14155550199")
    contacts.get_by_role("button", name="← All contacts").click()
    contacts.get_by_role("button", name="+ Add").click()
    form.get_by_label("Name").fill("Benjamin J.")
    form.get_by_label("WhatsApp").fill("+1 415 555 0199")
    form.get_by_role("button", name="Add contact").click()
    expect(form.locator("[role=alert]").last).to_contain_text("already belongs to Ben Jones")
    form.get_by_role("button", name="Show Ben Jones").click()
    expect(contacts.locator(".customer-name")).to_have_text("Ben Jones")

    # Edit Maria in Sam's Customer tab; Cleo's Customer tab changes without a reload.
    customer = tab(sam, "customer")
    customer.get_by_role("button", name=re.compile("Edit")).click()
    edit = customer.locator("form.tab-form")
    edit.get_by_label("Name").fill("Maria Lopez-Garcia")
    edit.get_by_label("Email").fill("maria@example.com")
    edit.get_by_label("Preferred channel").select_option("whatsapp")
    edit.get_by_role("button", name="Save").click()
    expect(customer.locator(".customer-name")).to_have_text("Maria Lopez-Garcia")
    cleo_customer = cleo.locator(".pane-details .widget-panel[data-tab=customer]")
    expect(cleo_customer.locator(".customer-name")).to_have_text("Maria Lopez-Garcia")
    expect(cleo_customer).to_contain_text("maria@example.com")
    expect(cleo_customer.locator(".kv")).to_contain_text("WhatsApp")

    # A note from Sam shows up in Cleo's tab too, signed with Sam's name.
    customer.get_by_role("textbox", name="New note").fill("Promised a call back on Monday")
    customer.get_by_role("button", name="Add note").click()
    expect(cleo_customer.locator(".ct-note")).to_contain_text(["Promised a call back on Monday"])
    expect(cleo_customer.locator(".ct-note small")).to_contain_text(["Sam Agent"])

    # Call: a DOM event for the voice work, with the contact and the number.
    sam.evaluate("window.addEventListener('switchboard:call', (e) => { window.lastCall = e.detail; })")
    customer.get_by_role("button", name="Call Maria Lopez-Garcia").click()
    call = sam.evaluate("window.lastCall")
    assert call["address"] == "+14155550123" and isinstance(call["contact_id"], int)

    assert sam.js_errors == [] and cleo.js_errors == []


def test_delete_with_confirmation_and_open_a_contacts_chat(app, agent, live_server, new_page):
    customer_writes("+14155550123", "First", name="Maria Lopez")
    customer_writes("+14155550199", "Second", name="Omar Haddad")
    page = console_page(new_page, live_server, agent)
    open_chat(page, "Maria Lopez")
    contacts = tab(page, "contacts")

    # "Open" jumps to the contact's chat.
    contacts.locator(".item", has_text="Omar Haddad").get_by_role("button", name=re.compile("Open")).click()
    expect(page.locator(".chat-title")).to_have_text("Omar Haddad")
    expect(page.locator(".transcript .msg-body")).to_have_text(["Second"])  # the tabs remount for it

    # The detail view lists the chats; delete asks first, and Cancel keeps the contact.
    contacts.get_by_role("button", name="Show Omar Haddad").click()
    expect(contacts.locator(".ct-chats .item")).to_contain_text(["SMS · Waiting"])
    contacts.get_by_role("button", name="Delete").click()
    dialog = page.locator("dialog.ct-confirm")
    expect(dialog).to_contain_text("Delete Omar Haddad?")
    dialog.get_by_role("button", name="Cancel").click()
    expect(contacts.locator(".customer-name")).to_have_text("Omar Haddad")
    contacts.get_by_role("button", name="Delete").click()
    dialog.get_by_role("button", name="Delete").click()
    expect(contacts.locator(".ct-list .item-title")).to_have_text(["Maria Lopez"])
    # The Customer tab of Omar's open chat now offers to create a profile again.
    expect(tab(page, "customer").get_by_role("button", name="Create profile")).to_be_visible()
    assert page.js_errors == []


def test_csv_import_shows_progress_and_a_per_row_report(app, agent, admin, live_server, new_page):
    customer_writes("+14155550123", "Hi", name="Maria Lopez")
    # Agents have no Import or Export: those read and write every group's customers.
    page = console_page(new_page, live_server, agent)
    open_chat(page, "Maria Lopez")
    expect(tab(page, "contacts").get_by_role("button", name="+ Add")).to_be_visible()
    expect(tab(page, "contacts").get_by_role("button", name="Import CSV")).to_have_count(0)
    expect(tab(page, "contacts").get_by_role("link", name="Export CSV")).to_have_count(0)
    page.context.close()
    page = console_page(new_page, live_server, admin)
    open_chat(page, "Maria Lopez")
    contacts = tab(page, "contacts")
    contacts.get_by_role("button", name="Import CSV").click()

    rows = ["name,email,phone,whatsapp,preferred_channel,group,notes"]
    for i in range(1200):
        if i == 10:
            rows.append("Broken,not-an-email,555-CALL,,,,")
        else:
            rows.append(f'Person {i},p{i}@example.com,+1 212 555 {i:04d},,,,"Imported\n\nfrom a file"')
    data = ("\n".join(rows) + "\n").encode()
    contacts.locator("input[type=file]").set_input_files(
        {"name": "contacts.csv", "mimeType": "text/csv", "buffer": data})
    contacts.get_by_role("button", name="Import", exact=True).click()
    status = contacts.locator(".ct-import [role=status]")
    expect(status).to_contain_text("Done: 1,199 added", timeout=60_000)  # counts in the agent's number format
    expect(contacts.locator(".ct-import progress")).to_have_attribute("value", "1200")
    expect(contacts.locator(".ct-errors tbody tr")).to_have_count(2)
    expect(contacts.locator(".ct-errors tbody tr").first).to_contain_text("12")
    expect(contacts.locator(".ct-errors")).to_contain_text("not-an-email")

    contacts.get_by_role("button", name="← All contacts").click()
    contacts.get_by_role("searchbox", name="Search contacts").fill("212 555 1199")
    expect(contacts.locator(".ct-list .item-title")).to_have_text(["Person 1199"])
    assert page.js_errors == []


def test_admins_see_consent_history_and_clear_an_opt_out_with_a_reason(app, admin, agent, live_server, new_page,
                                                                     tmp_path):
    import os
    from pathlib import Path

    customer_writes("+14155550123", "Where is my order?", name="Maria Lopez")
    receive(InboundMessage(channel="sms", external_id="SM-browser-stop", from_address="+14155550123",
                           to_address="+14155550000", body="Stop", opt_out="stop"))
    folder = Path(os.environ.get("SWITCHBOARD_SCREENSHOTS") or tmp_path)

    # An agent sees the state only.
    sam = console_page(new_page, live_server, agent)
    open_chat(sam, "Maria Lopez")
    customer = tab(sam, "customer")
    expect(customer.locator(".ct-consent .badge")).to_have_text(["Opted out"])
    expect(customer.get_by_role("button", name=re.compile("History|Clear opt-out"))).to_have_count(0)

    ada = console_page(new_page, live_server, admin)
    open_chat(ada, "Maria Lopez")
    customer = tab(ada, "customer")
    entry = customer.locator(".ct-consent-entry", has_text="+14155550123")
    expect(entry.locator(".badge")).to_have_text("Opted out")
    entry.get_by_role("button", name="History (1)").click()
    expect(entry.locator(".ct-history li")).to_contain_text(["Opted out: the customer texted “Stop”."])

    entry.get_by_role("button", name="Clear opt-out…").click()
    form = entry.locator("form.ct-clear-form")
    expect(form).to_contain_text("Twilio keeps refusing messages until they text START")
    form.get_by_role("button", name="Clear opt-out").click()
    expect(form.locator("[role=alert]")).to_contain_text("Say why the opt-out is cleared")
    for width, height in ((390, 844), (1440, 900), (2560, 1440)):
        ada.set_viewport_size({"width": width, "height": height})
        show_details_pane(ada)
        entry.scroll_into_view_if_needed()
        ada.screenshot(path=str(folder / f"consent-clear-{width}.png"))
    ada.set_viewport_size({"width": 1400, "height": 900})
    form.get_by_label("Reason").fill("Signed the paper consent form at the counter")
    form.get_by_role("button", name="Clear opt-out").click()
    expect(entry.locator(".badge")).to_have_text("Subscribed")
    expect(entry.locator(".ct-history li")).to_contain_text([
        "Opt-out cleared by Ada Admin: Signed the paper consent form at the counter",
        "Opted out: the customer texted “Stop”."])
    ada.screenshot(path=str(folder / "consent-history-1400.png"))
    # The agent's tab follows (contact:updated).
    expect(tab(sam, "customer").locator(".ct-consent .badge")).to_have_text(["Subscribed"])
    assert ada.js_errors == [] and sam.js_errors == []
