"""Contacts follow the groups: who may see, change, merge, import and export them.

Support's customer writes in (their chat lands in Support, the default group); Sales
agents may not see that contact anywhere — list, search, read, notes, chats, edits,
live pushes — nor pull it into Sales. Admins see everything.
"""
from __future__ import annotations

import pytest

from host.extensions import db
from host.models import Chat, Group
from plugins.contacts.models import Contact, ContactNote

BASE = "/api/v1/contacts"


def gid(name):
    return db.session.execute(db.select(Group.id).where(Group.name == name)).scalar_one()


@pytest.fixture
def sales(make_agent, agent):  # agent first: Support is the default group
    return make_agent("sales@example.test", groups=("Sales",), name="Sol Sales")


@pytest.fixture
def support_customer(api, agent, inbound):
    """Maria wrote to Support; a Support agent noted something about her."""
    chat = inbound("sms", "+14155550123", profile={"name": "Maria Secret"}).chat
    api(agent).post(f"{BASE}/{chat.contact_id}/notes", json={"body": "Prefers mornings"})
    return db.session.get(Contact, chat.contact_id)


def names(client, **query):
    return [c["name"] for c in client.get(BASE, query_string=query).json["items"]]


def test_another_groups_contact_is_in_no_list_search_or_read(api, agent, sales, admin, support_customer):
    outsider, member = api(sales), api(agent)
    contact_id = support_customer.id
    assert names(outsider) == [] and names(outsider, sort="recent") == []
    assert names(outsider, q="maria") == [] and names(outsider, q="555 0123") == []
    for path in ("", "/notes", "/chats"):
        response = outsider.get(f"{BASE}/{contact_id}{path}")
        assert response.status_code == 404, path
        assert "Maria" not in response.get_data(as_text=True)
    assert names(member, q="maria") == ["Maria Secret"] and names(api(admin)) == ["Maria Secret"]
    assert [n["body"] for n in member.get(f"{BASE}/{contact_id}/notes").json] == ["Prefers mornings"]


def test_another_groups_contact_cannot_be_changed(api, sales, support_customer):
    outsider = api(sales)
    contact_id = support_customer.id
    assert outsider.patch(f"{BASE}/{contact_id}", json={"group_id": gid("Sales")}).status_code == 404
    assert outsider.post(f"{BASE}/{contact_id}/notes", json={"body": "mine now"}).status_code == 404
    assert outsider.delete(f"{BASE}/{contact_id}").status_code == 404
    db.session.expire_all()
    contact = db.session.get(Contact, contact_id)
    assert contact.group_id is None and contact.notes.count() == 1


def test_contacts_without_chats_follow_their_group_override(api, admin, agent, sales):
    admin_client = api(admin)
    shared = admin_client.post(BASE, json={"name": "Nobody's Yet"}).json
    pinned = admin_client.post(BASE, json={"name": "Pinned Support", "group_id": gid("Support")}).json
    assert names(api(sales)) == ["Nobody's Yet"]
    assert names(api(agent)) == ["Nobody's Yet", "Pinned Support"]
    assert api(sales).get(f"{BASE}/{pinned['id']}").status_code == 404
    assert api(sales).get(f"{BASE}/{shared['id']}").status_code == 200


def test_moving_a_customer_to_another_group_needs_their_group(api, agent, sales, admin, support_customer, inbound):
    # Maria also once wrote to Sales: Sales agents see her contact through that chat.
    sales_chat = Chat(channel="sms", customer_address="+14155550123", contact_id=support_customer.id,
                      group_id=gid("Sales"), status="archived")
    db.session.add(sales_chat)
    db.session.commit()
    outsider = api(sales)
    assert outsider.get(f"{BASE}/{support_customer.id}").status_code == 200
    refused = outsider.patch(f"{BASE}/{support_customer.id}", json={"group_id": gid("Sales")})
    assert refused.status_code == 403
    assert refused.json["message"] == ("This customer belongs to Support: only a Support agent or an admin can "
                                       "move them to another group.")
    assert outsider.patch(f"{BASE}/{support_customer.id}", json={"name": "Maria S."}).status_code == 200
    db.session.expire_all()
    assert db.session.get(Contact, support_customer.id).group_id is None
    # Support may hand her over.
    assert api(agent).patch(f"{BASE}/{support_customer.id}", json={"group_id": gid("Sales")}).status_code == 200


