"""Group boundaries when a conversation starts: writing or calling first, reopening.

An agent who may not see a customer's chat cannot take it over by typing the customer's
number: 403 with a sentence naming the group, and nothing changes (chat, assignment,
channel, outbox, realtime). A customer who comes back to another group starts a new
chat there: nobody sees history their group could not see before.
"""
from __future__ import annotations

import itertools

import pytest

from host.chats import receive
from host.contracts import InboundMessage
from host.extensions import db
from host.models import Call, Chat, Group, Message, OutboxItem

CUSTOMER = "+14155550123"
OUR_NUMBER = "+14155550000"   # the simulator's number
HANDLED_BY_SUPPORT = ("This customer is handled by Support. Ask a Support agent or an admin to transfer the "
                      "chat to you.")
_ids = itertools.count(1)


def inbound(address=CUSTOMER, channel="sms", body="hi", to=OUR_NUMBER) -> Chat:
    stored = receive(InboundMessage(channel=channel, external_id=f"gb-{next(_ids)}", from_address=address,
                                    to_address=to, body=body))
    return db.session.get(Chat, stored.chat_id)


def state(chat_id):
    """What a takeover would change: the chat, its messages, the outbox, chats and calls."""
    db.session.expire_all()
    chat = db.session.get(Chat, chat_id)
    count = lambda model: db.session.execute(db.select(db.func.count()).select_from(model)).scalar()  # noqa: E731
    return ((chat.status, chat.agent_id, chat.group_id, chat.channel, chat.customer_address, chat.sender),
            count(Message), count(OutboxItem), count(Chat), count(Call))


@pytest.fixture
def sales(make_agent, agent):  # agent: Support exists first and is the default group
    return make_agent("sales@example.test", groups=("Sales",), name="Sol Sales")


def group_id(name):
    return db.session.execute(db.select(Group.id).where(Group.name == name)).scalar_one()


def start(api, who, channel="sms", to=CUSTOMER):
    body = {"channel": channel, "to": to, "body": "Hello from us"}
    if channel == "whatsapp":
        body = {"channel": channel, "to": to, "template": {"sid": "HX" + "0" * 32}, "body": ""}
    return api(who).post("/api/v1/chats", json=body)


@pytest.mark.parametrize("channel", ["sms", "whatsapp"])
@pytest.mark.parametrize("archived", [False, True])
def test_writing_first_to_another_groups_customer_is_refused_and_changes_nothing(
        app, api, agent, sales, socket_client, channel, archived):
    chat = inbound()
    if archived:
        api(agent).post(f"/api/v1/chats/{chat.id}/archive")
    before = state(chat.id)
    listener = socket_client(sales)
    listener.get_received()

    response = start(api, sales, channel)

    assert response.status_code == 403, response.json
    assert response.json["message"] == HANDLED_BY_SUPPORT
    assert state(chat.id) == before
    # The customer's next message does not reach the refused agent.
    inbound(body="are you there?")
    assert [p["name"] for p in listener.get_received()] == []


def test_calling_another_groups_customer_is_refused_and_changes_nothing(app, api, agent, sales):
    chat = inbound()
    before = state(chat.id)
    response = api(sales).post("/api/v1/voice/calls", json={"to": CUSTOMER})
    assert response.status_code == 403, response.json
    assert response.json["message"] == HANDLED_BY_SUPPORT
    assert state(chat.id) == before


def test_a_browser_call_placed_without_the_api_is_refused_by_the_twiml_app(app, agent, sales):
    from plugins.twilio_channel.settings import load_config
    from plugins.twilio_channel.testing.webhooks import post_twilio

    chat = inbound()
    before = state(chat.id)
    response = post_twilio(app, "/webhooks/twilio/voice/outbound", {
        "CallSid": "CA" + "7" * 32, "From": f"client:agent-{sales.id}", "To": CUSTOMER,
        "AccountSid": load_config().account.sid})
    assert response.status_code == 200
    assert "handled by Support" in response.get_data(as_text=True)
    assert state(chat.id) == before


