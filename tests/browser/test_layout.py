"""Every screen size: the main views at phone, laptop, desktop and large-screen sizes,
with no interactive elements overlapping, hidden under one another or cut at the side
(the top bar's "Sign out" included), and no sideways scrolling of the page. Narrow screens show list → chat → details one at a time.

Screenshots go to ``$SWITCHBOARD_SCREENSHOTS`` (default: the test's tmp dir).
"""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from host.extensions import db
from host.models import Chat, Group, Message, utcnow
from host.testing.pytest_plugin import sign_in_page

expect = pytest.importorskip("playwright.sync_api").expect

SIZES = {"small-phone": (360, 740), "phone": (390, 844), "laptop": (1024, 768), "desktop": (1440, 900),
         "large": (2560, 1440)}

# Interactive elements, each clipped by the scroll boxes it sits in; two that overlap (not
# one inside the other), or one whose centre another element covers, is a problem.
# Inside a closed <details> (its summary aside) nothing is drawn, yet Chromium still gives
# those elements boxes where they would be: they are not on the screen, so not checked.
FOLDED = """const folded = (el) => {
    const details = el.closest('details:not([open])');
    return Boolean(details) && !(el.tagName === 'SUMMARY' && el.parentElement === details);
  };"""
OVERLAPS = """() => {
  """ + FOLDED + """
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, audio[controls], '
    + '[role=tab], [role=button], [tabindex]:not([tabindex="-1"])';
  const clip = (el) => {
    const r = el.getBoundingClientRect();
    let box = { l: r.left, t: r.top, r: r.right, b: r.bottom };
    for (let p = el.parentElement; p && p !== document.documentElement; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (/(auto|scroll|hidden|clip)/.test(s.overflowX + s.overflowY)) {
        const q = p.getBoundingClientRect();
        box = { l: Math.max(box.l, q.left), t: Math.max(box.t, q.top), r: Math.min(box.r, q.right), b: Math.min(box.b, q.bottom) };
      }
    }
    box = { l: Math.max(box.l, 0), t: Math.max(box.t, 0), r: Math.min(box.r, innerWidth), b: Math.min(box.b, innerHeight) };
    return box.r - box.l > 1 && box.b - box.t > 1 ? box : null;
  };
  const name = (el) => `${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : ''}`
    + ` "${(el.getAttribute('aria-label') || el.textContent || el.value || '').trim().slice(0, 30)}"`;
  const items = [...document.querySelectorAll(selector)]
    .filter((el) => { const s = getComputedStyle(el); return s.visibility !== 'hidden' && el.getClientRects().length; })
    .filter((el) => !folded(el))
    .map((el) => ({ el, box: clip(el) })).filter((x) => x.box);
  const problems = [];
  for (let i = 0; i < items.length; i++) {
    const a = items[i];
    for (let j = i + 1; j < items.length; j++) {
      const b = items[j];
      if (a.el.contains(b.el) || b.el.contains(a.el)) continue;
      const w = Math.min(a.box.r, b.box.r) - Math.max(a.box.l, b.box.l);
      const h = Math.min(a.box.b, b.box.b) - Math.max(a.box.t, b.box.t);
      if (w > 1 && h > 1) problems.push(`${name(a.el)} overlaps ${name(b.el)}`);
    }
    const x = (a.box.l + a.box.r) / 2, y = (a.box.t + a.box.b) / 2;
    const top = document.elementFromPoint(x, y);
    if (top && !a.el.contains(top) && !top.contains(a.el) && !(top.closest('label') && top.closest('label').contains(a.el)))
      problems.push(`${name(a.el)} is covered by ${name(top)}`);
  }
  return problems;
}"""
# Controls cut at the side: by the window's edge, by a box that hides what sticks out, or
# by a scroll box in the page header (the top bar must show its controls, not scroll
# them away). Sideways scroll boxes elsewhere (the widget tabs) are meant to be scrolled.
CLIPPED = """() => {
  """ + FOLDED + """
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=tab], [role=button]';
  const name = (el) => `${el.tagName.toLowerCase()} "${(el.getAttribute('aria-label') || el.textContent || el.value || '').trim().slice(0, 30)}"`;
  const problems = [];
  for (const el of document.querySelectorAll(selector)) {
    const s = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    if (s.visibility === 'hidden' || !el.getClientRects().length || r.width <= 2 || r.height <= 2 || folded(el)) continue;
    let cut = r.left < -1 || r.right > innerWidth + 1 ? "the window's edge" : null;
    for (let p = el.parentElement; p && p !== document.documentElement; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (!/(auto|scroll|hidden|clip)/.test(o)) continue;
      const q = p.getBoundingClientRect();
      if (q.left <= r.left + 1 && q.right >= r.right - 1) continue;
      cut = /(auto|scroll)/.test(o) && !p.closest('header') ? null  // scrolled into view by its box
        : `${p.tagName.toLowerCase()}.${String(p.className).split(' ').join('.')}`;
      break;
    }
    if (cut) problems.push(`${name(el)} is cut by ${cut}`);
  }
  return problems;
}"""
SIDEWAYS = "() => document.scrollingElement.scrollWidth - innerWidth"
# What sticks out past the right edge (outside any scroll box), for the failure message.
WIDE = """() => [...document.body.querySelectorAll('*')].filter((el) => {
  if (el.getBoundingClientRect().right <= innerWidth + 1) return false;
  for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
    if (/(auto|scroll|hidden|clip)/.test(getComputedStyle(p).overflowX)) return false;
  }
  return ![...el.children].some((c) => c.getBoundingClientRect().right > innerWidth + 1)
    || /(auto|scroll|hidden|clip)/.test(getComputedStyle(el).overflowX);
}).slice(0, 8).map((el) => `${el.tagName.toLowerCase()}.${String(el.className).split(' ').join('.')} "${el.textContent.trim().slice(0, 40)}"`)"""