def test_notes_and_chats_of_a_shared_customer_show_only_what_each_group_may_see(
        api, agent, sales, support_customer):
    sales_chat = Chat(channel="sms", customer_address="+14155550123", contact_id=support_customer.id,
                      group_id=gid("Sales"), status="archived")
    db.session.add(sales_chat)
    db.session.commit()
    support_chat = db.session.execute(db.select(Chat.id).where(Chat.group_id == gid("Support"))).scalar_one()
    assert [c["id"] for c in api(sales).get(f"{BASE}/{support_customer.id}/chats").json] == [sales_chat.id]
    assert [c["id"] for c in api(agent).get(f"{BASE}/{support_customer.id}/chats").json] == [support_chat]
    # Deleting would take Support's notes away: only who sees every chat may.
    refused = api(sales).delete(f"{BASE}/{support_customer.id}")
    assert refused.status_code == 403 and "Support" in refused.json["message"]
    assert db.session.get(Contact, support_customer.id) is not None


def test_merge_import_and_export_are_for_admins(api, agent, admin, support_customer):
    client = api(agent)
    other = client.post(BASE, json={"name": "Dup", "phone": "+14155550199"}).json
    assert client.post(f"{BASE}/{support_customer.id}/merge", json={"other_id": other["id"]}).status_code == 403
    assert client.post(f"{BASE}/import", json={"csv": "name,phone\nBen,+14155550111\n"}).status_code == 403
    assert client.get(f"{BASE}/export.csv").status_code == 403
    assert db.session.execute(db.select(db.func.count()).select_from(Contact)).scalar() == 2
    assert api(admin).get(f"{BASE}/export.csv").status_code == 200


def test_a_new_contact_cannot_claim_another_groups_chats(app, api, sales, agent):
    # Chats from before the contacts plugin knew this number: no contact yet.
    chat = Chat(channel="sms", customer_address="+14155550123", group_id=gid("Support"), status="queued")
    db.session.add(chat)
    db.session.commit()
    refused = api(sales).post(BASE, json={"name": "Mine", "phone": "+14155550123", "group_id": gid("Sales")})
    assert refused.status_code == 403
    assert refused.json["message"] == ("This number is a customer of Support: only a Support agent or an admin "
                                       "can create or edit their contact.")
    mine = api(sales).post(BASE, json={"name": "Mine", "phone": "+14155550999"}).json
    assert api(sales).patch(f"{BASE}/{mine['id']}", json={"phone": "+14155550123"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Chat, chat.id).contact_id is None
    assert db.session.execute(db.select(db.func.count()).select_from(Contact)).scalar() == 1
    assert api(agent).post(BASE, json={"name": "Maria", "phone": "+14155550123"}).status_code == 201


def test_a_duplicate_in_another_group_is_refused_without_naming_it(api, sales, support_customer):
    response = api(sales).post(BASE, json={"name": "Copy", "phone": "+14155550123"})
    assert response.status_code == 409
    assert response.json["errors"]["existing"] is None
    assert "Maria" not in response.get_data(as_text=True)
    assert f"#{support_customer.id}" not in response.json["message"]


def test_live_contact_updates_reach_only_who_may_see_the_contact(app, api, agent, sales, make_agent,
                                                                   support_customer, socket_client):
    colleague = make_agent("colleague@example.test", groups=("Support",))
    outsider, insider = socket_client(sales), socket_client(colleague)
    outsider.get_received(), insider.get_received()
    api(agent).patch(f"{BASE}/{support_customer.id}", json={"name": "Maria Renamed"})
    updates = lambda client: [e for e in client.get_received() if e["name"] == "contact:updated"]  # noqa: E731
    assert [e["args"][0]["contact"]["name"] for e in updates(insider)] == ["Maria Renamed"]
    assert updates(outsider) == []


def test_search_finds_visible_contacts_behind_many_hidden_ones(api, admin, agent, sales):
    # 150 newer Support-only "Jo" contacts rank before the Sales one.
    sales_contact = Contact(name="Jo Visible", group_id=gid("Sales"))
    db.session.add(sales_contact)
    db.session.flush()
    db.session.add_all(Contact(name=f"Jo Hidden {n}", group_id=gid("Support")) for n in range(150))
    db.session.commit()
    assert names(api(sales), q="jo") == ["Jo Visible"]
    page = api(agent).get(BASE, query_string={"q": "jo", "per_page": 100}).json
    assert len(page["items"]) == 100 and page["has_next"]


def test_notes_are_not_exported_to_agents_through_the_csv_either(api, agent, support_customer):
    # The export would carry every group's notes: admins only (see above); this is its body.
    assert api(agent).get(f"{BASE}/export.csv").get_data(as_text=True).find("Prefers mornings") == -1
    assert db.session.execute(db.select(db.func.count()).select_from(ContactNote)).scalar() == 1
