"""Canned replies: personal and per-group shared, who sees and manages which, and what
a reply may say."""
from __future__ import annotations

import pytest

from host.extensions import db
from host.models import CannedReply, Group


@pytest.fixture
def sales_agent(make_agent):
    return make_agent("sales@example.test", groups=("Sales",), name="Sol Sales")


def group_id(name):
    return db.session.execute(db.select(Group.id).where(Group.name == name)).scalar_one()


def create(client, **json):
    return client.post("/api/v1/canned-replies", json={"shortcut": "hello", "body": "Hi {{customer.first_name}}!", **json})


def test_personal_replies_are_their_owners_alone(api, agent, make_agent):
    colleague = make_agent("colleague@example.test")  # same group, Support
    created = create(api(agent), shortcut="mine")
    assert created.status_code == 201, created.json
    assert created.json["group_id"] is None and created.json["shortcut"] == "mine"
    assert [r["shortcut"] for r in api(agent).get("/api/v1/canned-replies").json] == ["mine"]
    assert api(colleague).get("/api/v1/canned-replies").json == []
    rid = created.json["id"]
    assert api(colleague).patch(f"/api/v1/canned-replies/{rid}", json={"body": "changed"}).status_code == 404
    assert api(colleague).delete(f"/api/v1/canned-replies/{rid}").status_code == 404
    assert db.session.get(CannedReply, rid).body == "Hi {{customer.first_name}}!"


def test_shared_replies_reach_the_group_and_its_members_manage_them(api, agent, make_agent, sales_agent, admin):
    colleague = make_agent("colleague@example.test")
    support = group_id("Support")
    created = create(api(agent), shortcut="refund", body="Refunds take 5 days, {{customer.name}}.", group_id=support)
    assert created.status_code == 201, created.json
    rid = created.json["id"]
    assert created.json["group_name"] == "Support"
    assert [r["id"] for r in api(colleague).get("/api/v1/canned-replies").json] == [rid]
    assert api(sales_agent).get("/api/v1/canned-replies").json == []
    assert [r["id"] for r in api(admin).get("/api/v1/canned-replies").json] == [rid]
    # A member of the group edits it; another group's agent can't even see it.
    edited = api(colleague).patch(f"/api/v1/canned-replies/{rid}", json={"body": "Refunds take 3 days."})
    assert edited.status_code == 200 and edited.json["body"] == "Refunds take 3 days."
    assert api(sales_agent).patch(f"/api/v1/canned-replies/{rid}", json={"body": "x"}).status_code == 404
    assert api(sales_agent).delete(f"/api/v1/canned-replies/{rid}").status_code == 404
    # Admins manage every group's shared replies.
    assert api(admin).delete(f"/api/v1/canned-replies/{rid}").status_code == 204
    assert db.session.get(CannedReply, rid) is None


def test_sharing_with_a_group_one_is_not_in_is_refused(api, agent, sales_agent, admin):
    sales = group_id("Sales")
    refused = create(api(agent), group_id=sales)
    assert refused.status_code == 403
    assert "groups you're in" in refused.json["message"]
    assert create(api(agent), group_id=99999).status_code == 403
    assert db.session.execute(db.select(CannedReply)).first() is None
    assert create(api(admin), group_id=sales).status_code == 201


def test_an_agent_leaving_a_group_loses_its_shared_replies(api, agent, make_agent):
    colleague = make_agent("colleague@example.test")
    rid = create(api(agent), group_id=group_id("Support")).json["id"]
    colleague.groups = []
    db.session.commit()
    assert api(colleague).get("/api/v1/canned-replies").json == []
    assert api(colleague).patch(f"/api/v1/canned-replies/{rid}", json={"body": "x"}).status_code == 404


@pytest.mark.parametrize("json, field, words", [
    ({"shortcut": "Has Space"}, "shortcut", "lowercase letters"),
    ({"shortcut": ""}, "shortcut", "lowercase letters"),
    ({"body": "   "}, "body", "Write the reply's text"),
    ({"body": "x" * 1601}, "body", "at most 1,600"),
    ({"body": "Hi {{customer.nickname}}"}, "body", "{{customer.nickname}} is not a variable"),
])
def test_bad_replies_are_refused_field_by_field(api, agent, json, field, words):
    response = create(api(agent), **json)
    assert response.status_code == 422
    assert words in response.json["errors"]["json"][field][0]
    assert db.session.execute(db.select(CannedReply)).first() is None


def test_shortcuts_are_unique_per_owner_not_across_owners(api, agent, make_agent):
    colleague = make_agent("colleague@example.test")
    assert create(api(agent), shortcut="hello").status_code == 201
    again = create(api(agent), shortcut="/Hello")  # the slash and case are forgiven, then it is a duplicate
    assert again.status_code == 422
    assert "/hello is already used in your personal replies" in again.json["errors"]["json"]["shortcut"][0]
    assert create(api(colleague), shortcut="hello").status_code == 201
    assert create(api(agent), shortcut="hello", group_id=group_id("Support")).status_code == 201
    other = create(api(agent), shortcut="bye").json["id"]
    clash = api(agent).patch(f"/api/v1/canned-replies/{other}", json={"shortcut": "hello"})
    assert clash.status_code == 422 and "already used" in clash.json["errors"]["json"]["shortcut"][0]


def test_personal_replies_come_first_then_shared_by_shortcut(api, agent):
    support = group_id("Support")
    for shortcut, group in (("zeta", support), ("beta", None), ("alpha", support), ("omega", None)):
        assert create(api(agent), shortcut=shortcut, group_id=group).status_code == 201
    rows = api(agent).get("/api/v1/canned-replies").json
    assert [(r["shortcut"], r["group_id"]) for r in rows] == [
        ("beta", None), ("omega", None), ("alpha", support), ("zeta", support)]


def test_the_replies_page_lists_the_groups_one_can_share_with(signed_in, agent, admin, sales_agent):
    page = signed_in(agent).get("/replies").get_data(as_text=True)
    assert '"groups": [{"id": %d, "name": "Support"}]' % group_id("Support") in page
    assert "Sales" not in page.split('id="bootstrap"')[1]
    admin_page = signed_in(admin).get("/replies").get_data(as_text=True)
    assert '"name": "Sales"' in admin_page and '"name": "Support"' in admin_page


def test_refusals_speak_the_agents_language(api, agent):
    agent.language = "es"
    db.session.commit()
    assert create(api(agent), body="   ").json["errors"]["json"]["body"] == ["Escribe el texto de la respuesta."]
    assert create(api(agent), body="x" * 1601).json["errors"]["json"]["body"] == [
        "Una respuesta puede tener como máximo 1600 caracteres, como un mensaje."]
    assert create(api(agent), shortcut="hello").status_code == 201
    assert create(api(agent), shortcut="hello").json["errors"]["json"]["shortcut"] == [
        "/hello ya se usa en tus respuestas personales. Elige otro atajo."]
