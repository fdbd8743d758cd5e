"""/api/v1/contacts: create, read, search, edit, delete, merge, notes, chats, live updates."""
from __future__ import annotations

import pytest

from host.extensions import db
from host.models import Chat, Group
from plugins.contacts.models import Contact, ContactNote

from .conftest import chats

BASE = "/api/v1/contacts"


def count(model=Contact):
    return db.session.execute(db.select(db.func.count()).select_from(model)).scalar()


@pytest.fixture
def client(api, agent):
    return api(agent)


def create(client, **data):
    response = client.post(BASE, json=data)
    assert response.status_code == 201, response.json
    return response.json


def test_create_normalises_and_reads_back(client, agent):
    body = create(client, name="  Maria   Lopez ", email="Maria@Example.COM", phone="(415) 555-0123",
                  whatsapp="+44 7911 123456", preferred_channel="WhatsApp", note="VIP since 2019")
    assert body["name"] == "Maria Lopez" and body["email"] == "maria@example.com"
    assert (body["phone"], body["whatsapp"], body["preferred_channel"]) == (
        "+14155550123", "+447911123456", "whatsapp")
    assert body["name_source"] == "agent" and body["url"] == f"{BASE}/{body['id']}"
    assert body["created_at"].endswith("+00:00")
    assert {(i["kind"], i["address"], i["opted_out"]) for i in body["identities"]} == {
        ("phone", "+14155550123", False), ("whatsapp", "whatsapp:+447911123456", False)}
    assert client.get(f"{BASE}/{body['id']}").json == body
    notes = client.get(f"{BASE}/{body['id']}/notes").json
    assert [(n["body"], n["author_name"]) for n in notes] == [("VIP since 2019", "Sam Agent")]


@pytest.mark.parametrize("data, field, words", [
    ({"name": "A", "phone": "555-CALL-NOW"}, "phone", "may only contain digits"),
    ({"name": "A", "phone": "12"}, "phone", "is not valid"),
    ({"name": "A", "email": "maria@"}, "email", "name@example.com"),
    ({"name": "A", "whatsapp": "whatsapp:+1"}, "whatsapp", "is not valid"),
    ({"name": "A", "phone": "+14155550123", "preferred_channel": "fax"}, "preferred_channel", "SMS or WhatsApp"),
    ({"name": "A", "preferred_channel": "sms"}, "preferred_channel", "Add a phone or WhatsApp number"),
    ({"name": "A", "group_id": 99999}, "group_id", "no group"),
    ({"name": ""}, "name", "at least a name"),
    ({}, "name", "at least a name"),
    ({"name": "x" * 201}, "name", "at most 200"),
])
def test_invalid_input_is_refused_with_the_field_and_a_sentence(client, data, field, words):
    response = client.post(BASE, json=data)
    assert response.status_code == 422
    messages = response.json["errors"]["json"][field]
    assert any(words in m for m in messages), messages
    assert count() == 0


def test_nothing_is_half_saved(client):
    response = client.post(BASE, json={"name": "Ann", "phone": "+14155550123", "whatsapp": "nope",
                                       "email": "also bad"})
    assert response.status_code == 422
    assert set(response.json["errors"]["json"]) == {"whatsapp", "email"}
    assert count() == 0
    ann = create(client, name="Ann", phone="+14155550123")
    response = client.patch(f"{BASE}/{ann['id']}", json={"name": "Ann Lee", "phone": "+1415555"})
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Contact, ann["id"]).name == "Ann"


@pytest.mark.parametrize("existing, new, field", [
    ({"phone": "+14155550123"}, {"phone": "415-555-0123"}, "phone"),
    ({"phone": "+14155550123"}, {"whatsapp": "+1 415 555 0123"}, "whatsapp"),   # one number, one person
    ({"whatsapp": "+14155550123"}, {"phone": "+14155550123"}, "phone"),
    ({"email": "ann@example.com"}, {"email": "ANN@example.com"}, "email"),
])
def test_duplicates_are_refused_with_a_pointer_to_the_existing_contact(client, existing, new, field):
    first = create(client, name="Ann Lee", **existing)
    response = client.post(BASE, json={"name": "Someone", **new})
    assert response.status_code == 409
    assert response.json["errors"]["existing"] == {"id": first["id"], "name": "Ann Lee",
                                                   "url": f"{BASE}/{first['id']}"}
    assert "Ann Lee" in response.json["message"] and field in response.json["errors"]["json"]
    assert count() == 1