@pytest.mark.parametrize("who", ["agent", "admin"])
def test_members_of_the_group_and_admins_may_write_first(app, api, agent, admin, sales, who):
    chat = inbound()
    response = start(api, {"agent": agent, "admin": admin}[who])
    assert response.status_code == 201, response.json
    assert response.json["id"] == chat.id and response.json["group_id"] == group_id("Support")


def test_a_customer_pinned_to_a_group_belongs_to_it_before_any_chat(app, api, admin, agent, sales):
    pinned = api(admin).post("/api/v1/contacts", json={"name": "Pia", "phone": CUSTOMER,
                                                       "group_id": group_id("Support")})
    assert pinned.status_code == 201
    refused = start(api, sales)
    assert refused.status_code == 403
    assert refused.json["message"] == ("This customer belongs to Support. Ask a Support agent or an admin to "
                                       "write to them, or to move the contact to your group.")
    assert db.session.execute(db.select(db.func.count()).select_from(Chat)).scalar() == 0
    assert start(api, agent).status_code == 201


def test_a_new_customer_starts_in_a_group_of_the_agent_who_wrote(app, api, agent, sales):
    # Routing would put a new chat in the default group (Support), which Sales can't see.
    response = start(api, sales, to="+14155550177")
    assert response.status_code == 201
    assert (response.json["group_id"], response.json["agent_id"]) == (group_id("Sales"), sales.id)
    assert start(api, agent, to="+14155550178").json["group_id"] == group_id("Support")


def test_a_returning_customer_routed_elsewhere_gets_a_new_chat_not_the_old_history(app, api, admin, agent, sales):
    old = inbound(body="my card number is 4242")
    api(agent).post(f"/api/v1/chats/{old.id}/archive")
    contact_id = old.contact_id
    moved = api(admin).patch(f"/api/v1/contacts/{contact_id}", json={"group_id": group_id("Sales")})
    assert moved.status_code == 200

    new = inbound(body="hello again")

    assert new.id != old.id and new.group_id == group_id("Sales")
    db.session.expire_all()
    assert (db.session.get(Chat, old.id).status, db.session.get(Chat, old.id).group_id) == (
        "archived", group_id("Support"))
    client = api(sales)
    assert client.get(f"/api/v1/chats/{old.id}/messages").status_code == 404
    assert [m["body"] for m in client.get(f"/api/v1/chats/{new.id}/messages").json] == ["hello again"]
    assert [c["id"] for c in client.get(f"/api/v1/contacts/{contact_id}/chats").json] == [new.id]


def test_a_returning_customer_of_the_same_group_reopens_their_chat(app, api, agent):
    old = inbound()
    api(agent).post(f"/api/v1/chats/{old.id}/archive")
    assert inbound(body="back").id == old.id


def test_reopening_says_what_to_do_when_the_customer_is_elsewhere(app, api, admin, agent, sales):
    old = inbound()
    api(agent).post(f"/api/v1/chats/{old.id}/archive")
    api(admin).patch(f"/api/v1/contacts/{old.contact_id}", json={"group_id": group_id("Sales")})
    before = state(old.id)
    refused = api(agent).post(f"/api/v1/chats/{old.id}/reopen", json={})
    assert refused.status_code == 403
    assert refused.json["message"].startswith("This customer belongs to Sales.")
    assert state(old.id) == before
    # An admin may see Sales, but reopening would show Support's history to Sales.
    told = api(admin).post(f"/api/v1/chats/{old.id}/reopen", json={})
    assert told.status_code == 409 and "Transfer this chat to Sales first" in told.json["message"]
    assert state(old.id) == before


def test_reopening_an_old_chat_beside_an_open_one_points_to_it(app, api, agent):
    old = inbound()
    api(agent).post(f"/api/v1/chats/{old.id}/archive")
    second = Chat(channel="sms", customer_address=CUSTOMER, contact_id=old.contact_id, group_id=old.group_id,
                  status="queued")
    db.session.add(second)
    db.session.commit()
    response = api(agent).post(f"/api/v1/chats/{old.id}/reopen", json={})
    assert response.status_code == 409
    assert response.json["message"] == f"This customer already has an open chat (#{second.id}). Continue there."
