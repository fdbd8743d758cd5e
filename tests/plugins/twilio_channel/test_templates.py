"""WhatsApp templates as Twilio's Content API has them: only approved ones are offered.

The catalogue comes from ``ContentAndApprovals`` (every page), is kept in the database
and refreshed on demand; agents get the templates approved for WhatsApp, admins see the
others with their status. A sent template stores the text the customer received. The
24-hour window is counted per (customer, our WhatsApp sender). The simulator serves
approval data and fails an unapproved template outside the window with 63016.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from host import settings
from host.extensions import db
from host.models import Chat, Message, utcnow
from plugins.twilio_channel.messaging.templates import whatsapp_approval
from plugins.twilio_channel.models import SimulatedMessage

SHIPPED = "HX" + "0" * 31 + "1"     # approved
FOLLOW_UP = "HX" + "0" * 31 + "2"   # approved
REJECTED = "HX" + "0" * 31 + "4"
DRAFT = "HX" + "0" * 31 + "6"
CUSTOMER = "whatsapp:+447700900123"
OURS, OTHER = "whatsapp:+14155550000", "whatsapp:+14155550001"


def names(items):
    return [t["friendly_name"] for t in items]


def test_the_picker_offers_only_templates_approved_for_whatsapp(app, agent, api, simulator):
    offered = api(agent).get("/api/v1/twilio/templates").get_json()
    assert names(offered) == ["appointment_reminder", "follow_up", "order_shipped"]
    assert all(t["status"] == "approved" for t in offered)
    assert REJECTED not in {t["sid"] for t in offered} and DRAFT not in {t["sid"] for t in offered}


def test_every_page_of_the_catalogue_is_read(app, agent, api, simulator):
    for n in range(250):
        simulator.templates.append({"sid": f"HXf{n:031x}", "friendly_name": f"bulk_{n:03d}",
                                    "language": "en", "variables": {}, "body": f"Bulk {n}",
                                    "status": "approved"})
    pages_before = len([r for r in simulator.requests if r.endswith("/v1/ContentAndApprovals")])
    offered = api(agent).get("/api/v1/twilio/templates").get_json()
    assert len(offered) == 253
    pages = len([r for r in simulator.requests if r.endswith("/v1/ContentAndApprovals")]) - pages_before
    assert pages == 3  # 100 a page


def test_the_catalogue_is_cached_and_refresh_reloads_it(app, agent, api, simulator):
    assert len(api(agent).get("/api/v1/twilio/templates").get_json()) == 3
    simulator.templates.append({"sid": "HX" + "e" * 32, "friendly_name": "new_one", "language": "en",
                                "variables": {}, "body": "New", "status": "approved"})
    assert "new_one" not in names(api(agent).get("/api/v1/twilio/templates").get_json())
    assert "new_one" in names(api(agent).get("/api/v1/twilio/templates?refresh=true").get_json())


def test_admins_see_every_template_with_its_status(app, admin, agent, api, signed_in, simulator):
    everything = api(admin).get("/api/v1/twilio/templates/all").get_json()
    by_name = {t["friendly_name"]: t for t in everything}
    assert by_name["holiday_offer"]["status"] == "rejected"
    assert "promotional" in by_name["holiday_offer"]["rejection_reason"]
    assert by_name["welcome_draft"]["status"] == "unsubmitted"
    assert by_name["order_update_v2"]["status"] == "pending"
    assert api(agent).get("/api/v1/twilio/templates/all").status_code == 403

    page = signed_in(admin).get("/twilio/admin").get_data(as_text=True)
    assert "holiday_offer" in page and "Rejected" in page and "promotional" in page
    assert "welcome_draft" in page and "Not submitted" in page

    # In Polish the counts take the form their number asks for (3 → "szablony", 5 → "szablonów").
    polish = signed_in(admin).get("/twilio/admin", headers={"Accept-Language": "pl"}).get_data(as_text=True)
    assert "Szablony WhatsApp" in polish and "Odrzucony" in polish and "Nie zgłoszony" in polish
    approved = sum(t["status"] == "approved" for t in everything)
    forms = {1: "szablon zatwierdzony", 2: "szablony zatwierdzone", 3: "szablony zatwierdzone", 4: "szablony zatwierdzone"}
    assert f"{approved} {forms.get(approved, 'szablonów zatwierdzonych')} dla WhatsApp" in polish
    assert "Refresh from Twilio" not in polish and "Odśwież z Twilio" in polish


def test_approval_data_in_both_shapes_twilio_answers_with():
    flat = {"name": "x", "category": "UTILITY", "status": "approved", "rejection_reason": ""}
    nested = {"whatsapp": {"name": "x", "category": "UTILITY", "status": "Rejected", "rejection_reason": "No"}}
    assert whatsapp_approval(flat) == ("approved", "UTILITY", "")
    assert whatsapp_approval(nested) == ("rejected", "UTILITY", "No")
    assert whatsapp_approval(None) == ("unsubmitted", "", "")
    assert whatsapp_approval({}) == ("unsubmitted", "", "")


# --- sending ---------------------------------------------------------------------------------

def whatsapp_chat(simulator, hours_ago=0, to=OURS):
    simulator.customer_sends(CUSTOMER, to.removeprefix("whatsapp:"), "Hallo", channel="whatsapp", profile_name="Tom")
    if hours_ago:
        old = utcnow() - timedelta(hours=hours_ago)
        db.session.execute(db.update(Message).values(created_at=old))
        db.session.execute(db.update(SimulatedMessage).values(created_at=old))
        db.session.commit()
    return db.session.execute(db.select(Chat).where(Chat.customer_address == CUSTOMER)).scalar_one()


def test_a_sent_template_keeps_the_text_the_customer_received(app, agent, api, simulator):
    chat = whatsapp_chat(simulator, hours_ago=30)
    response = api(agent).post(f"/api/v1/chats/{chat.id}/messages", json={"template": {
        "sid": SHIPPED, "name": "order_shipped", "variables": {"1": "Tom", "2": "#4411"}}})
    assert response.status_code == 201, response.get_json()
    text = "Hi Tom, good news: your order #4411 has shipped. Reply here if you have any questions."
    assert response.get_json()["body"] == text
    transcript = api(agent).get(f"/api/v1/chats/{chat.id}/messages").get_json()
    assert transcript[-1]["body"] == text and transcript[-1]["template"]["sid"] == SHIPPED
    app.extensions["switchboard"].outbox.drain()
    simulator.run_pending()
    message = db.session.get(Message, response.get_json()["id"])
    db.session.refresh(message)
    sim = db.session.get(SimulatedMessage, message.external_id)
    assert sim.body == text and message.status == "read"  # what Twilio rendered is what we stored


def test_an_unapproved_template_is_refused_outside_the_window_and_allowed_inside(app, agent, api, simulator):
    chat = whatsapp_chat(simulator, hours_ago=30)
    refused = api(agent).post(f"/api/v1/chats/{chat.id}/messages", json={"template": {"sid": REJECTED}})
    assert refused.status_code == 409
    assert "not approved for WhatsApp" in refused.get_json()["message"]
    unknown = api(agent).post(f"/api/v1/chats/{chat.id}/messages", json={"template": {"sid": "HX" + "d" * 32}})
    assert unknown.status_code == 409 and "no template" in unknown.get_json()["message"]
    assert db.session.execute(db.select(db.func.count(Message.id)).where(Message.direction == "out")).scalar() == 0

    simulator.customer_sends(CUSTOMER, "+14155550000", "Are you there?", channel="whatsapp")
    inside = api(agent).post(f"/api/v1/chats/{chat.id}/messages", json={"template": {"sid": REJECTED}})
    assert inside.status_code == 201  # within the session any content may be sent


def test_simulator_fails_an_unapproved_template_outside_the_window_with_63016(app, agent, simulator):
    from plugins.twilio_channel.client import twilio_client

    whatsapp_chat(simulator, hours_ago=30)
    client = twilio_client()
    created = {sid: client.messages.create(to=CUSTOMER, from_=OURS, content_sid=sid,
                                           status_callback="http://switchboard.test/webhooks/twilio/status")
               for sid in (SHIPPED, REJECTED)}
    db.session.commit()  # the simulator's rows join the caller's transaction, as the outbox's do
    simulator.run_pending()
    statuses = {sid: db.session.get(SimulatedMessage, m.sid) for sid, m in created.items()}
    assert (statuses[REJECTED].status, statuses[REJECTED].error_code) == ("failed", "63016")
    assert statuses[SHIPPED].status == "read" and statuses[SHIPPED].error_code is None


def test_simulator_refuses_a_content_sid_it_does_not_have(app, simulator):
    from twilio.base.exceptions import TwilioRestException

    from plugins.twilio_channel.client import twilio_client

    with pytest.raises(TwilioRestException) as refused:
        twilio_client().messages.create(to=CUSTOMER, from_=OURS, content_sid="HX" + "d" * 32)
    assert refused.value.code == 21655


# --- the window per (customer, business sender) --------------------------------------------------

def test_the_window_is_counted_per_business_sender(app, agent, api, simulator):
    settings.save("twilio_channel", {"whatsapp_senders": [OURS, OTHER]})
    chat = whatsapp_chat(simulator, to=OURS)
    window = api(agent).get(f"/api/v1/twilio/whatsapp/window?chat_id={chat.id}").get_json()
    assert window["open"] is True
    # The chat now leaves from our other sender: the customer never wrote to that one.
    chat.sender = OTHER
    db.session.commit()
    window = api(agent).get(f"/api/v1/twilio/whatsapp/window?chat_id={chat.id}").get_json()
    assert window["open"] is False and "+14155550001" in window["message"]
    refused = api(agent).post(f"/api/v1/chats/{chat.id}/messages", json={"body": "Hello from Sales"})
    assert refused.status_code == 409


def test_simulator_counts_the_window_per_business_sender(app, simulator):
    settings.save("twilio_channel", {"whatsapp_senders": [OURS, OTHER]})
    whatsapp_chat(simulator, to=OURS)
    assert simulator.window_closed(CUSTOMER, OURS) is False
    assert simulator.window_closed(CUSTOMER, OTHER) is True
