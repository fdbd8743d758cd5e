"""A fresh admin sets Switchboard up in a real browser, against Prism on Twilio's OpenAPI:
saves the untouched Twilio settings, connects the account, picks two numbers and points
them here in one click, maps one to a group, and can undo.

Screenshots go to ``$SWITCHBOARD_SCREENSHOTS`` when set (else the test's tmp folder).
"""
from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from host.testing.pytest_plugin import sign_in_page
from plugins.twilio_channel.client import use_http_client
from plugins.twilio_channel.settings import load_config
from plugins.twilio_channel.testing import PrismServers, RecordingHttpClient, prism_binary
from plugins.twilio_channel.testing.prism import PRISM_NUMBERS, PRISM_WHATSAPP_SENDER

expect = pytest.importorskip("playwright.sync_api").expect

ACCOUNT = "AC" + "0123456789abcdef" * 2
TOKEN = "prism-auth-token-0123456789"
(PN1, NUMBER1, _, _), (PN2, NUMBER2, _, _) = PRISM_NUMBERS
XE, _ = PRISM_WHATSAPP_SENDER
SIZES = {"phone": (390, 844), "laptop": (1024, 768), "desktop": (1440, 900)}


@pytest.fixture(scope="module")
def prism():
    if not prism_binary().exists():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("Prism is not installed; run `npm ci` (CI=true, so this is an error)")
        pytest.skip("Prism is not installed; run `npm ci`")
    servers = PrismServers(("api", "messaging"))
    with servers:
        yield servers


@pytest.fixture
def twilio_http(app, prism):
    recording = RecordingHttpClient(prism.hosts)
    use_http_client(app, recording)
    return recording


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("SWITCHBOARD_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def take(page, name):
        for size, (width, height) in SIZES.items():
            page.set_viewport_size({"width": width, "height": height})
            page.screenshot(path=str(folder / f"admin-{name}-{size}.png"), full_page=True)
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), (name, size)
        page.set_viewport_size({"width": 1400, "height": 900})
    return take


