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
    agent.language = "es"
    db.session.commit()
    [shown] = [m for m in api(agent).get(f"/api/v1/chats/{sent.chat_id}/messages").json if m["id"] == message_id]
    assert shown["error_message"] == ("Este cliente se dio de baja de los mensajes de Loopback (respondió STOP), así "
                                      "que no se envió nada. Puede volver a darse de alta enviando START.")
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


# --- history and admins clearing an opt-out --------------------------------------------------

def consent_of(api, who, contact_id):
    return api(who).get(f"/api/v1/contacts/{contact_id}/consent")


def test_every_consent_change_is_in_the_history_with_where_it_came_from(app, admin, agent, api, inbound, loopback):
    inbound("sms", "+14155550123", body="Hi")
    inbound("sms", "+14155550123", body="Stop", opt_out="stop")
    inbound("sms", "+14155550123", body="STOP", opt_out="stop")   # no change: recorded once
    inbound("sms", "+14155550123", body="start", opt_out="start")
    message = inbound("loopback", "dora")
    loopback.channel.fail_next.append(SendError("Attempt to send to unsubscribed recipient", code="21610",
                                                opted_out=True))
    reply(app, api, agent, message.chat)

    sms = identity("phone", "+14155550123")
    response = consent_of(api, admin, sms.contact_id)
    assert response.status_code == 200
    (channel,) = [c for c in response.json if c["kind"] == "phone"]
    assert channel["address"] == "+14155550123" and channel["opted_out"] is False
    assert [(e["opted_out"], e["source"], e["detail"]) for e in channel["history"]] == [
        (False, "customer", "start"), (True, "customer", "Stop")]  # newest first
    assert channel["history"][1]["sentence"] == "Opted out: the customer texted “Stop”."

    loop = identity("loopback", "dora")
    (entry,) = consent_of(api, admin, loop.contact_id).json
    (change,) = entry["history"]
    assert (change["opted_out"], change["source"]) == (True, "provider")
    assert "21610" in change["detail"] and change["sentence"].startswith("Opted out: a message was refused")


def test_agents_cannot_see_the_history_or_clear_an_opt_out(app, admin, agent, api, inbound):
    inbound("sms", "+14155550123", body="STOP", opt_out="stop")
    sms = identity("phone", "+14155550123")
    assert consent_of(api, agent, sms.contact_id).status_code == 403
    response = api(agent).post(f"/api/v1/contacts/{sms.contact_id}/consent/{sms.id}/clear",
                               json={"reason": "They asked on the phone"})
    assert response.status_code == 403
    assert identity("phone", "+14155550123").opted_out is True


def test_an_admin_clears_an_opt_out_only_with_a_reason_and_it_is_recorded(app, admin, api, inbound, recorder):
    inbound("sms", "+14155550123", body="STOP", opt_out="stop")
    sms = identity("phone", "+14155550123")
    url = f"/api/v1/contacts/{sms.contact_id}/consent/{sms.id}/clear"
    for missing in ({}, {"reason": "   "}):
        response = api(admin).post(url, json=missing)
        assert response.status_code == 422
        assert "reason" in response.json["errors"]["json"]
    assert identity("phone", "+14155550123").opted_out is True

    response = api(admin).post(url, json={"reason": "Signed the paper consent form at the counter"})
    assert response.status_code == 200, response.json
    assert response.json["opted_out"] is False
    latest = response.json["history"][0]
    assert (latest["opted_out"], latest["source"], latest["agent_name"]) == (False, "admin", "Ada Admin")
    assert latest["detail"] == "Signed the paper consent form at the counter"
    assert latest["sentence"] == "Opt-out cleared by Ada Admin: Signed the paper consent form at the counter"
    assert identity("phone", "+14155550123").opted_out is False
    assert consent_refusal("sms", "+14155550123") is None
    assert recorder.of("contact_changed")[-1].contact["id"] == sms.contact_id

    again = api(admin).post(url, json={"reason": "Twice"})
    assert again.status_code == 409 and "not opted out" in again.json["message"]


def test_clearing_needs_an_identity_of_that_contact(app, admin, api, inbound):
    inbound("sms", "+14155550123", body="STOP", opt_out="stop")
    inbound("sms", "+14155550199", body="STOP", opt_out="stop")
    mine, other = identity("phone", "+14155550123"), identity("phone", "+14155550199")
    response = api(admin).post(f"/api/v1/contacts/{mine.contact_id}/consent/{other.id}/clear",
                               json={"reason": "Wrong contact"})
    assert response.status_code == 404
    assert identity("phone", "+14155550199").opted_out is True
    assert api(admin).get("/api/v1/contacts/999999/consent").status_code == 404


def test_merging_contacts_keeps_the_consent_history(app, admin, api, inbound):
    inbound("sms", "+14155550123", body="STOP", opt_out="stop")
    inbound("whatsapp", "whatsapp:+14155550124", body="hi")
    first, second = identity("phone", "+14155550123"), identity("whatsapp", "whatsapp:+14155550124")
    response = api(admin).post(f"/api/v1/contacts/{second.contact_id}/merge", json={"other_id": first.contact_id})
    assert response.status_code == 200
    history = consent_of(api, admin, second.contact_id).json
    phone = next(c for c in history if c["kind"] == "phone")
    assert [e["source"] for e in phone["history"]] == ["customer"]
