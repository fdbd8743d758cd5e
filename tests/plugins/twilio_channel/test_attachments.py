"""Attachments on SMS (MMS) and WhatsApp replies: uploaded to Switchboard, checked
against Twilio's limits before anything is queued, handed to Twilio as a signed,
expiring link the simulator fetches and checks as Twilio does."""
from __future__ import annotations

import io
import time

import pytest

from host import attachments
from host.extensions import db
from host.models import Attachment, Chat, Message, OutboxItem
from plugins.twilio_channel.models import SimulatedMessage
from plugins.twilio_channel.simulator.engine import media_problem

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 2000
PDF = b"%PDF-1.4\n" + b"x" * 3000


def chat_of(address):
    return db.session.execute(db.select(Chat).where(Chat.customer_address == address)).scalar_one()


def upload(client, chat, name, data, content_type):
    return client.post(f"/api/v1/chats/{chat.id}/attachments",
                       data={"file": (io.BytesIO(data), name, content_type)}, content_type="multipart/form-data")


@pytest.fixture
def sms_chat(simulator):
    assert simulator.customer_sends("+14155550123", "+14155550000", "Can you send the invoice?")[0] == 200
    return chat_of("+14155550123")


@pytest.fixture
def whatsapp_chat(simulator):
    assert simulator.customer_sends("+14155550124", "+14155550000", "Hola", channel="whatsapp")[0] == 200
    return chat_of("whatsapp:+14155550124")


def test_an_mms_reply_carries_the_file_through_a_signed_link(app, agent, api, simulator, sms_chat):
    client = api(agent)
    uploaded = upload(client, sms_chat, "Invoice March 2026.pdf", PDF, "application/pdf")
    assert uploaded.status_code == 201, uploaded.json
    assert uploaded.json["filename"] == "Invoice_March_2026.pdf" and uploaded.json["size"] == len(PDF)
    sent = client.post(f"/api/v1/chats/{sms_chat.id}/messages",
                       json={"body": "Here it is.", "attachment_ids": [uploaded.json["id"]]})
    assert sent.status_code == 201, sent.json
    assert sent.json["media"] == [{"url": f"/api/v1/attachments/{uploaded.json['id']}", "content_type": "application/pdf",
                                   "filename": "Invoice_March_2026.pdf", "size": len(PDF)}]
    assert app.extensions["switchboard"].outbox.drain() == 1
    message = db.session.get(Message, sent.json["id"])
    twilio_side = db.session.get(SimulatedMessage, message.external_id)
    link = twilio_side.media[0]["url"]
    assert link.startswith(app.config["SWITCHBOARD_PUBLIC_URL"] + "/media/") and link.endswith("/Invoice_March_2026.pdf")
    # The link works without signing in, as Twilio fetches it; the file comes back whole.
    fetched = app.test_client().get(link.removeprefix(app.config["SWITCHBOARD_PUBLIC_URL"]))
    assert fetched.status_code == 200 and fetched.data == PDF and fetched.mimetype == "application/pdf"
    assert 'filename="Invoice_March_2026.pdf"' in fetched.headers["Content-Disposition"]
    simulator.run_pending()
    db.session.refresh(message)
    assert message.status == "delivered"
    # Agents read it through the chat's visibility.
    assert client.get(f"/api/v1/attachments/{uploaded.json['id']}").data == PDF


def test_links_expire_and_cannot_be_forged(app, sms_chat, monkeypatch):
    attachment = Attachment(chat_id=sms_chat.id, filename="a.png", content_type="image/png", size=len(PNG), data=PNG)
    db.session.add(attachment)
    db.session.commit()
    path = attachments.public_url(attachment.id, "a.png").removeprefix(app.config["SWITCHBOARD_PUBLIC_URL"])
    assert app.test_client().get(path).status_code == 200
    token = path.split("/")[2]
    assert app.test_client().get(path.replace(token, token[:-2] + "xx")).status_code == 404
    assert app.test_client().get(f"/media/{attachment.id}/a.png").status_code == 404
    later = time.time() + attachments.LINK_LIFETIME + 5
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    assert app.test_client().get(path).status_code == 404


@pytest.mark.parametrize("channel, name, data, content_type, words", [
    ("sms", "virus.exe", b"MZ" * 100, "application/x-msdownload", "MMS doesn't take application/x-msdownload files"),
    ("sms", "big.png", b"\0" * 5_000_001, "image/png", "big.png is 5.0 MB; MMS takes up to 5.0 MB a message"),
    ("whatsapp", "photo.png", b"\0" * 5_000_001, "image/png", "WhatsApp takes image files of up to 5.0 MB"),
    ("whatsapp", "anim.gif", b"GIF89a" + b"\0" * 100, "image/gif", "WhatsApp doesn't take image/gif files"),
])
def test_files_a_channel_would_refuse_are_refused_at_upload(api, agent, sms_chat, whatsapp_chat, channel, name, data,
                                                            content_type, words):
    chat = sms_chat if channel == "sms" else whatsapp_chat
    refused = upload(api(agent), chat, name, data, content_type)
    assert refused.status_code == 422
    assert words in refused.json["message"]
    assert db.session.execute(db.select(Attachment)).first() is None