def test_editing_to_another_contacts_number_is_a_duplicate(client):
    create(client, name="Ann", phone="+14155550123")
    ben = create(client, name="Ben", phone="+14155550199")
    response = client.patch(f"{BASE}/{ben['id']}", json={"phone": "+14155550123"})
    assert response.status_code == 409
    assert client.patch(f"{BASE}/{ben['id']}", json={"email": "ben@example.com"}).status_code == 200
    assert client.patch(f"{BASE}/{ben['id']}", json={"email": "ben@example.com"}).status_code == 200


def test_update_changes_only_given_fields_and_empty_clears(api, admin):
    client = api(admin)  # moving the contact to Sales takes it out of a Support agent's sight
    sales = db.session.execute(db.select(Group).where(Group.name == "Sales")).scalar_one()
    ann = create(client, name="Ann", phone="+14155550123", email="ann@example.com")
    body = client.patch(f"{BASE}/{ann['id']}", json={"email": "", "group_id": sales.id,
                                                     "whatsapp": "+14155550123"}).json
    assert (body["name"], body["email"], body["group_id"], body["group_name"]) == ("Ann", None, sales.id, "Sales")
    assert body["whatsapp"] == "+14155550123" and body["phone"] == "+14155550123"
    body = client.patch(f"{BASE}/{ann['id']}", json={"phone": None, "group_id": None}).json
    assert (body["phone"], body["whatsapp"], body["group_id"]) == (None, "+14155550123", None)


def test_a_new_number_starts_with_fresh_consent(client, inbound):
    inbound("sms", "+14155550123", body="STOP", opt_out="stop")
    contact = db.session.execute(db.select(Contact)).scalar_one()
    body = client.patch(f"{BASE}/{contact.id}", json={"phone": "+14155550199"}).json
    assert [(i["address"], i["opted_out"]) for i in body["identities"]] == [("+14155550199", False)]


def test_search_by_name_digits_and_email_with_pagination(client):
    create(client, name="María García", email="maria.garcia@acme.com", phone="+14155552671")
    create(client, name="Mario Rossi", phone="+442079460958")
    create(client, name="Ann Lee", email="ann.lee@example.org")

    def names(q, **kw):
        return [c["name"] for c in client.get(BASE, query_string={"q": q, **kw}).json["items"]]

    assert set(names("mar")) == {"María García", "Mario Rossi"}
    assert names("(415) 555-26") == ["María García"]
    assert names("555 2671") == ["María García"]
    assert names("ann.lee@") == ["Ann Lee"]
    assert names("nobody") == []
    page = client.get(BASE, query_string={"q": "mar", "per_page": 1}).json
    assert len(page["items"]) == 1 and page["has_next"] is True
    page2 = client.get(BASE, query_string={"q": "mar", "per_page": 1, "page": 2}).json
    assert page2["has_next"] is False and page2["items"][0]["id"] != page["items"][0]["id"]


def test_browse_sorted_by_name_or_recent(client):
    for name in ("Zoe", "adam", "Émile"):
        create(client, name=name)
    create(client, phone="+14155550123")  # unnamed contacts come last
    by_name = client.get(BASE).json
    assert [c["name"] for c in by_name["items"]] == ["adam", "Émile", "Zoe", ""]
    recent = client.get(BASE, query_string={"sort": "recent", "per_page": 2}).json
    assert [c["name"] for c in recent["items"]] == ["", "Émile"] and recent["has_next"]
    assert client.get(BASE, query_string={"sort": "size"}).status_code == 422


def test_notes_with_author_and_time(client, agent, api, admin):
    ann = create(client, name="Ann")
    assert client.post(f"{BASE}/{ann['id']}/notes", json={"body": "  "}).status_code == 422
    client.post(f"{BASE}/{ann['id']}/notes", json={"body": "Prefers mornings"})
    api(admin).post(f"{BASE}/{ann['id']}/notes", json={"body": "Called back"})
    notes = client.get(f"{BASE}/{ann['id']}/notes").json
    assert [(n["body"], n["author_name"]) for n in notes] == [("Called back", "Ada Admin"),
                                                              ("Prefers mornings", "Sam Agent")]
    assert all(n["created_at"].endswith("+00:00") for n in notes)


def test_chats_of_a_contact_active_and_archived(client, agent, inbound):
    second = inbound("whatsapp", "whatsapp:+14155550123").chat
    contact = db.session.execute(db.select(Contact)).scalar_one()
    first = Chat(channel="sms", customer_address="+14155550123", contact_id=contact.id, status="archived")
    db.session.add(first)
    db.session.commit()
    listed = client.get(f"{BASE}/{contact.id}/chats").json
    assert [(c["id"], c["status"]) for c in listed] == [(second.id, "queued"), (first.id, "archived")]