def check(page, label, shots):
    page.wait_for_timeout(150)   # let fonts and the widget settle
    page.screenshot(path=str(shots / f"layout-{label}.png"))
    assert page.evaluate(SIDEWAYS) <= 0, f"{label}: the page scrolls sideways: {page.evaluate(WIDE)}"
    problems = page.evaluate(OVERLAPS)
    assert problems == [], f"{label}: {problems}"
    clipped = page.evaluate(CLIPPED)
    assert clipped == [], f"{label}: {clipped}"


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("SWITCHBOARD_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def busy_chat(app, agent):
    group = db.session.execute(db.select(Group).where(Group.name == "Support")).scalar_one()
    chat = Chat(channel="whatsapp", customer_address="whatsapp:+14155550123",
                customer_name="Maria Fernanda Lopez-Gutierrez de la Vega", sender="whatsapp:+14155550000",
                status="active", group_id=group.id, agent_id=agent.id)
    db.session.add(chat)
    start = utcnow() - timedelta(minutes=20)
    texts = ["Hi! My order hasn't arrived and the tracking link says https://tracking.example.com/"
             "packages/1234567890abcdefghijklmnopqrstuvwxyz is unknown.", "Let me check that for you."]
    for offset, body in enumerate(texts * 3):
        db.session.add(Message(chat=chat, direction="in" if offset % 2 == 0 else "out", channel="whatsapp",
                               body=body, status="received" if offset % 2 == 0 else "read",
                               agent_id=None if offset % 2 == 0 else agent.id,
                               created_at=start + timedelta(minutes=offset)))
    db.session.add(Message(chat=chat, direction="in", kind="call", channel="voice", body="Incoming call, 2:05",
                           status="delivered", agent_id=agent.id, created_at=start + timedelta(minutes=9)))
    queued = Chat(channel="sms", customer_address="+14155550177", status="queued", group_id=group.id,
                  customer_name="Omar")
    db.session.add(queued)
    db.session.add(Message(chat=queued, direction="in", channel="sms", body="Hello?", status="received"))
    db.session.commit()
    return chat


# A right-to-left interface language (Arabic, Hebrew …) sets <html dir="rtl">: the same
# checks must hold with everything mirrored.
RIGHT_TO_LEFT = "document.addEventListener('DOMContentLoaded', () => { document.documentElement.dir = 'rtl'; })"


@pytest.mark.parametrize("direction", ["ltr", "rtl"])
def test_the_console_fits_every_screen(app, busy_chat, console, live_server, shots, direction):
    page = console
    if direction == "rtl":
        page.context.add_init_script(RIGHT_TO_LEFT)
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server.url}/console")
        expect(page.locator(".conn")).to_have_attribute("data-state", "connected")
        expect(page.locator(".chat-list .chat-row")).to_have_count(1)
        assert page.evaluate("getComputedStyle(document.body).direction") == direction
        size = f"{size}-{direction}"
        check(page, f"console-list-{size}", shots)

        page.locator('.views [data-view="mine"]').click()
        page.locator(f'.chat-row[data-chat-id="{busy_chat.id}"]').click()
        expect(page.locator(".transcript")).to_have_attribute("aria-busy", "false")
        expect(page.locator(".pane-chat")).to_be_visible()
        if width < 760:
            expect(page.locator(".pane-list")).to_be_hidden()   # one pane at a time
        check(page, f"console-chat-{size}", shots)

        details = page.locator(".pane-details")
        if width < 1200:
            expect(details).to_be_hidden()
            page.locator(".pane-to-details").click()
            expect(page.locator(".pane-chat")).to_be_hidden()
        expect(details.locator(".widget-tab")).not_to_have_count(0)
        tabs = details.locator(".widget-tabs")
        first, last = details.locator(".widget-tab").first, details.locator(".widget-tab").last
        # the tabs stay on one row (scrolling sideways inside the bar when they don't fit)
        assert first.bounding_box()["y"] == last.bounding_box()["y"]
        assert tabs.bounding_box()["height"] < 60
        check(page, f"console-details-{size}", shots)
        if width < 1200:
            details.locator(".pane-back").click()
            expect(page.locator(".pane-chat")).to_be_visible()
        if width < 760:
            page.locator(".pane-chat .pane-back").click()
            expect(page.locator(".pane-list")).to_be_visible()