def test_whatsapp_takes_one_file_a_message_and_large_documents(api, agent, whatsapp_chat):
    client = api(agent)
    big_pdf = upload(client, whatsapp_chat, "manual.pdf", b"%PDF" + b"\0" * 9_000_000, "application/pdf")
    assert big_pdf.status_code == 201  # 9 MB: over MMS' 5 MB, within WhatsApp's 16 MB
    photo = upload(client, whatsapp_chat, "photo.jpg", b"\xff\xd8" + b"\0" * 1000, "image/jpeg")
    refused = client.post(f"/api/v1/chats/{whatsapp_chat.id}/messages",
                          json={"attachment_ids": [big_pdf.json["id"], photo.json["id"]]})
    assert refused.status_code == 422
    assert "WhatsApp carries at most 1 file a message" in refused.json["errors"]["json"]["attachment_ids"][0]
    assert db.session.execute(db.select(OutboxItem)).first() is None


def test_another_chats_attachment_cannot_be_sent_or_read(api, agent, make_agent, sms_chat, whatsapp_chat):
    client = api(agent)
    other = upload(client, whatsapp_chat, "photo.jpg", b"\xff\xd8" + b"\0" * 1000, "image/jpeg").json["id"]
    refused = client.post(f"/api/v1/chats/{sms_chat.id}/messages", json={"attachment_ids": [other]})
    assert refused.status_code == 422 and "belongs to another chat" in refused.json["message"]
    sales = make_agent("sales@example.test", groups=("Sales",))
    whatsapp_chat.group_id = sales.groups[0].id
    db.session.commit()
    assert client.get(f"/api/v1/attachments/{other}").status_code == 404


def test_the_simulator_fails_media_twilio_would_refuse(app, sms_chat):
    def link(data, content_type, name):
        row = Attachment(chat_id=sms_chat.id, filename=name, content_type=content_type, size=len(data), data=data)
        db.session.add(row)
        db.session.commit()
        return attachments.public_url(row.id, name)

    assert media_problem([link(PNG, "image/png", "a.png")], whatsapp=False) is None
    assert media_problem([link(b"x" * 100, "application/zip", "a.zip")], whatsapp=False) == "12300"
    assert media_problem([link(b"\0" * 3_000_000, "image/png", "b.png")] * 2, whatsapp=False) == "11751"
    assert media_problem([link(b"\0" * 6_000_000, "image/jpeg", "c.jpg")], whatsapp=True) == "11751"
    assert media_problem([link(PNG, "image/png", "d.png")] * 2, whatsapp=True) == "21623"
    assert media_problem([app.config["SWITCHBOARD_PUBLIC_URL"] + "/media/forged/x.png"], whatsapp=False) == "11200"


def test_a_document_the_customer_sends_shows_its_size_and_downloads_as_what_it_is(app, agent, api, simulator):
    assert simulator.customer_sends("+14155550125", "+14155550000", "Here is the invoice",
                                    attachments=[("application/pdf", PDF)])[0] == 200
    chat = chat_of("+14155550125")
    client = api(agent)
    (message,) = client.get(f"/api/v1/chats/{chat.id}/messages").json
    (media,) = message["media"]
    assert media["content_type"] == "application/pdf" and media["size"] == len(PDF)  # learned from Twilio's storage
    opened = client.get(media["url"])
    assert opened.data == PDF and opened.headers["Content-Disposition"] == \
        f'inline; filename="{message["external_id"]}-1.pdf"'
    downloaded = client.get(media["url"] + "?download=1")
    assert downloaded.data == PDF and downloaded.headers["Content-Disposition"].startswith("attachment;")
    assert downloaded.headers["Content-Length"] == str(len(PDF))


def test_the_media_proxy_learns_a_size_twilio_did_not_give(app, agent, api, simulator):
    assert simulator.customer_sends("+14155550126", "+14155550000", "",
                                    attachments=[("text/vcard", b"BEGIN:VCARD\nEND:VCARD\n")])[0] == 200
    row = db.session.execute(db.select(Message).where(Message.direction == "in")).scalar_one()
    row.media = [{k: v for k, v in row.media[0].items() if k != "size"}]  # storage gave no length
    db.session.commit()
    client = api(agent)
    assert client.get(row.media[0]["url"]).status_code == 200
    (message,) = client.get(f"/api/v1/chats/{row.chat_id}/messages").json
    assert message["media"][0]["size"] == len(b"BEGIN:VCARD\nEND:VCARD\n")
