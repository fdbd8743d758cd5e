"""resolve_contact: every chat gets a contact; one person across SMS and WhatsApp; profiles."""
from __future__ import annotations

import pytest

from host import settings
from host.chats import reopen, resolve, resolve_many
from host.contracts import CustomerAddress
from host.extensions import db
from plugins.contacts.models import AGENT, CHANNEL, Contact, ContactIdentity

from .conftest import chats


def contacts():
    return db.session.execute(db.select(Contact).order_by(Contact.id)).scalars().all()


def test_first_message_creates_a_contact_and_the_chat_points_to_it(app, agent, inbound, recorder):
    message = inbound("sms", "+14155550123", profile={"name": "Maria Lopez"})
    [contact] = contacts()
    assert contact.name == "Maria Lopez" and contact.name_source == CHANNEL
    assert [(i.kind, i.address) for i in contact.identities] == [("phone", "+14155550123")]
    assert message.chat.contact_id == contact.id
    # A new contact is announced by chat_started; contact_changed is for later changes.
    assert recorder.names() == ["chat_started", "message_received"]
    assert recorder.of("message_received")[0].contact_id == contact.id


def test_sms_and_whatsapp_from_one_number_are_one_contact(app, agent, inbound):
    inbound("sms", "+14155550123")
    inbound("whatsapp", "whatsapp:+14155550123", profile={"name": "Maria"})
    [contact] = contacts()
    assert sorted((i.kind, i.address) for i in contact.identities) == [
        ("phone", "+14155550123"), ("whatsapp", "whatsapp:+14155550123")]
    assert {c.contact_id for c in chats()} == {contact.id}


def test_whatsapp_first_then_sms_finds_the_same_contact(app, agent, inbound):
    inbound("whatsapp", "whatsapp:+447911123456", profile={"name": "Tom"})
    inbound("sms", "+447911123456")
    assert len(contacts()) == 1


def test_national_formats_use_the_default_region(app, agent):
    settings.save("contacts", {"default_region": "GB"})
    ref = resolve("sms", "07911 123456")
    assert db.session.get(Contact, ref.id).identity("phone").address == "+447911123456"


def test_the_host_config_region_is_the_fallback(app, agent):
    app.config["SWITCHBOARD_DEFAULT_REGION"] = "DE"
    ref = resolve("sms", "030 1234567")
    assert db.session.get(Contact, ref.id).identity("phone").address == "+49301234567"


def test_profile_name_fills_but_never_overwrites_an_agents_edit(app, agent, api, inbound, recorder):
    inbound("whatsapp", "whatsapp:+14155550123", profile={"name": "maria_l"})
    [contact] = contacts()
    inbound("whatsapp", "whatsapp:+14155550123", profile={"name": "Maria L."})
    db.session.refresh(contact)
    assert contact.name == "Maria L."  # a channel may refresh its own value
    assert recorder.of("contact_changed")[-1].contact["name"] == "Maria L."

    response = api(agent).patch(f"/api/v1/contacts/{contact.id}", json={"name": "Maria Lopez"})
    assert response.status_code == 200, response.json
    inbound("whatsapp", "whatsapp:+14155550123", profile={"name": "Someone Else"})
    db.session.refresh(contact)
    assert (contact.name, contact.name_source) == ("Maria Lopez", AGENT)


def test_profile_email_fills_an_empty_email(app, agent, inbound):
    inbound("livechat", "customer-1", profile={"name": "Ann", "email": "Ann@Example.com"})
    [contact] = contacts()
    assert (contact.email, contact.identity("livechat").address) == ("ann@example.com", "customer-1")


def test_contact_ref_carries_group_override_and_preferred_channel(app, agent, admin, inbound):
    from host.models import Group

    sales = db.session.execute(db.select(Group).where(Group.name == "Sales")).scalar_one()
    inbound("sms", "+14155550123")
    [contact] = contacts()
    contact.group_id, contact.preferred_channel = sales.id, "whatsapp"
    db.session.commit()
    ref = resolve("sms", "+1 (415) 555-0123")
    assert (ref.id, ref.group_id, ref.preferred_channel) == (contact.id, sales.id, "whatsapp")
    # The override routes the next new chat.
    for chat in chats():
        chat.status = "archived"
    db.session.commit()
    message = inbound("sms", "+14155550123", body="again")
    assert message.chat.group_id == sales.id