def test_chats_of_other_groups_are_not_listed(api, agent, make_agent, inbound):
    outsider = make_agent("out@example.test", groups=("Elsewhere",))
    first = inbound("sms", "+14155550123").chat
    first.group_id = db.session.execute(db.select(Group.id).where(Group.name == "Support")).scalar()
    first.status = "archived"
    elsewhere = Chat(channel="sms", customer_address="+14155550123", contact_id=first.contact_id,
                     group_id=outsider.groups[0].id)
    db.session.add(elsewhere)
    db.session.commit()
    listed = api(outsider).get(f"{BASE}/{first.contact_id}/chats").json
    assert [c["id"] for c in listed] == [elsewhere.id]
    assert {c["id"] for c in api(agent).get(f"{BASE}/{first.contact_id}/chats").json} == {first.id}


@pytest.fixture
def admin_client(api, admin):
    return api(admin)


def test_merge_moves_identities_notes_and_chats_then_deletes(admin_client, inbound, recorder):
    client = admin_client
    a = inbound("sms", "+14155550123", profile={"name": "Maria"}).chat
    b = inbound("sms", "+14155550199").chat
    keep, gone = a.contact_id, b.contact_id
    client.post(f"{BASE}/{gone}/notes", json={"body": "Second number"})
    client.patch(f"{BASE}/{gone}", json={"email": "m@example.com"})
    recorder.clear()
    response = client.post(f"{BASE}/{keep}/merge", json={"other_id": gone})
    assert response.status_code == 200, response.json
    body = response.json
    assert body["name"] == "Maria" and body["email"] == "m@example.com"
    assert sorted(i["address"] for i in body["identities"]) == ["+14155550123", "+14155550199"]
    assert [n["body"] for n in client.get(f"{BASE}/{keep}/notes").json] == ["Second number"]
    assert {c.contact_id for c in chats()} == {keep}
    assert client.get(f"{BASE}/{gone}").status_code == 404
    events = recorder.of("contact_changed")
    assert [(e.contact["id"], e.deleted) for e in events] == [(keep, False), (gone, True)]
    assert set(events[0].chat_ids) == {a.id, b.id}
    # The next message from the merged number finds the survivor.
    assert inbound("sms", "+14155550199", body="again").chat.contact_id == keep


def test_merge_refusals(client, admin_client):
    ann = create(client, name="Ann")
    refused = client.post(f"{BASE}/{ann['id']}/merge", json={"other_id": ann["id"]})
    assert refused.status_code == 403 and refused.json["message"] == "Only administrators can do this."
    client = admin_client
    assert client.post(f"{BASE}/{ann['id']}/merge", json={"other_id": ann["id"]}).status_code == 422
    missing = client.post(f"{BASE}/{ann['id']}/merge", json={"other_id": 424242})
    assert missing.status_code == 422 and "other_id" in missing.json["errors"]["json"]
    assert client.post(f"{BASE}/424242/merge", json={"other_id": ann["id"]}).status_code == 404
    assert count() == 1


def test_merge_is_one_transaction(admin_client, inbound, monkeypatch):
    client = admin_client
    from plugins.contacts import chat_links

    a = inbound("sms", "+14155550123").chat
    b = inbound("sms", "+14155550199").chat

    def broken(*args):
        raise RuntimeError("disk full")

    monkeypatch.setattr(chat_links, "move", broken)
    with pytest.raises(RuntimeError):
        client.post(f"{BASE}/{a.contact_id}/merge", json={"other_id": b.contact_id})
    db.session.rollback()
    db.session.expire_all()
    assert count() == 2 and db.session.get(Contact, b.contact_id).identities


def test_delete_keeps_the_chats_without_a_contact(client, inbound, recorder):
    chat = inbound("sms", "+14155550123").chat
    contact_id = chat.contact_id
    client.post(f"{BASE}/{contact_id}/notes", json={"body": "x"})
    assert client.delete(f"{BASE}/{contact_id}").status_code == 204
    assert count() == 0 and count(ContactNote) == 0
    db.session.expire_all()
    assert db.session.get(Chat, chat.id).contact_id is None
    event = recorder.of("contact_changed")[-1]
    assert event.deleted and event.chat_ids == (chat.id,)
    assert client.delete(f"{BASE}/{contact_id}").status_code == 404
    # The customer writes again: a new contact, and the old chat joins it.
    again = inbound("sms", "+14155550123", body="hello?").chat
    assert again.id == chat.id and again.contact_id is not None and count() == 1


