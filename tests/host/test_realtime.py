"""Socket.IO: authenticated connections, rooms by access, live events."""
from host.extensions import db
from host.models import Chat
from host.testing.loopback import webhook


def received(client, name=None, packets=None):
    packets = client.get_received() if packets is None else packets
    return [p["args"][0] for p in packets if p["name"] == name]


def test_anonymous_connections_are_refused(app):
    client = app.extensions["socketio"].test_client(app)
    assert not client.is_connected()


def test_api_token_connection_is_accepted(app, agent):
    from host.api.agents import issue_token

    client = app.extensions["socketio"].test_client(app, auth={"token": issue_token(agent)})
    assert client.is_connected()
    bad = app.extensions["socketio"].test_client(app, auth={"token": "sbt_not-a-real-token-000000000000"})
    assert not bad.is_connected()


def test_group_members_see_new_chats_others_do_not(app, agent, make_agent, socket_client):
    outsider = make_agent("sales@example.test", groups=("Sales",))
    mine, theirs = socket_client(agent), socket_client(outsider)
    mine.get_received(), theirs.get_received()
    webhook(app.test_client(), {"id": "m1", "from": "+15550001", "body": "Hello <b>there</b>"})
    packets = mine.get_received()
    created = received(mine, "chat:created", packets)
    assert len(created) == 1 and created[0]["chat"]["customer_address"] == "+15550001"
    messages = received(mine, "message:created", packets)
    assert messages[0]["message"]["body"] == "Hello <b>there</b>"
    assert theirs.get_received() == []


def test_joining_another_groups_chat_is_refused(app, agent, make_agent, socket_client):
    outsider = make_agent("sales@example.test", groups=("Sales",))
    webhook(app.test_client(), {"id": "m1", "from": "+15550001", "body": "hi"})
    chat = db.session.execute(db.select(Chat)).scalar_one()
    assert socket_client(outsider).emit("chat:join", {"chat_id": chat.id}, callback=True)["ok"] is False
    assert socket_client(agent).emit("chat:join", {"chat_id": chat.id}, callback=True) == {"ok": True}
    assert socket_client(agent).emit("chat:join", {"chat_id": "nope"}, callback=True)["ok"] is False


def test_a_refusal_speaks_the_agents_language(app, agent, make_agent, socket_client):
    outsider = make_agent("ventas@example.test", groups=("Sales",))
    outsider.language = "es"
    db.session.commit()
    webhook(app.test_client(), {"id": "m1", "from": "+15550001", "body": "hi"})
    chat = db.session.execute(db.select(Chat)).scalar_one()
    ack = socket_client(outsider).emit("chat:join", {"chat_id": chat.id}, callback=True)
    assert ack["ok"] is False and ack["error"] == "No tienes acceso a este chat.", ack


def test_status_updates_and_transfers_arrive_live(app, agent, make_agent, api, socket_client):
    colleague = make_agent("colleague@example.test")
    webhook(app.test_client(), {"id": "m1", "from": "+15550001", "body": "hi"})
    chat = db.session.execute(db.select(Chat)).scalar_one()
    watcher = socket_client(colleague)
    watcher.get_received()
    api(agent).post(f"/api/v1/chats/{chat.id}/messages", json={"body": "on it"})
    app.extensions["switchboard"].outbox.drain()
    statuses = [m["message"]["status"] for m in received(watcher, "message:updated")]
    assert statuses == ["sent"]
    assert api(agent).post(f"/api/v1/chats/{chat.id}/transfer", json={"agent_id": colleague.id}).status_code == 200
    updates = received(watcher, "chat:updated")
    assert updates[-1]["reason"] == "transferred" and updates[-1]["chat"]["agent_id"] == colleague.id


def test_presence_ping_marks_the_agent_online(app, agent, api, socket_client):
    client = socket_client(agent)
    assert client.emit("presence:ping", callback=True) == {"ok": True}
    rows = {a["email"]: a["online"] for a in api(agent).get("/api/v1/agents").json}
    assert rows[agent.email] is True


def test_browsers_connect_only_from_our_own_origin(app):
    from host.realtime import allowed_origin

    environ = {"wsgi.url_scheme": "http", "HTTP_HOST": "127.0.0.1:5091"}
    assert allowed_origin(app, "http://127.0.0.1:5091", environ)
    assert allowed_origin(app, app.config["SWITCHBOARD_PUBLIC_URL"], environ)
    assert not allowed_origin(app, "https://evil.example", environ)


def test_a_transfer_to_another_group_says_the_new_groups_name_and_leaves_the_old_groups_lists(
        app, agent, admin, make_agent, api, socket_client):
    from host.models import Group

    seller = make_agent("sales@example.test", groups=("Sales",))
    sales = db.session.execute(db.select(Group).where(Group.name == "Sales")).scalar_one()
    colleague = make_agent("colleague@example.test")  # Support, like the chat
    webhook(app.test_client(), {"id": "m1", "from": "+15550001", "body": "hi"})
    chat = db.session.execute(db.select(Chat)).scalar_one()
    assert api(agent).get(f"/api/v1/chats/{chat.id}").get_json()["group_name"] == "Support"
    support_watcher, sales_watcher = socket_client(colleague), socket_client(seller)
    support_watcher.get_received(), sales_watcher.get_received()

    moved = api(agent).post(f"/api/v1/chats/{chat.id}/transfer", json={"group_id": sales.id})
    assert moved.status_code == 200 and moved.get_json()["group_name"] == "Sales"
    (update,) = received(sales_watcher, "chat:updated")
    assert (update["chat"]["group_id"], update["chat"]["group_name"]) == (sales.id, "Sales")
    # the Support colleague's console drops it from its lists, told no more than where it went
    packets = support_watcher.get_received()
    assert received(support_watcher, "chat:updated", packets) == []
    assert received(support_watcher, "chat:gone", packets) == [
        {"chat_id": chat.id, "group_id": sales.id, "group_name": "Sales"}]



def test_websockets_open_without_compression_though_browsers_offer_it(live_server):
    # Taking up the browsers' offer would compress every event once per console
    # (host.realtime.WithoutWebsocketCompression).
    from tests.scaleout.support import BROWSER_OFFER, websocket_answer

    answer = websocket_answer(live_server.url, BROWSER_OFFER)
    assert " 101 " in answer["status"], answer
    assert "sec-websocket-extensions" not in answer, answer