@pytest.mark.parametrize("path", ["/widget?chat_id={chat}", "/profile", "/replies"])
def test_agent_pages_fit_every_screen(app, busy_chat, console, live_server, shots, path):
    page = console
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.goto(live_server.url + path.format(chat=busy_chat.id))
        page.wait_for_load_state("networkidle")
        check(page, f"{path.split('?')[0].strip('/')}-{size}", shots)


@pytest.mark.parametrize("path", ["/admin/agents", "/admin/groups", "/admin/plugins", "/admin/inbox", "/simulator/phone"])
def test_admin_pages_fit_every_screen(app, browser_page, live_server, admin, shots, path):
    page = browser_page
    sign_in_page(page, live_server.url, admin.email)
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        check(page, f"{path.strip('/').replace('/', '-')}-{size}", shots)


# The top bar's names ("Bandeja de entrada", the agent's name, "Cerrar sesión") each on one line.
BROKEN_NAMES = """() => [...document.querySelectorAll('.topbar a, .topbar button')].filter((el) => {
  const range = document.createRange();
  range.selectNodeContents(el);
  return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size > 1;
}).map((el) => el.textContent.trim())"""


@pytest.mark.parametrize("language", ["en", "es", "pl"])
@pytest.mark.parametrize("path", ["/plugins/livechat/admin", "/admin/plugins/livechat/settings", "/twilio/admin",
                                  "/admin/plugins"])
def test_setup_pages_fit_every_screen_in_longer_languages(app, browser_page, live_server, admin, shots, path,
                                                         language):
    """Spanish and Polish sentences and words run longer than English ones: the LiveChat and
    Twilio setup pages still fit a phone, a laptop and a wide screen."""
    admin.language = language
    db.session.commit()
    page = browser_page
    sign_in_page(page, live_server.url, admin.email)
    for size, (width, height) in {"phone": (390, 844), "laptop": (1280, 800), "wide": (1920, 1080)}.items():
        page.set_viewport_size({"width": width, "height": height})
        page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        assert page.locator("html").get_attribute("lang") == language
        check(page, f"setup-{language}{path.replace('/', '-')}-{size}", shots)
        assert page.evaluate(BROKEN_NAMES) == [], f"{language} at {width} px: names broken over two lines"
        page.screenshot(path=str(shots / f"setup-{language}{path.replace('/', '-')}-{size}-full.png"), full_page=True)