def test_for_chat_reads_and_creates_the_chats_contact(client, agent):
    chat = Chat(channel="sms", customer_address="+14155550123", customer_name="Maria Lopez", status="queued")
    db.session.add(chat)
    db.session.commit()
    assert client.get(f"{BASE}/for-chat/{chat.id}").json == {"chat_id": chat.id, "contact": None}
    body = client.post(f"{BASE}/for-chat/{chat.id}").json
    assert body["contact"]["name"] == "Maria Lopez" and body["contact"]["phone"] == "+14155550123"
    assert client.post(f"{BASE}/for-chat/{chat.id}").json == body  # idempotent
    assert client.get(f"{BASE}/for-chat/{chat.id}").json == body
    odd = Chat(channel="sms", customer_address="SHORTCODE", status="queued")
    db.session.add(odd)
    db.session.commit()
    assert client.post(f"{BASE}/for-chat/{odd.id}").status_code == 409
    assert client.get(f"{BASE}/for-chat/999999").status_code == 404


def test_edits_reach_other_agents_widgets_live(app, client, inbound, make_agent, socket_client):
    colleague = make_agent("colleague@example.test")
    chat = inbound("sms", "+14155550123").chat
    watcher = socket_client(colleague)
    assert watcher.emit("chat:join", {"chat_id": chat.id}, callback=True)["ok"]
    watcher.get_received()
    client.patch(f"{BASE}/{chat.contact_id}", json={"name": "Maria Lopez"})
    updates = [e for e in watcher.get_received() if e["name"] == "contact:updated"]
    assert updates and updates[0]["args"][0]["contact"]["name"] == "Maria Lopez"
    assert updates[0]["args"][0]["deleted"] is False


def test_a_rename_reaches_the_contacts_chats_in_lists_and_after_a_reload(app, client, inbound, make_agent,
                                                                          socket_client):
    colleague = make_agent("colleague@example.test")
    sms = inbound("sms", "+14155550123", profile={"name": "Maria"}).chat
    whatsapp = inbound("whatsapp", "whatsapp:+14155550123").chat
    db.session.execute(db.update(Chat).where(Chat.id == whatsapp.id).values(status="archived"))
    db.session.commit()
    watcher = socket_client(colleague)   # a console with the lists open, no chat joined
    watcher.get_received()
    assert client.patch(f"{BASE}/{sms.contact_id}", json={"name": "Maria Lopez"}).status_code == 200
    (update,) = [e["args"][0] for e in watcher.get_received() if e["name"] == "contact:updated"]
    assert update["contact"]["name"] == "Maria Lopez" and update["contact"]["id"] == sms.contact_id
    for chat_id in (sms.id, whatsapp.id):   # the lists read the new name after a reload too
        assert client.get(f"/api/v1/chats/{chat_id}").json["customer_name"] == "Maria Lopez"


def test_routes_need_a_signed_in_agent(app):
    client = app.test_client()
    for path in (BASE, f"{BASE}/1", f"{BASE}/export.csv"):
        assert client.get(path, headers={"Accept": "application/json"}).status_code == 401


def test_contacts_api_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in ("/api/v1/contacts", "/api/v1/contacts/{contact_id}", "/api/v1/contacts/{contact_id}/merge",
                 "/api/v1/contacts/{contact_id}/notes", "/api/v1/contacts/{contact_id}/chats",
                 "/api/v1/contacts/import", "/api/v1/contacts/export.csv"):
        assert path in paths, path


def test_nul_characters_never_reach_the_database(client):
    body = create(client, name="Ann\x00 Lee", phone="+14155550123")
    assert body["name"] == "Ann Lee"
    assert client.get(BASE, query_string={"q": "ann\x00"}).json["items"][0]["id"] == body["id"]


def test_refusals_speak_the_agents_language(client):
    response = client.post(BASE, json={"name": "x" * 201}, headers={"Accept-Language": "es"})
    assert response.json["errors"]["json"]["name"] == ["Usa como máximo 200 caracteres."]
    ann = create(client, name="Ann")
    response = client.post(f"{BASE}/{ann['id']}/notes", json={"body": "  "}, headers={"Accept-Language": "pl"})
    assert response.status_code == 422
    assert response.json["errors"]["json"]["body"] == ["Wpisz coś w notatce."]


def test_a_plugins_schema_refuses_in_the_agents_language(app, agent, api):
    from host.extensions import db

    agent.language = "pl"
    db.session.commit()
    response = api(agent).get("/api/v1/contacts?page=first&per_page=500")
    assert response.status_code == 422
    assert response.json["errors"]["query"] == {
        "page": ["To nie jest prawidłowa liczba całkowita."],
        "per_page": ["Musi być większe lub równe 1 i mniejsze lub równe 100."]}
