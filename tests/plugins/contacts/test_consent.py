"""Opt-out: STOP/START keywords and provider opt-out errors; check_consent refuses sends."""
from __future__ import annotations

from host.chats import apply_status, resolve
from host.contracts import SendError, StatusUpdate
from host.extensions import db
from plugins.contacts.models import ContactIdentity
from plugins.contacts.resolve import consent_refusal


def identity(kind, address):
    return db.session.execute(db.select(ContactIdentity).filter_by(kind=kind, address=address)).scalar_one()


def reply(app, api, agent, chat, body="Hello?"):
    response = api(agent).post(f"/api/v1/chats/{chat.id}/messages", json={"body": body})
    assert response.status_code == 201, response.json
    app.extensions["switchboard"].outbox.drain()
    return response.json["id"]


def test_stop_opts_out_that_channel_only_and_start_opts_back_in(app, agent, inbound, recorder):
    inbound("whatsapp", "whatsapp:+14155550123")
    inbound("sms", "+14155550123", body="STOP", opt_out="stop")
    assert identity("phone", "+14155550123").opted_out is True
    assert identity("whatsapp", "whatsapp:+14155550123").opted_out is False
    refusal = consent_refusal("sms", "+1 415 555 0123")
    assert refusal and "opted out of SMS" in refusal and "START" in refusal
    assert consent_refusal("whatsapp", "whatsapp:+14155550123") is None
    changed = recorder.of("contact_changed")[-1]
    phone = next(i for i in changed.contact["identities"] if i["kind"] == "phone")
    assert phone["opted_out"] is True and changed.chat_ids

    inbound("sms", "+14155550123", body="START", opt_out="start")
    assert identity("phone", "+14155550123").opted_out is False
    assert consent_refusal("sms", "+14155550123") is None


def test_a_refused_send_fails_without_calling_the_channel(app, agent, api, inbound, loopback):
    from host.models import Message

    message = inbound("loopback", "alice")
    inbound("loopback", "alice", body="STOP", opt_out="stop")
    message_id = reply(app, api, agent, message.chat)
    sent = db.session.get(Message, message_id)
    db.session.refresh(sent)
    assert sent.status == "failed" and sent.error_code == "opted-out"
    assert "opted out of Loopback messages" in sent.error_message
    assert loopback.channel.sent == []
    assert app.extensions["switchboard"].outbox.drain() == 0  # not retried


def test_a_provider_opt_out_error_marks_the_identity(app, agent, api, inbound, loopback):
    message = inbound("loopback", "bob")
    loopback.channel.fail_next.append(SendError("Attempt to send to unsubscribed recipient", code="21610",
                                                opted_out=True))
    reply(app, api, agent, message.chat)
    assert identity("loopback", "bob").opted_out is True
    assert consent_refusal("loopback", "bob")


def test_an_opted_out_status_callback_marks_the_identity(app, agent, api, inbound, loopback):
    message = inbound("loopback", "carol")
    reply(app, api, agent, message.chat)
    external_id = loopback.channel.records[-1]["external_id"]
    apply_status(StatusUpdate(channel="loopback", external_id=external_id, status="failed",
                              error_code="21610", opted_out=True))
    assert identity("loopback", "carol").opted_out is True


def test_unknown_addresses_are_not_refused(app, agent):
    assert consent_refusal("sms", "+14155550199") is None
    assert consent_refusal("sms", "not a number") is None
    assert resolve("sms", "not a number").id is None
