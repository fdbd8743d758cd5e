"""Open Socket.IO connections follow access changes (host.realtime_access.check).

Here the check runs by hand, after each change; tests/scaleout/test_revocation.py shows
the background task doing it within 2 seconds across real processes.
"""
import pytest

from host.extensions import db
from host.models import Chat, Group
from host.testing.loopback import webhook

PASSWORD = "correct-horse-battery"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def switchboard_config(request):
    # PostgreSQL reads the connections' ids as one array parameter, SQLite as an IN list
    return {"DATABASE_URL": request.getfixturevalue("postgres_url")} if request.param == "postgresql" else {}


def check(app):
    from host.realtime_access import check as check_connections

    check_connections(app)


def connections(app):
    from host.realtime_access import connections as open_connections

    return open_connections(app)


def last_words(client):
    """What a connection the server closed received before it closed."""
    return [p for p in client.queue if p["namespace"] == "/"]


def names(packets):
    return [p["name"] for p in packets]


def events(packets, name):
    return [p["args"][0] for p in packets if p["name"] == name]


def new_customer_message(app, n=1):
    return webhook(app.test_client(), {"id": f"m{n}", "from": f"+1555000{n:04d}", "body": f"hello {n}"})


@pytest.fixture
def sales(make_agent):
    return make_agent("seller@example.test", groups=("Sales",))


def test_a_deactivated_agent_is_disconnected_and_hears_nothing_more(app, agent, admin, api, socket_client):
    client = socket_client(agent)
    client.get_received()
    new_customer_message(app, 1)
    assert events(client.get_received(), "message:created")  # connected: hears its group
    assert api(admin).patch(f"/api/v1/agents/{agent.id}", json={"active": False}).status_code == 200
    check(app)
    assert not client.is_connected()
    ended = events(last_words(client), "session:ended")[0]
    assert ended["reason"] == "deactivated" and "deactivated" in ended["message"]
    assert not connections(app)
    client.queue.clear()
    new_customer_message(app, 2)
    assert last_words(client) == []


def test_the_closing_sentence_is_in_the_agents_language(app, agent, admin, api, socket_client):
    agent.language = "es"
    db.session.commit()
    client = socket_client(agent)
    assert api(admin).patch(f"/api/v1/agents/{agent.id}", json={"active": False}).status_code == 200
    check(app)
    ended = events(last_words(client), "session:ended")[0]
    assert ended["reason"] == "deactivated"
    assert ended["message"].startswith("Tu cuenta se ha desactivado"), ended


def test_an_agent_removed_from_a_group_stops_hearing_it_at_once(app, agent, admin, api, socket_client):
    client = socket_client(agent)
    sales = db.session.execute(db.select(Group).where(Group.name == "Sales")).scalar_one_or_none() or Group(name="Sales")
    db.session.add(sales)
    db.session.commit()
    assert api(admin).patch(f"/api/v1/agents/{agent.id}", json={"group_ids": [sales.id]}).status_code == 200
    client.get_received()
    check(app)
    assert names(client.get_received()) == ["access:changed"]
    assert client.is_connected()
    new_customer_message(app)   # routed to Support, the default group
    assert client.get_received() == []
    check(app)
    assert client.get_received() == []   # nothing changed since: no event


def test_an_agent_added_to_a_group_starts_hearing_it(app, agent, sales, api, admin, socket_client):
    client = socket_client(sales)
    new_customer_message(app, 1)
    client.get_received()
    support = db.session.execute(db.select(Group).where(Group.name == "Support")).scalar_one()
    ids = [g.id for g in sales.groups] + [support.id]
    assert api(admin).patch(f"/api/v1/agents/{sales.id}", json={"group_ids": ids}).status_code == 200
    check(app)
    assert names(client.get_received()) == ["access:changed"]
    new_customer_message(app, 2)
    assert [m["message"]["body"] for m in events(client.get_received(), "message:created")] == ["hello 2"]


def test_an_admin_hears_a_group_created_after_connecting(app, admin, api, socket_client):
    client = socket_client(admin)
    created = api(admin).post("/api/v1/groups", json={"name": "Night shift"}).json
    check(app)
    client.get_received()
    from host.realtime import push
    push("probe", {"ok": True}, [f"group:{created['id']}"])
    assert names(client.get_received()) == ["probe"]


def test_an_open_chat_that_moves_to_another_group_leaves_the_room(app, agent, admin, api, socket_client):
    new_customer_message(app)
    chat = db.session.execute(db.select(Chat)).scalar_one()
    client = socket_client(agent)
    assert client.emit("chat:join", {"chat_id": chat.id}, callback=True) == {"ok": True}
    sales = Group(name="Night shift")
    db.session.add(sales)
    db.session.commit()
    chat.group_id = sales.id   # as a transfer to the Sales queue would
    db.session.commit()
    check(app)
    assert names(client.get_received())[-1] == "access:changed"
    from host.realtime import push
    push("probe", {}, [f"chat:{chat.id}"])
    assert client.get_received() == []


def test_signing_out_closes_that_sign_ins_connections_only(app, agent, signed_in):
    socketio = app.extensions["socketio"]
    laptop, phone = signed_in(agent), signed_in(agent)
    laptop_socket = socketio.test_client(app, flask_test_client=laptop)
    phone_socket = socketio.test_client(app, flask_test_client=phone)
    laptop.post("/logout", data={"csrf_token": laptop.csrf_token})
    check(app)
    assert not laptop_socket.is_connected()
    assert "signed out" in events(last_words(laptop_socket), "session:ended")[0]["message"]
    assert phone_socket.is_connected() and "session:ended" not in names(phone_socket.get_received())
    phone_socket.disconnect()


def test_a_new_password_closes_every_other_sign_ins_connections(app, agent, signed_in):
    socketio = app.extensions["socketio"]
    here, there = signed_in(agent), signed_in(agent)
    here_socket = socketio.test_client(app, flask_test_client=here)
    there_socket = socketio.test_client(app, flask_test_client=there)
    here.post(f"/profile/{agent.id}/password", data={
        "csrf_token": here.csrf_token, "current_password": PASSWORD,
        "new_password": "a-brand-new-passphrase", "repeat_password": "a-brand-new-passphrase"})
    check(app)
    assert here_socket.is_connected()
    assert not there_socket.is_connected()
    here_socket.disconnect()


def test_a_revoked_token_closes_its_connections(app, agent, api):
    from host.api.agents import issue_token
    from host.models import ApiToken

    socketio = app.extensions["socketio"]
    kept, revoked = issue_token(agent, "kept"), issue_token(agent, "revoked")
    kept_socket = socketio.test_client(app, auth={"token": kept})
    revoked_socket = socketio.test_client(app, auth={"token": revoked})
    token = db.session.execute(db.select(ApiToken).where(ApiToken.name == "revoked")).scalar_one()
    assert api(agent).delete(f"/api/v1/tokens/{token.id}").status_code == 204
    check(app)
    assert not revoked_socket.is_connected() and kept_socket.is_connected()
    assert "revoked" in events(last_words(revoked_socket), "session:ended")[0]["message"]
    kept_socket.disconnect()


def test_events_of_a_deactivated_agent_are_refused_before_the_check(app, agent, admin, api, socket_client):
    client = socket_client(agent)
    assert client.emit("presence:ping", callback=True) == {"ok": True}
    api(admin).patch(f"/api/v1/agents/{agent.id}", json={"active": False})
    assert client.emit("presence:ping", callback=True) == {"ok": False}
