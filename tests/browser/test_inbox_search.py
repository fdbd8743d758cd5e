"""The search box over the chat lists in a real browser: customers and messages,
highlighted words, filters, opening a found message; screenshots at three sizes."""
from __future__ import annotations

import os

import pytest

from host.extensions import db
from host.models import Chat, Group
from host.testing.loopback import webhook

expect = pytest.importorskip("playwright.sync_api").expect
SIZES = [(390, 844), (1024, 768), (1440, 900)]
SHOTS = os.environ.get("SWITCHBOARD_SCREENSHOTS")


def inbound(app, message_id, sender, body, name=""):
    response = webhook(app.test_client(), {"id": message_id, "from": sender, "body": body,
                                           **({"profile": {"name": name}} if name else {})})
    assert response.status_code == 200


def test_search_finds_customers_and_messages_and_opens_the_message(app, console, make_agent):
    page = console
    inbound(app, "m1", "+15550001", "Hello, where is my refund for order 1234?", name="Maria Lopez")
    inbound(app, "m2", "+15550001", "Thanks!")
    inbound(app, "m3", "+15550002", "I want a refund, the box was damaged", name="Refunda Smith")
    inbound(app, "m4", "+15550003", "A refund for someone else's group", name="Hidden Person")
    hidden = db.session.execute(db.select(Chat).where(Chat.customer_address == "+15550003")).scalar_one()
    hidden.group_id = db.session.execute(db.select(Group.id).where(Group.name == "Sales")).scalar_one_or_none() or \
        make_agent("sales@example.test", groups=("Sales",)).groups[0].id
    db.session.commit()

    box = page.get_by_role("searchbox", name="Search customers and messages")
    box.fill("refund")
    results = page.locator(".search-results")
    expect(results.locator(".search-heading")).to_have_text(["Customers", "Messages"])
    expect(results.locator(".search-row:not(.message-hit) .row-name")).to_have_text(["Refunda Smith"])
    hits = results.locator(".message-hit")
    expect(hits).to_have_count(2)  # not the Sales customer's
    expect(hits.first.locator(".hit-text mark")).to_have_text("refund")
    expect(results).not_to_contain_text("Hidden Person")
    expect(page.locator(".views")).to_be_hidden()
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        expect(hits).to_have_count(2)
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, f"search-results-{width}.png"))
    page.set_viewport_size({"width": 1440, "height": 900})

    hits.filter(has_text="Maria Lopez").click()
    expect(page.locator(".chat-title")).to_have_text("Maria Lopez")
    found = page.locator(".transcript .msg.is-found")
    expect(found).to_contain_text("where is my refund")

    # Filters: status and unread; the count shows on the button.
    page.get_by_role("button", name="Filters").click()
    page.get_by_label("Status").select_option(label="Archived")
    expect(page.locator(".filter-count")).to_have_text("1")
    expect(page.locator(".search-status")).to_contain_text("Nothing found for “refund” with these filters")
    page.get_by_label("Status").select_option(label="Waiting")
    expect(results.locator(".message-hit")).to_have_count(2)
    page.get_by_label("Unread only").check()
    expect(page.locator(".filter-count")).to_have_text("2")
    expect(results.locator(".message-hit .row-name")).to_have_text(["Refunda Smith"])  # Maria's was just read
    group_options = page.get_by_label("Group").locator("option").all_text_contents()
    assert group_options == ["All groups", "Support"]  # not Sales: its chats are not this agent's
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "search-filters-1440.png"))

    page.get_by_role("button", name="Clear all").click()
    expect(box).to_have_value("")
    expect(page.locator(".views")).to_be_visible()
    expect(results).to_be_hidden()
    box.fill("zzzz")
    expect(page.locator(".search-status")).to_have_text("Nothing found for “zzzz”. Try fewer words.")
    box.press("Escape")
    expect(page.locator(".views")).to_be_visible()
    assert page.js_errors == []
