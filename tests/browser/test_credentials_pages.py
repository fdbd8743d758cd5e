"""The profile page, the pages under the Content-Security-Policy, and a console whose
sign-in ends or whose groups change, in a real browser.

Screenshots go to ``$SWITCHBOARD_SCREENSHOTS`` when set (else the test's tmp folder).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from host.extensions import db
from host.models import Group
from host.testing.loopback import webhook
from host.testing.pytest_plugin import blocked_page, sign_in_page

expect = pytest.importorskip("playwright.sync_api").expect

SIZES = {"phone": (390, 844), "laptop": (1440, 900), "large": (2560, 1440)}
# Every Content-Security-Policy refusal on the page, kept for the test to read.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
"""


@pytest.fixture
def switchboard_config():
    return {"ACCESS_CHECK_SECONDS": 0.3}   # the live server checks open connections as production does


@pytest.fixture
def page(chromium, live_server):
    page = blocked_page(chromium, init_script=RECORD_VIOLATIONS)
    yield page
    page.context.close()


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("SWITCHBOARD_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def take(page, name):
        page.screenshot(path=str(folder / f"profile-{name}.png"), full_page=True)
    return take


def no_overflow(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_profile_page_at_phone_laptop_and_large_sizes(app, page, live_server, agent, api, shots):
    api(agent).post(f"/api/v1/agents/{agent.id}/tokens", json={
        "name": "Nightly report export", "expires_in_days": 90, "current_password": "correct-horse-battery"})
    api(agent).post(f"/api/v1/agents/{agent.id}/tokens", json={
        "name": "Old Zapier hook", "current_password": "correct-horse-battery"})
    sign_in_page(page, live_server.url, agent.email)
    page.goto(f"{live_server.url}/profile")
    revoke = page.locator(".cred", has_text="Old Zapier hook").get_by_role("button", name="Revoke")
    revoke.click()
    expect(page.locator(".flash-ok")).to_contain_text("was revoked")
    expect(page.locator(".cred", has_text="Old Zapier hook").locator(".badge")).to_have_text("Revoked")

    form = page.locator("#tokens form.profile-form")
    form.locator("input[name=name]").fill("Helpdesk dashboard")
    form.locator("select[name=expires_in_days]").select_option(label="30 days")
    form.locator("input[name=current_password]").fill("correct-horse-battery")
    form.get_by_role("button", name="Create token").click()
    expect(page.locator(".flash-token")).to_contain_text("sbt_")
    expect(page.locator(".cred", has_text="Helpdesk dashboard")).to_contain_text("Expires in 30 days")
    expect(page.locator("#sign-ins .cred", has_text="This browser")).to_be_visible()

    for name, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server.url}/profile")
        expect(page.locator("#password h2")).to_have_text("Password")
        assert no_overflow(page), f"the page scrolls sideways at {width} px"
        shots(page, name)
    assert page.evaluate("window.cspViolations") == [] and page.js_errors == []


def test_an_admin_sees_an_agents_credentials_and_sets_a_password(app, page, live_server, admin, agent, shots):
    sign_in_page(page, live_server.url, admin.email)
    page.goto(f"{live_server.url}/admin/agents")
    page.locator("tr", has_text=agent.email).get_by_role("link", name="Tokens and sign-ins").click()
    expect(page.locator("h1")).to_have_text(agent.name)
    expect(page.locator("#password h2")).to_have_text("Set a new password")
    page.set_viewport_size({"width": 1440, "height": 900})
    shots(page, "admin-view")
    page.goto(f"{live_server.url}/admin/agents")
    row = page.locator("tr", has_text=agent.email)
    row.locator("summary", has_text="Set a new password").click()
    row.locator("input[name=password]").fill("set-by-an-admin-1")
    row.get_by_role("button", name="Set password").click()
    expect(page.locator(".flash-ok")).to_contain_text("has a new password")
    page.set_viewport_size({"width": 1440, "height": 900})
    shots(page, "agents-page")


@pytest.mark.parametrize("path", ["/console", "/widget", "/profile", "/admin/agents", "/admin/plugins",
                                  "/simulator/phone"])
def test_pages_run_under_the_content_security_policy(app, page, live_server, admin, path):
    sign_in_page(page, live_server.url, admin.email)
    page.goto(f"{live_server.url}{path}")
    page.wait_for_load_state("networkidle")
    if path == "/simulator/phone":   # its scripts ran: the numbers and the call controls are there
        expect(page.locator("select[name=to] option").first).to_be_attached()
        expect(page.locator("#sim-call-state")).to_have_text(re.compile("No call|Last call"))
    if path in ("/console", "/widget"):
        expect(page.locator(".conn")).to_have_attribute("data-state", "connected")
    assert page.evaluate("window.cspViolations") == []
    assert page.js_errors == []


def test_the_console_says_so_when_the_sign_in_ends(app, page, live_server, agent, admin, api, shots):
    sign_in_page(page, live_server.url, agent.email)
    expect(page.locator(".conn")).to_have_attribute("data-state", "connected")
    assert api(admin).patch(f"/api/v1/agents/{agent.id}", json={"active": False}).status_code == 200
    notice = page.locator(".session-ended")
    expect(notice).to_contain_text("You're signed out", timeout=3000)
    expect(notice).to_contain_text("Your account was deactivated")
    expect(page.locator(".conn")).to_have_attribute("data-state", "ended")
    page.set_viewport_size({"width": 1440, "height": 900})
    shots(page, "console-signed-out")
    notice.get_by_role("link", name="Sign in again").click()
    page.wait_for_url(re.compile(r"/login"))


def test_the_console_follows_a_group_change_without_a_reload(app, page, live_server, agent, admin, api):
    webhook(app.test_client(), {"id": "g1", "from": "+15550001", "body": "Where is my order?"})
    sign_in_page(page, live_server.url, agent.email)
    rows = page.locator(".chat-list .chat-row")
    expect(rows).to_have_count(1)
    night = Group(name="Night shift")
    db.session.add(night)
    db.session.commit()
    assert api(admin).patch(f"/api/v1/agents/{agent.id}", json={"group_ids": [night.id]}).status_code == 200
    expect(rows).to_have_count(0, timeout=3000)
    expect(page.locator(".conn")).to_have_attribute("data-state", "connected")