def test_a_fresh_admin_connects_twilio_picks_two_numbers_and_maps_one(
        app, browser_page, live_server, admin, twilio_http, shots):
    page = browser_page
    sign_in_page(page, live_server.url, admin.email)

    # The untouched settings form saves as it is.
    page.goto(f"{live_server.url}/admin/plugins/twilio_channel/settings")
    expect(page.locator("#f-autoreply_cooldown_minutes")).to_have_value("60")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".flash-ok")).to_have_text("Settings saved.")

    # The Plugins page says what is missing and leads to the one action that fixes it.
    page.goto(f"{live_server.url}/admin/plugins")
    page.locator("[data-plugin=twilio_channel]").get_by_role("link", name="Connect Twilio").click()
    page.fill("input[name=account_sid]", ACCOUNT)
    page.fill("input[name=auth_token]", TOKEN)
    page.get_by_role("button", name="Connect", exact=True).click()
    expect(page.locator(".flash-ok")).to_contain_text("Found 2 phone numbers")
    numbers = page.locator(".inventory li[data-sid]")
    expect(numbers).to_have_count(4)  # two numbers, a WhatsApp sender and one Messaging Service
    expect(page.locator(f"li[data-sid={PN1}]")).to_contain_text("Messages go to https://old.example.com/sms")
    assert not [e for e in twilio_http.exchanges if e.method != "GET"]  # nothing changed yet
    shots(page, "connect-picking")

    page.locator(f"input[name=number_sid][value={PN1}]").check()
    page.locator(f"input[name=number_sid][value={PN2}]").check()
    page.locator(f"input[name=sender_sid][value={XE}]").check()
    page.get_by_role("button", name="Point the picked ones here").click()
    expect(page.locator(".flash-ok")).to_contain_text(f"{NUMBER1} now sends its messages and calls here.")
    expect(page.locator(f"li[data-sid={PN2}] .where")).to_have_text("✔ Points here")
    expect(page.locator(f"li[data-sid={XE}] .where")).to_have_text("✔ Points here")
    expect(page.locator(".changes li", has_text=NUMBER1, has_not_text="WhatsApp").first).to_contain_text("messages went to https://old.example.com/sms")
    shots(page, "connect-done")
    updates = [e for e in twilio_http.exchanges if e.method == "POST" and "/IncomingPhoneNumbers/" in e.url]
    assert sorted(urlsplit(e.url).path.rsplit("/", 1)[1] for e in updates) == [f"{PN1}.json", f"{PN2}.json"]
    assert {e.data["SmsUrl"] for e in updates} == {f"{live_server.url}/webhooks/twilio/messaging"}

    # The picked numbers are ticked in the settings; one goes to the Support group.
    page.goto(f"{live_server.url}/admin/plugins/twilio_channel/settings")
    expect(page.locator(f"input[name=numbers][value='{NUMBER1}']")).to_be_checked()
    expect(page.locator(f"input[name=numbers][value='{NUMBER2}']")).to_be_checked()
    mapping = page.locator("[data-field=number_groups]")
    mapping.locator("input[name='number_groups.key']").last.fill(NUMBER2)
    mapping.locator("select[name='number_groups.value']").last.select_option("Support")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator(".flash-ok")).to_have_text("Settings saved.")
    assert load_config().number_groups == {NUMBER2: "Support"}
    assert load_config().numbers == (NUMBER1, NUMBER2)
    shots(page, "settings")

    # Undo puts the numbers back where they pointed.
    page.goto(f"{live_server.url}/twilio/admin#connect")
    page.get_by_role("button", name="Undo all").click()
    expect(page.locator(".flash-ok")).to_contain_text(f"{NUMBER1} points where it did before.")
    expect(page.locator(".flash-ok")).to_contain_text(f"WhatsApp {NUMBER1} points where it did before.")
    restore = [e for e in twilio_http.exchanges if e.method == "POST" and PN1 in e.url][-1]
    assert restore.data["SmsUrl"] == "https://old.example.com/sms"
    assert page.js_errors == []


def test_the_connect_steps_fit_every_screen_in_polish(app, browser_page, live_server, admin, twilio_http, shots):
    """Polish sentences run longer than English ones: the steps, the undo list and the notices
    still fit a phone without scrolling sideways."""
    from host.extensions import db

    admin.language, admin.time_zone = "pl", "Europe/Warsaw"
    db.session.commit()
    page = browser_page
    sign_in_page(page, live_server.url, admin.email)
    page.goto(f"{live_server.url}/twilio/admin#connect")
    page.fill("input[name=account_sid]", ACCOUNT)
    page.fill("input[name=auth_token]", TOKEN)
    page.get_by_role("button", name="Połącz", exact=True).click()
    expect(page.locator(".flash-ok")).to_contain_text("Znaleziono 2 numery telefonów, 1 nadawcę WhatsApp i 1 usługę "
                                                      "Messaging Service.")
    expect(page.locator("#connect")).to_contain_text("ostatni odczyt:")
    # A number whose messages went nowhere says so in a whole Polish sentence.
    expect(page.locator(f"li[data-sid={PN2}] .where")).to_contain_text("Wiadomości nie trafiają nigdzie")
    page.locator(f"input[name=number_sid][value={PN1}]").check()
    page.locator(f"input[name=sender_sid][value={XE}]").check()
    page.get_by_role("button", name="Skieruj wybrane tutaj").click()
    expect(page.locator(".flash-ok")).to_contain_text(f"{NUMBER1} wysyła teraz tutaj swoje wiadomości i połączenia.")
    expect(page.locator(".changes li", has_text=NUMBER1, has_not_text="WhatsApp").first).to_contain_text(
        "wiadomości trafiały do https://old.example.com/sms")
    shots(page, "connect-done-pl")
    assert page.js_errors == []
