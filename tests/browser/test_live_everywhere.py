"""Live everywhere: a customer's rename, a chat's move to another group and its
reassignment reach every open console and widget without a reload."""
from __future__ import annotations

import pytest

from host.extensions import db
from host.models import Chat, Group
from host.testing.loopback import webhook
from host.testing.pytest_plugin import blocked_page, sign_in_page

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture
def pages(chromium):
    opened = []

    def new():
        page = blocked_page(chromium)
        opened.append(page)
        return page
    yield new
    for page in opened:
        page.context.close()


def console_of(page, live_server, who):
    sign_in_page(page, live_server.url, who.email)
    expect(page.locator(".conn")).to_have_attribute("data-state", "connected")
    return page


def test_renames_moves_and_reassignments_reach_open_consoles_and_widgets(app, live_server, agent, make_agent,
                                                                         api, pages):
    kim = make_agent("kim@example.test", name="Kim Colleague")
    make_agent("sales@example.test", groups=("Sales",))
    response = webhook(app.test_client(), {"id": "m1", "from": "+15550001", "body": "Hello",
                                           "profile": {"name": "Maria"}})
    assert response.status_code == 200
    chat = db.session.execute(db.select(Chat)).scalar_one()
    assert api(agent).post(f"/api/v1/chats/{chat.id}/accept").status_code == 200

    sam_page = console_of(pages(), live_server, agent)
    sam_page.locator('.views [data-view="mine"]').click()
    sam_page.locator(f'.chat-row[data-chat-id="{chat.id}"]').click()
    expect(sam_page.locator(".chat-title")).to_have_text("Maria")
    kim_page = console_of(pages(), live_server, kim)   # lists only: Kim sees Support's chats
    widget = pages()
    sign_in_page(widget, live_server.url, kim.email)
    widget.goto(f"{live_server.url}/widget?chat_id={chat.id}")
    expect(widget.locator(".widget-chat-title")).to_have_text("Maria")

    # a rename made elsewhere (the contacts API, as the Customer tab does it)
    contact = api(agent).post(f"/api/v1/contacts/for-chat/{chat.id}").get_json()["contact"]
    assert api(kim).patch(f"/api/v1/contacts/{contact['id']}", json={"name": "Maria Lopez"}).status_code == 200
    expect(sam_page.locator(".chat-title")).to_have_text("Maria Lopez")
    expect(sam_page.locator(f'.chat-row[data-chat-id="{chat.id}"] .row-name')).to_have_text("Maria Lopez")
    expect(widget.locator(".widget-chat-title")).to_have_text("Maria Lopez")

    # reassigned to Kim: Sam's header says so, Kim's "My chats" has it, at once
    assert api(agent).post(f"/api/v1/chats/{chat.id}/transfer", json={"agent_id": kim.id}).status_code == 200
    expect(sam_page.locator(".chat-assignee")).to_contain_text("Kim Colleague")
    expect(sam_page.locator(f'.chat-list .chat-row[data-chat-id="{chat.id}"]')).to_have_count(0)
    kim_page.locator('.views [data-view="mine"]').click()
    expect(kim_page.locator(f'.chat-row[data-chat-id="{chat.id}"] .row-name')).to_have_text("Maria Lopez")

    # moved to Sales: the new group's name where it is still open, gone from Support's lists
    sales = db.session.execute(db.select(Group).where(Group.name == "Sales")).scalar_one()
    kim_page.locator(f'.chat-row[data-chat-id="{chat.id}"]').click()
    expect(kim_page.locator(".chat-group")).to_contain_text("Support")
    assert api(kim).post(f"/api/v1/chats/{chat.id}/transfer", json={"group_id": sales.id}).status_code == 200
    expect(kim_page.locator(f'.chat-list .chat-row[data-chat-id="{chat.id}"]')).to_have_count(0)
    for page in (kim_page, sam_page):   # both had it open
        expect(page.locator(".pane-chat")).to_contain_text("This chat was moved to Sales, which you're not in.")
    for page in (sam_page, kim_page, widget):
        assert page.js_errors == []