# The WhatsApp address is written by the channel's own description ("whatsapp:" before the
# number), so this test registers the channels that describe it.
@pytest.mark.parametrize("switchboard_plugins", ["contacts,twilio_channel"])
def test_reopen_uses_the_contacts_preferred_channel(app, agent, inbound):
    message = inbound("sms", "+14155550123")
    chat = message.chat
    chat.status = "archived"
    contact = contacts()[0]
    contact.preferred_channel = "whatsapp"
    db.session.commit()
    reopen(chat, agent)
    db.session.refresh(chat)
    assert (chat.channel, chat.customer_address, chat.status) == ("whatsapp", "whatsapp:+14155550123", "active")


def test_unreadable_addresses_get_no_contact(app, agent, inbound):
    message = inbound("sms", "ACME-SHOP")  # an alphanumeric sender
    assert message.chat.contact_id is None and contacts() == []


def test_other_channels_keep_their_addresses_verbatim(app, agent, inbound):
    inbound("loopback", "alice", profile={"name": "Alice"})
    inbound("loopback", "alice", body="again")
    [contact] = contacts()
    assert [(i.kind, i.address) for i in contact.identities] == [("loopback", "alice")]


def test_chats_from_before_the_contact_are_adopted(app, agent, inbound):
    from host.models import Chat

    db.session.add(Chat(channel="sms", customer_address="+14155550123", status="archived"))
    db.session.commit()
    inbound("whatsapp", "whatsapp:+14155550123")
    [contact] = contacts()
    assert {c.contact_id for c in chats()} == {contact.id}


def test_a_lost_race_for_a_new_identity_uses_the_winners_contact(app, agent, monkeypatch):
    from plugins.contacts import resolve as module

    real = module.identity_rows
    calls = []

    def racing(session, kind, address):
        if not calls:  # the first look finds nothing; meanwhile someone inserts it
            calls.append(1)
            winner = Contact(name="Winner", identities=[ContactIdentity(kind=kind, address=address)])
            from sqlalchemy.orm import Session
            with Session(db.engine) as other:
                other.add(winner)
                other.commit()
            return {}
        return real(session, kind, address)

    monkeypatch.setattr(module, "identity_rows", racing)
    ref = resolve("sms", "+14155550123")
    assert ref.name == "Winner" and len(contacts()) == 1



def test_a_batch_is_answered_as_each_of_its_customers_would_be(app, agent, inbound):
    inbound("sms", "+14155550123", profile={"name": "Maria"})
    inbound("sms", "+14155550124", profile={"name": "Tom"})
    maria, tom = contacts()

    refs = resolve_many([
        CustomerAddress("sms", "+14155550123", {"name": "Maria"}),          # known, nothing new
        CustomerAddress("whatsapp", "whatsapp:+14155550124", {}),           # Tom's number on WhatsApp
        CustomerAddress("sms", "+14155550125", {"name": "Ana"}),           # new
        CustomerAddress("sms", "+14155550123", {"name": "Maria Lopez"}),   # Maria, with a new name
        CustomerAddress("sms", "SHORTCODE", {"name": "Bank"})])            # no contact can have it

    assert [ref.id for ref in refs[:2]] == [maria.id, tom.id]
    ana = db.session.get(Contact, refs[2].id)
    assert ana.name == "Ana" and ana.identity("phone").address == "+14155550125"
    assert (refs[3].id, refs[3].name) == (maria.id, "Maria Lopez")
    assert (refs[4].id, refs[4].name) == (None, "Bank")  # the host's anonymous answer
    db.session.refresh(tom)
    assert sorted(i.kind for i in tom.identities) == ["phone", "whatsapp"]


def test_known_customers_of_a_batch_cost_one_statement(app, agent, inbound, sql_statements):
    for n in range(3):
        inbound("sms", f"+1415555012{n}", profile={"name": f"Customer {n}"})
    inbound("whatsapp", "whatsapp:+14155550129")
    sql_statements.clear()

    refs = resolve_many([CustomerAddress("sms", f"+1415555012{n}", {"name": f"Customer {n}"}) for n in range(3)]
                        + [CustomerAddress("whatsapp", "whatsapp:+14155550129")])

    statements = list(sql_statements)
    assert len(statements) == 1 and "from contact_identities" in statements[0], statements
    assert [ref.id for ref in refs] == [contact.id for contact in contacts()]


def test_a_batch_asks_which_kind_a_channels_addresses_are_once(app, agent, inbound, monkeypatch):
    from plugins.contacts import resolve as module

    for n in range(3):
        inbound("loopback", f"user{n}")
    asked = []
    real = module.enabled_channels
    monkeypatch.setattr(module, "enabled_channels", lambda: asked.append(1) or real())

    refs = resolve_many([CustomerAddress("loopback", f"user{n}") for n in range(3)])

    assert len(asked) == 1  # not once per customer
    assert [ref.id for ref in refs] == [contact.id for contact in contacts()]
