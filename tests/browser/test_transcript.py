"""The transcript says what happened: templates as the customer read them, the channel of
each message when a chat used several (and a line at each change), calls and voicemails
as rows of their own, and delivery states in words with AA contrast on every background.

Screenshots at phone, laptop and desktop sizes go to ``$SWITCHBOARD_SCREENSHOTS``
(default: the test's tmp dir).
"""
from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest

from host.extensions import db
from host.models import Chat, Group, Message, utcnow

expect = pytest.importorskip("playwright.sync_api").expect

CUSTOMER = "+14155550123"
TEMPLATE = {"sid": "HX" + "0" * 31 + "7", "name": "order_shipped", "variables": {"1": "Maria"}}
SIZES = {"phone": (390, 844), "laptop": (1024, 768), "desktop": (1440, 900)}

# The contrast ratio of each element's text against what is really behind it (WCAG 2.x
# relative luminance; translucent colours are composited over the backgrounds below).
CONTRAST = """(selector) => {
  const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const over = (top, below) => { const a = top[3]; return [0, 1, 2].map((i) => top[i] * a + below[i] * (1 - a)).concat(1); };
  const background = (el) => { const layers = [];
    for (let n = el; n; n = n.parentElement) { const c = parse(getComputedStyle(n).backgroundColor); if (c[3] > 0) layers.push(c); if (c[3] >= 1) break; }
    return layers.reverse().reduce((acc, layer) => over(layer, acc), [255, 255, 255, 1]); };
  const lum = (c) => { const [r, g, b] = c.slice(0, 3).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  return [...document.querySelectorAll(selector)].filter((el) => el.offsetParent).map((el) => {
    const style = getComputedStyle(el); const bg = background(el);
    const fg = over(parse(style.color).map((v, i) => (i === 3 ? v * Number(style.opacity) : v)), bg);
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    return { text: el.textContent.trim().slice(0, 40), ratio: Math.round(((hi + 0.05) / (lo + 0.05)) * 100) / 100 };
  });
}"""


@pytest.fixture
def story(app, agent):
    """A chat that began by SMS, had a call, moved to WhatsApp, missed a call and got a voicemail."""
    group = db.session.execute(db.select(Group).where(Group.name == "Support")).scalar_one()
    chat = Chat(channel="whatsapp", customer_address="whatsapp:" + CUSTOMER, customer_name="Maria Lopez",
                sender="whatsapp:+14155550000", status="active", group_id=group.id, agent_id=agent.id)
    db.session.add(chat)
    start = utcnow() - timedelta(minutes=30)
    rows = [
        dict(direction="in", channel="sms", body="Hi, where is my order?", status="received"),
        dict(direction="out", channel="sms", body="Let me check that for you.", status="delivered", agent_id=agent.id),
        dict(direction="in", kind="call", channel="voice", body="Incoming call, 2:05", status="delivered",
             agent_id=agent.id),
        dict(direction="out", kind="template", channel="whatsapp", template=TEMPLATE, status="read",
             body="Hi Maria, your order 1234 has shipped and arrives Thursday.", agent_id=agent.id),
        dict(direction="in", channel="whatsapp", body="Thanks!", status="received"),
        dict(direction="in", kind="call", channel="voice", body="Missed incoming call (no answer)", status="failed"),
        dict(direction="in", kind="media", channel="voice", body="Voicemail (0:23)", status="received",
             media=[{"url": "/static/favicon.svg", "content_type": "audio/mpeg"}]),
        dict(direction="out", channel="whatsapp", body="Did you get it?", status="undelivered", agent_id=agent.id,
             error_code="63016", error_message="The customer hasn't written in 24 hours: use a template."),
        dict(direction="out", kind="call", channel="voice", body="Outgoing call, 0:42", status="delivered",
             agent_id=agent.id),
        dict(direction="out", channel="whatsapp", body="Sending now", status="sent", agent_id=agent.id),
    ]
    for offset, fields in enumerate(rows):
        db.session.add(Message(chat=chat, created_at=start + timedelta(minutes=offset), **fields))
    db.session.commit()
    return chat


def open_story(page, chat):
    page.locator(f'.chat-list .chat-row[data-chat-id="{chat.id}"]').click()
    expect(page.locator(".transcript")).to_have_attribute("aria-busy", "false")


