"""Canned replies in a real browser: "/" in the reply box, variables filled in, the
Replies page; screenshots at phone, laptop and desktop sizes."""
from __future__ import annotations

import os

import pytest

from host.extensions import db
from host.models import CannedReply, Group
from host.testing.loopback import webhook
from host.testing.pytest_plugin import sign_in_page

expect = pytest.importorskip("playwright.sync_api").expect
SIZES = [(390, 844), (1024, 768), (1440, 900)]
SHOTS = os.environ.get("SWITCHBOARD_SCREENSHOTS")  # a folder: save what each size looks like


def shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}-{page.viewport_size['width']}.png"))


def support_id():
    return db.session.execute(db.select(Group.id).where(Group.name == "Support")).scalar_one()


def add(shortcut, body, agent=None, group_id=None, title=""):
    db.session.add(CannedReply(shortcut=shortcut, body=body, title=title, agent_id=agent.id if agent else None,
                               group_id=group_id, created_by_id=None))
    db.session.commit()


def test_slash_inserts_a_reply_with_the_customer_and_agent_filled_in(app, console, agent, loopback):
    page = console
    add("thanks", "Thanks {{customer.first_name}}, {{agent.first_name}} here. Anything else?", agent=agent)
    add("refund", "Refunds take 5 days, {{customer.name}}.", group_id=support_id(), title="Refund policy")
    response = webhook(app.test_client(), {"id": "in-1", "from": "+15550001", "body": "Hello",
                                           "profile": {"name": "Maria Lopez"}})
    assert response.status_code == 200
    page.locator(".chat-list .chat-row", has_text="Maria Lopez").click()
    expect(page.locator(".transcript")).to_have_attribute("aria-busy", "false")

    composer = page.locator(".composer-input")
    expect(page.locator(".composer-attach")).to_be_hidden()  # the loopback channel carries no files
    composer.type("/")
    options = page.locator(".reply-picker .reply-option")
    expect(options).to_have_count(2)
    expect(options.first).to_have_attribute("aria-selected", "true")
    expect(options.first).to_contain_text("Thanks Maria, Sam here. Anything else?")
    expect(options.nth(1).locator(".reply-scope")).to_have_text("Support")
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        expect(options).to_have_count(2)
        shot(page, "composer-replies")
    composer.type("ref")  # filters: only /refund is left
    expect(options).to_have_count(1)
    composer.press("Enter")  # inserts, does not send
    expect(composer).to_have_value("Refunds take 5 days, Maria Lopez.")
    expect(page.locator(".reply-picker")).to_be_hidden()
    assert loopback.channel.sent == []

    # Mid-sentence, arrows and Tab; Escape leaves the typed text alone.
    composer.fill("")
    composer.type("Hello! /")
    expect(options).to_have_count(2)
    composer.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    composer.press("Escape")
    expect(page.locator(".reply-picker")).to_be_hidden()
    expect(composer).to_have_value("Hello! /")
    composer.type("th")
    expect(options).to_have_count(1)
    composer.press("Tab")
    expect(composer).to_have_value("Hello! Thanks Maria, Sam here. Anything else?")
    composer.press("Enter")
    expect(page.locator(".transcript .msg-out .msg-body").last).to_have_text("Hello! Thanks Maria, Sam here. Anything else?")
    expect(page.locator(".transcript .msg-out").last).to_have_attribute("data-status", "sent")
    assert [m.body for m in loopback.channel.sent] == ["Hello! Thanks Maria, Sam here. Anything else?"]

    # No match: Enter sends what was typed.
    composer.type("/nothing-like-this")
    expect(page.locator(".reply-picker-note")).to_contain_text("No canned reply matches")
    composer.press("Enter")
    expect(page.locator(".transcript .msg-out .msg-body").last).to_have_text("/nothing-like-this")
    assert page.js_errors == []


def test_the_replies_page_adds_edits_and_deletes(browser_page, live_server, agent):
    page = browser_page
    add("hours", "We're open 9 to 5.", group_id=support_id(), title="Opening hours")
    sign_in_page(page, live_server.url, agent.email)
    page.goto(f"{live_server.url}/replies")
    expect(page.locator(".reply-card[data-shortcut=hours]")).to_contain_text("We're open 9 to 5.")

    page.get_by_label("Shortcut").first.fill("Bad Shortcut")
    page.locator("#new-body").fill("Hi {{customer.first_name}}")
    page.get_by_role("button", name="Save reply").click()
    expect(page.locator(".reply-form .form-error")).to_contain_text("lowercase letters")
    expect(page.locator("#new-shortcut")).to_have_attribute("aria-invalid", "")

    page.locator("#new-shortcut").fill("greet")
    page.get_by_role("button", name="Customer's first name").click()  # at the caret: the end
    expect(page.locator("#new-body")).to_have_value("Hi {{customer.first_name}}{{customer.first_name}}")
    page.locator("#new-body").fill("Hi {{customer.first_name}}, {{agent.first_name}} here.")
    expect(page.locator(".reply-form .reply-preview")).to_have_text("Preview: Hi Maria, Sam here.")
    page.get_by_label("Who can use it").select_option(label="Everyone in Support")
    page.get_by_role("button", name="Save reply").click()
    card = page.locator(".reply-card[data-shortcut=greet]")
    expect(card).to_contain_text("Hi {{customer.first_name}}, {{agent.first_name}} here.")
    shared = db.session.execute(db.select(CannedReply).where(CannedReply.shortcut == "greet")).scalar_one()
    assert shared.group_id == support_id() and shared.agent_id is None
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        shot(page, "replies-page")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    page.get_by_role("button", name="Edit /hours").click()
    page.locator(f"#edit-{db.session.execute(db.select(CannedReply.id).where(CannedReply.shortcut == 'hours')).scalar_one()}-body").fill("We're open 8 to 6.")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".reply-card[data-shortcut=hours]")).to_contain_text("We're open 8 to 6.")

    page.get_by_role("button", name="Delete /hours").click()
    expect(page.locator(".reply-card[data-shortcut=hours]")).to_contain_text("Delete /hours for everyone in Support?")
    page.locator(".reply-card[data-shortcut=hours]").get_by_role("button", name="Delete").click()
    expect(page.locator(".reply-card[data-shortcut=hours]")).to_have_count(0)
    db.session.expire_all()
    assert [r.shortcut for r in db.session.execute(db.select(CannedReply)).scalars()] == ["greet"]
    assert page.js_errors == []
