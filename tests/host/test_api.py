"""REST API: validation with field messages, permissions, group visibility."""
from host.extensions import db
from host.models import Chat
from host.testing.loopback import webhook


def inbound_chat(app, sender="+15550001"):
    webhook(app.test_client(), {"id": f"in-{sender}", "from": sender, "body": "hi"})
    return db.session.execute(db.select(Chat).where(Chat.customer_address == sender)).scalar_one()


def test_empty_reply_is_refused_with_a_field_message(app, agent, api):
    chat = inbound_chat(app)
    response = api(agent).post(f"/api/v1/chats/{chat.id}/messages", json={"body": "   "})
    assert response.status_code == 422
    assert response.json["errors"]["json"]["body"] == ["Write a message, attach media or pick a template."]


def test_too_long_reply_and_bad_template_are_explained(app, agent, api):
    chat = inbound_chat(app)
    response = api(agent).post(f"/api/v1/chats/{chat.id}/messages",
                               json={"body": "x" * 1601, "template": {"sid": "nope"}})
    errors = response.json["errors"]["json"]
    assert response.status_code == 422
    assert errors["body"] == ["A message can be at most 1,600 characters."]
    assert "HX followed by 32 hex" in errors["template"]["sid"][0]


def test_malformed_json_is_a_4xx_not_a_crash(app, agent, api):
    chat = inbound_chat(app)
    response = api(agent).post(f"/api/v1/chats/{chat.id}/messages", data="{not json",
                               headers={"Content-Type": "application/json"})
    assert 400 <= response.status_code < 500


def test_replying_to_an_archived_chat_says_what_to_do(app, agent, api):
    chat = inbound_chat(app)
    api(agent).post(f"/api/v1/chats/{chat.id}/archive")
    response = api(agent).post(f"/api/v1/chats/{chat.id}/messages", json={"body": "hello?"})
    assert response.status_code == 409 and "Reopen it" in response.json["message"]


def test_other_groups_chats_are_invisible(app, agent, make_agent, api):
    chat = inbound_chat(app)
    outsider = make_agent("sales@example.test", groups=("Sales",))
    client = api(outsider)
    assert client.get(f"/api/v1/chats/{chat.id}").status_code == 404
    assert client.get(f"/api/v1/chats/{chat.id}/messages").status_code == 404
    assert client.post(f"/api/v1/chats/{chat.id}/messages", json={"body": "x"}).status_code == 404
    assert client.get("/api/v1/chats?view=all").json == []
    assert [c["id"] for c in api(agent).get("/api/v1/chats?view=all").json] == [chat.id]


def test_views_and_unread_counts(app, agent, api):
    chat = inbound_chat(app)
    webhook(app.test_client(), {"id": "second", "from": "+15550001", "body": "are you there?"})
    client = api(agent)
    queued = client.get("/api/v1/chats?view=queued").json
    assert [(c["id"], c["unread"], c["last_message"]["body"]) for c in queued] == [(chat.id, 2, "are you there?")]
    assert client.get("/api/v1/chats?view=mine").json == []
    client.post(f"/api/v1/chats/{chat.id}/accept")
    client.post(f"/api/v1/chats/{chat.id}/read")
    mine = client.get("/api/v1/chats?view=mine").json
    assert [(c["id"], c["unread"]) for c in mine] == [(chat.id, 0)]
    assert client.get("/api/v1/chats?view=bogus").status_code == 422


def test_accepting_someone_elses_active_chat_is_refused(app, agent, make_agent, api):
    chat = inbound_chat(app)
    api(agent).post(f"/api/v1/chats/{chat.id}/accept")
    other = make_agent("other@example.test")
    response = api(other).post(f"/api/v1/chats/{chat.id}/accept")
    assert response.status_code == 409 and "already working on this chat" in response.json["message"]


def test_transfer_needs_a_target_that_exists(app, agent, api):
    chat = inbound_chat(app)
    assert api(agent).post(f"/api/v1/chats/{chat.id}/transfer", json={}).status_code == 422
    response = api(agent).post(f"/api/v1/chats/{chat.id}/transfer", json={"agent_id": 999})
    assert response.status_code == 422 and response.json["errors"]["json"]["agent_id"]


def test_start_outbound_chat_and_normalise_address(app, agent, api, loopback):
    response = api(agent).post("/api/v1/chats", json={"channel": "loopback", "to": "  +15557777 ", "body": "Hi!"})
    assert response.status_code == 201
    assert response.json["customer_address"] == "+15557777" and response.json["agent_id"] == agent.id
    bad = api(agent).post("/api/v1/chats", json={"channel": "loopback", "to": "   ", "body": "Hi!"})
    assert bad.status_code == 422 and "to" in bad.json["errors"]["json"]
    unknown = api(agent).post("/api/v1/chats", json={"channel": "pigeon", "to": "+1555", "body": "Hi"})
    assert unknown.status_code == 422 and "pigeon" in unknown.json["errors"]["json"]["channel"][0]


def test_agents_cannot_manage_agents_or_groups(app, agent, admin, api):
    assert api(agent).post("/api/v1/groups", json={"name": "X"}).status_code == 403
    assert api(agent).post("/api/v1/agents", json={"email": "n@example.com", "password": "0123456789"}).status_code == 403
    created = api(admin).post("/api/v1/agents", json={"email": "new@example.com", "password": "0123456789",
                                                      "group_ids": [agent.groups[0].id]})
    assert created.status_code == 201 and created.json["group_ids"] == [agent.groups[0].id]
    weak = api(admin).post("/api/v1/agents", json={"email": "weak@example.com", "password": "short"})
    assert weak.status_code == 422 and weak.json["errors"]["json"]["password"]


def test_csrf_is_required_for_cookie_sessions(app, agent, signed_in):
    client = signed_in(agent)
    chat = inbound_chat(app)
    assert client.post(f"/api/v1/chats/{chat.id}/accept").status_code == 400
    ok = client.post(f"/api/v1/chats/{chat.id}/accept", headers={"X-CSRFToken": client.csrf_token})
    assert ok.status_code == 200


def test_channels_say_which_ones_take_no_text(app, agent, api):
    from plugins.twilio_channel.voice.channel import VOICE_CHANNEL

    channels = {c["key"]: c for c in api(agent).get("/api/v1/channels").json}
    assert channels["voice"]["text_refusal"] == VOICE_CHANNEL.refusal
    assert channels["sms"]["text_refusal"] is None