def test_the_transcript_says_what_happened(app, story, console, tmp_path):
    page = console
    page.locator('.views [data-view="mine"]').click()
    open_story(page, story)
    transcript = page.locator(".transcript")

    # the template shows the sentence the customer read, marked as a template
    template = transcript.locator(".msg.kind-template")
    expect(template.locator(".msg-body")).to_have_text("Hi Maria, your order 1234 has shipped and arrives Thursday.")
    expect(template.locator(".msg-template")).to_have_text("Template · order_shipped")

    # two text channels: every text message names its own, and the change has its line
    texts = transcript.locator(".msg-in:not(.msg-event), .msg-out:not(.msg-event)")
    expect(texts).to_have_count(6)
    assert texts.locator(".msg-channel").all_inner_texts() == ["SMS", "SMS", "WhatsApp", "WhatsApp", "WhatsApp",
                                                               "WhatsApp"]
    expect(transcript.locator(".channel-change")).to_have_count(1)
    expect(transcript.locator(".channel-change")).to_have_text("Switched to WhatsApp")
    order = transcript.locator(".msg, .channel-change").evaluate_all("els => els.map(e => e.className)")
    assert "channel-change" in order[3] and "kind-template" in order[4]  # after the call, before WhatsApp

    # calls: direction, who, how long, or missed and why; the voicemail plays in place
    calls = transcript.locator(".msg-event.kind-call")
    expect(calls).to_have_count(3)
    expect(calls.nth(0).locator(".call-title")).to_have_text("Incoming call")
    expect(calls.nth(0).locator(".call-details")).to_have_text(" · answered by Sam Agent · 2:05")
    expect(calls.nth(1)).to_have_attribute("data-outcome", "missed")
    expect(calls.nth(1).locator(".call-title")).to_have_text("Missed incoming call")
    expect(calls.nth(1).locator(".call-details")).to_have_text(" · no answer")
    expect(calls.nth(2).locator(".call-title")).to_have_text("Outgoing call")
    expect(calls.nth(2).locator(".call-details")).to_have_text(" · by Sam Agent · 0:42")
    voicemail = transcript.locator(".msg-event.kind-voicemail")
    expect(voicemail.locator(".call-title")).to_have_text("Voicemail")
    expect(voicemail.locator("audio")).to_have_attribute("src", re.compile(r"/static/favicon.svg$"))
    expect(voicemail.locator("audio")).to_have_attribute("controls", "")

    # delivery states in words, next to the ticks
    assert transcript.locator(".msg-out:not(.msg-event) .msg-status-text").all_inner_texts() == [
        "Delivered", "Read", "Not delivered", "Sent"]

    folder = Path(os.environ.get("SWITCHBOARD_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    for name, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        # every state, tag, mark and row reads at 4.5:1 or more on whatever is behind it
        for selector in (".msg-status-text", ".msg-meta time", ".msg-author", ".msg-channel", ".msg-template",
                         ".channel-change span", ".msg-event-body strong", ".call-details", ".msg-event time",
                         ".msg-body", ".composer-via"):
            for found in page.evaluate(CONTRAST, selector):
                assert found["ratio"] >= 4.5, (selector, found)
        page.screenshot(path=str(folder / f"transcript-{name}.png"))


def test_a_missed_calls_reason_is_in_the_agents_language(app, story, agent, console, live_server):
    """The call's line keeps Twilio's status in English ("no answer"); the agent reads it in theirs."""
    agent.language = "es"
    db.session.commit()
    page = console
    page.goto(f"{live_server.url}/console/chats/{story.id}")
    expect(page.locator(".transcript")).to_have_attribute("aria-busy", "false")
    missed = page.locator(".transcript .msg-event.kind-call").nth(1)
    expect(missed.locator(".call-title")).to_have_text("Llamada entrante perdida")
    expect(missed.locator(".call-details")).to_have_text(" · sin respuesta")


@pytest.mark.parametrize("language, answered, placed, voicemail", [
    ("es", ("Llamada entrante", " · contestada por Sam Agent · 2:05"), ("Llamada saliente", " · de Sam Agent · 0:42"),
     "Buzón de voz"),
    ("pl", ("Połączenie przychodzące", " · odebrał(a): Sam Agent · 2:05"),
     ("Połączenie wychodzące", " · dzwonił(a): Sam Agent · 0:42"), "Poczta głosowa"),
])
def test_call_lines_and_their_lengths_read_in_the_agents_language(app, story, agent, console, live_server,
                                                                  language, answered, placed, voicemail):
    """The call's line is stored in English ("Incoming call, 2:05"); the agent reads who took
    it and for how long in their own words, the length as minutes:seconds."""
    agent.language = language
    db.session.commit()
    page = console
    page.goto(f"{live_server.url}/console/chats/{story.id}")
    expect(page.locator(".transcript")).to_have_attribute("aria-busy", "false")
    calls = page.locator(".transcript .msg-event.kind-call")
    for row, (title, details) in ((calls.nth(0), answered), (calls.nth(2), placed)):
        expect(row.locator(".call-title")).to_have_text(title)
        expect(row.locator(".call-details")).to_have_text(details)
    message = page.locator(".transcript .msg-event.kind-voicemail")
    expect(message.locator(".call-title")).to_have_text(voicemail)
    expect(message.locator(".call-details")).to_have_text(" · 0:23")
    expect(message.locator("audio")).to_have_attribute("aria-label", f"{voicemail}, 0:23")
