"""An agent switches Switchboard to Spanish or Polish on their profile: the open console
and widget follow at once, in their time zone; customers' right-to-left text reads right
to left in its own bubble, and a right-to-left page keeps the console's layout."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from host.extensions import db
from host.models import Chat, Group, Message
from host.testing.pytest_plugin import sign_in_page

expect = pytest.importorskip("playwright.sync_api").expect

ZONE = "Asia/Kolkata"  # UTC+5:30: a half-hour offset no browser default would give
SEEN = {
    "es": {"inbox": "Bandeja de entrada", "mine": "Mis chats", "today": "Hoy", "yesterday": "Ayer", "accept": "Transferir",
           "customer": "Cliente", "contacts": "Contactos", "logs": "Registros",
           "missing": "Este chat no existe, o pertenece a un grupo del que no formas parte.",
           "placeholder": "Responder a Laila por WhatsApp…", "unread": "2 mensajes sin leer"},
    "pl": {"inbox": "Skrzynka odbiorcza", "mine": "Moje czaty", "today": "Dzisiaj", "yesterday": "Wczoraj", "accept": "Przekaż",
           "customer": "Klient", "contacts": "Kontakty", "logs": "Dziennik",
           "missing": "Ten czat nie istnieje albo należy do grupy, do której nie należysz.",
           "placeholder": "Odpowiedz: Laila, przez WhatsApp…", "unread": "2 nieprzeczytane wiadomości"},
}


@pytest.fixture
def chat(app, agent):
    """A chat with Arabic and English messages, the last one two minutes ago."""
    group = db.session.execute(db.select(Group).where(Group.name == "Support")).scalar_one()
    chat = Chat(channel="whatsapp", customer_address="whatsapp:+971500000001", customer_name="Laila",
                sender="whatsapp:+14155550000", status="active", group_id=group.id, agent_id=agent.id)
    db.session.add(chat)
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    db.session.add(Message(chat=chat, direction="in", channel="whatsapp", body="مرحبا، طلبي لم يصل بعد",
                           status="received", created_at=now - timedelta(minutes=3)))
    db.session.add(Message(chat=chat, direction="in", channel="whatsapp", body="Order 1234, please check",
                           status="received", created_at=now - timedelta(minutes=2)))
    db.session.commit()
    chat.last_in = now - timedelta(minutes=2)
    return chat


def local_clock(moment: datetime) -> tuple[int, int]:
    local = moment.replace(tzinfo=UTC).astimezone(ZoneInfo(ZONE))
    return local.hour, local.minute


def day_divider(moment: datetime, language: str) -> str:
    """The separator above a message from ``moment`` in the agent's zone: the test runs at
    any hour, and in UTC+5:30 "two hours ago" is yesterday for a good part of the day."""
    day = moment.replace(tzinfo=UTC).astimezone(ZoneInfo(ZONE)).date()
    today = datetime.now(ZoneInfo(ZONE)).date()
    assert (today - day).days in (0, 1), "the messages here are from today or yesterday"
    return SEEN[language]["today" if day == today else "yesterday"]


def choose(page, base_url, language):
    page.goto(f"{base_url}/profile")
    page.select_option("select[name=language]", language)
    page.select_option("select[name=time_zone]", ZONE)
    page.locator("#language button[type=submit]").click()
    page.wait_for_url("**/profile**")


@pytest.mark.parametrize("language", ["es", "pl"])
def test_an_agent_switches_language_and_the_console_and_widget_follow(app, agent, chat, console, live_server,
                                                                      language):
    seen = SEEN[language]
    page = console
    page.goto(f"{live_server.url}/console/chats/{chat.id}")
    expect(page.locator(".transcript")).to_have_attribute("aria-busy", "false")
    expect(page.locator(".pane-title")).to_have_text("Inbox")

    # The widget on its own page (as inside LiveChat's Agent App) is open too.
    widget = page.context.new_page()
    widget.goto(f"{live_server.url}/widget?chat_id={chat.id}")
    expect(widget.locator(".widget-tab").first).to_be_visible()
    widget.evaluate("window.notReloaded = true")

    profile = page.context.new_page()
    choose(profile, live_server.url, language)
    expect(profile.locator("html")).to_have_attribute("lang", language)

    # The console redraws itself in the new language and zone, the open chat still open.
    expect(page.locator(".pane-title")).to_have_text(seen["inbox"])
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator('.views [data-view="mine"] .view-label')).to_have_text(seen["mine"])
    expect(page.locator(".transcript")).to_have_attribute("aria-busy", "false")
    first = db.session.execute(db.select(Message).where(Message.chat_id == chat.id).order_by(Message.id)).scalars().first()
    expect(page.locator(".day-divider").first).to_have_text(day_divider(first.created_at, language))
    expect(page.locator('[data-action="transfer"]')).to_have_text(seen["accept"])
    expect(page.locator(".composer-input")).to_have_attribute("placeholder", seen["placeholder"])
    hour, minute = local_clock(chat.last_in)
    last = page.locator(".msg").last.locator("time")
    # Spanish writes 9:05, Polish 09:05 (CLDR's short times), both in the agent's zone.
    expect(last).to_have_text(f"{hour}:{minute:02d}" if language == "es" else f"{hour:02d}:{minute:02d}")
    tabs = page.locator(".pane-details .widget-tab-title")
    expect(tabs.filter(has_text=seen["customer"])).to_have_count(1)
    expect(tabs.filter(has_text=seen["contacts"])).to_have_count(1)

    # The standalone widget switched in place, without a reload (its token would be lost).
    expect(widget.locator(".widget-tab-title").filter(has_text=seen["logs"])).to_have_count(1)
    assert widget.evaluate("window.notReloaded") is True

    # An error sentence, in the new language.
    page.goto(f"{live_server.url}/console/chats/999999")
    expect(page.locator(".chat-placeholder p")).to_have_text(seen["missing"])
    for extra in (widget, profile):
        extra.close()


def test_the_switch_keeps_the_transcripts_scroll_position_and_the_search(app, agent, chat, console, live_server):
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    for i in range(60):  # enough for the transcript to scroll
        db.session.add(Message(chat_id=chat.id, direction="in", channel="whatsapp", body=f"Question {i}",
                               status="received", created_at=now - timedelta(hours=2, minutes=-i)))
    db.session.commit()
    last = now - timedelta(hours=2, minutes=-59)  # the transcript lists messages as they came in
    page = console
    page.goto(f"{live_server.url}/console/chats/{chat.id}")
    transcript = page.locator(".transcript")
    expect(transcript).to_have_attribute("aria-busy", "false")
    scroll = transcript.evaluate("el => { el.scrollTop = 400; return el.scrollTop; }")
    assert scroll == 400
    page.locator(".search-input").fill("Laila")
    expect(page.locator(".search-heading").first).to_have_text("Customers")
    page.evaluate("window.__marker = 'before the switch'")

    profile = page.context.new_page()
    choose(profile, live_server.url, "es")
    expect(page.locator(".pane-title")).to_have_text(SEEN["es"]["inbox"])
    expect(page.locator(".search-heading").first).to_have_text("Clientes")
    expect(page.locator(".search-input")).to_have_value("Laila")
    expect(page.locator(".search-input")).to_have_attribute("placeholder", "Buscar chats")
    expect(page.locator(".day-divider").last).to_have_text(day_divider(last, "es"))
    assert transcript.evaluate("el => el.scrollTop") == scroll
    assert page.evaluate("window.__marker") == "before the switch"
    assert page.js_errors == []
    profile.close()


def test_unread_counts_use_the_languages_plural_forms(app, agent, make_agent, chat, browser_page, live_server):
    agent.language = "pl"
    chat.agent_id = None
    chat.status = "queued"
    db.session.commit()
    sign_in_page(browser_page, live_server.url, agent.email)
    # Two unread messages: Polish says "wiadomości" for 2 (few), "wiadomość" for 1 (one).
    expect(browser_page.locator(f'.chat-row[data-chat-id="{chat.id}"] .unread-count')).to_have_attribute(
        "aria-label", SEEN["pl"]["unread"])


def test_each_bubble_and_name_takes_its_own_direction(app, agent, chat, console, live_server):
    page = console
    page.goto(f"{live_server.url}/console/chats/{chat.id}")
    expect(page.locator(".transcript")).to_have_attribute("aria-busy", "false")
    directions = page.locator(".msg-body").evaluate_all("els => els.map((el) => getComputedStyle(el).direction)")
    assert directions == ["rtl", "ltr"]
    assert page.locator(".chat-title").get_attribute("dir") == "auto"
    assert page.locator(".row-name").first.get_attribute("dir") == "auto"


def test_the_customer_phone_speaks_the_agents_language(app, admin, browser_page, live_server):
    page = browser_page
    sign_in_page(page, live_server.url, admin.email)
    choose(page, live_server.url, "pl")
    page.goto(f"{live_server.url}/simulator/phone")
    expect(page.locator("#sim-call-state")).to_have_text("Brak połączenia.")
    page.fill("#sim-body", "Dzień dobry")
    page.click("#sim-send")
    expect(page.locator(".sim-msg.me .sim-meta")).to_contain_text("Ty ·")


def test_the_profile_offers_the_browsers_language_and_zone_until_the_agent_chooses(app, agent, chromium,
                                                                                   live_server):
    """Defaults: the language from Accept-Language, the zone from the browser's own — which
    Chromium names by its older alias here (Asia/Calcutta for the list's Asia/Kolkata)."""
    context = chromium.new_context(locale="pl-PL", timezone_id=ZONE)
    try:
        page = context.new_page()
        sign_in_page(page, live_server.url, agent.email)
        page.goto(f"{live_server.url}/profile")
        expect(page.locator("html")).to_have_attribute("lang", "pl")
        expect(page.locator("select[name=language]")).to_have_value("pl")
        expect(page.locator("select[name=time_zone]")).to_have_value(ZONE)
    finally:
        context.close()
