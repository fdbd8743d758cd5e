"""Attachments in the console: attach a document to an SMS reply (sent as MMS through
the simulator), a file the channel refuses is refused with a sentence, and received
files show their name, kind and size with Open and Download."""
from __future__ import annotations

import os
import re

import pytest

from host.extensions import db
from host.models import Message
from plugins.twilio_channel.models import SimulatedMessage
from plugins.twilio_channel.simulator.engine import simulator_for

expect = pytest.importorskip("playwright.sync_api").expect
SHOTS = os.environ.get("SWITCHBOARD_SCREENSHOTS")
SIZES = [(390, 844), (1024, 768), (1440, 900), (2560, 1440)]


def test_attach_a_document_to_an_sms_reply(app, console, live_server, tmp_path):
    page = console
    simulator = simulator_for(app)
    assert simulator.customer_sends("+14155550123", "+14155550000", "Can you send me the invoice?")[0] == 200
    expect(page.locator(".chat-list .chat-row", has_text="+14155550123")).to_be_visible()  # stored by the inbox worker
    status, sid = simulator.customer_sends("+14155550123", "+14155550000", "Here is my receipt",
                                           attachments=[("application/pdf", b"%PDF-1.4\n" + b"r" * 184_000)])
    assert status == 200
    page.locator(".chat-list .chat-row", has_text="+14155550123").click()
    expect(page.locator(".transcript")).to_have_attribute("aria-busy", "false")

    received = page.locator(".msg-in .media-file")
    expect(received.locator(".media-file-name")).to_have_text("PDF document")
    expect(received.locator(".media-file-details")).to_have_text("application/pdf · 184 KB")
    download = received.get_by_role("link", name="Download PDF document")
    expect(download).to_have_attribute("href", re.compile(rf"/twilio/media/{sid}/0\?download=1$"))
    with page.expect_download() as saved:
        download.click()
    assert saved.value.suggested_filename == f"{sid}-1.pdf"

    expect(page.get_by_role("button", name="Attach a file")).to_be_visible()
    (tmp_path / "Invoice March.pdf").write_bytes(b"%PDF-1.4\n" + b"x" * 4000)
    (tmp_path / "setup.exe").write_bytes(b"MZ" * 10)
    page.locator(".composer-file").set_input_files(str(tmp_path / "setup.exe"))
    expect(page.locator(".composer-error")).to_contain_text("MMS doesn't take application/")
    page.locator(".composer-file").set_input_files(str(tmp_path / "Invoice March.pdf"))
    chip = page.locator(".composer-file-chip")
    expect(chip.locator(".file-name")).to_have_text("Invoice_March.pdf")
    expect(chip.locator(".file-size")).to_have_text("4 KB")
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        expect(chip).to_be_visible()
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, f"attach-{width}.png"))
    page.set_viewport_size({"width": 1440, "height": 900})
    page.locator(".composer-input").fill("Here it is.")
    page.locator(".composer-input").press("Enter")

    sent = page.locator(".msg-out").last
    expect(sent.locator(".msg-body")).to_have_text("Here it is.")
    expect(sent.locator(".media-file-name")).to_have_text("Invoice_March.pdf")
    expect(sent.locator(".media-file-details")).to_have_text("PDF document · application/pdf · 4 KB")
    expect(chip).to_have_count(0)
    expect(sent).to_have_attribute("data-status", "sent", timeout=10_000)
    message = db.session.execute(db.select(Message).where(Message.direction == "out")).scalar_one()
    twilio_side = db.session.get(SimulatedMessage, message.external_id)
    assert twilio_side.media[0]["url"].startswith(f"{live_server.url}/media/")
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, "attach-sent-1440.png"))
    assert page.js_errors == []
