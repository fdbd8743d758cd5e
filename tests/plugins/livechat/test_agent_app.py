"""The Agent App side: resolve API, widget page and framing, LiveChat sign-in, admin setup, health."""
from __future__ import annotations

import re

import pytest

from host.extensions import db
from host.models import Chat, Group
from plugins.livechat.models import LiveChatChat, LiveChatCustomer

LC_AGENT = "agent@example.test"
LIVECHAT_ANCESTORS = ("https://my.livechatinc.com", "https://*.livechatinc.com")


@pytest.fixture
def mirrored(livechat, inbound, drain):
    inbound("Hello")
    drain()
    chat = db.session.execute(db.select(Chat)).scalar_one()
    link = db.session.execute(db.select(LiveChatChat).where(LiveChatChat.chat_id == chat.id)).scalar_one()
    return chat, link


# --- resolve -----------------------------------------------------------------------------------

def test_resolve_maps_a_livechat_chat_or_customer_to_the_switchboard_chat(mirrored, agent, api):
    chat, link = mirrored
    client = api(agent)
    by_chat = client.get(f"/api/v1/livechat/resolve?chat_id={link.lc_chat_id}")
    assert by_chat.status_code == 200
    assert by_chat.json == {"chat_id": chat.id, "lc_chat_id": link.lc_chat_id, "status": "queued",
                            "customer_name": "", "customer_address": "+15550001"}
    entity = db.session.execute(db.select(LiveChatCustomer.entity_id)).scalar_one()
    by_customer = client.get(f"/api/v1/livechat/resolve?chat_id=UNKNOWN&customer_id={entity}")
    assert by_customer.json["chat_id"] == chat.id
    assert client.get("/api/v1/livechat/resolve?chat_id=UNKNOWN").status_code == 404
    assert client.get("/api/v1/livechat/resolve").status_code == 422


def test_resolve_hides_chats_of_other_groups_and_needs_sign_in(app, mirrored, make_agent, api):
    chat, link = mirrored
    outsider = make_agent("outsider@example.test", groups=("Sales",))
    assert api(outsider).get(f"/api/v1/livechat/resolve?chat_id={link.lc_chat_id}").status_code == 404
    anonymous = app.test_client().get(f"/api/v1/livechat/resolve?chat_id={link.lc_chat_id}")
    assert anonymous.status_code == 401


def test_sync_state_is_only_for_agents_who_see_the_chat(mirrored, make_agent, agent, api):
    chat, link = mirrored
    state = api(agent).get(f"/api/v1/livechat/chats/{chat.id}/sync").json
    assert state["mirrored"] and state["lc_chat_id"] == link.lc_chat_id and state["active"]
    outsider = make_agent("outsider@example.test", groups=("Sales",))
    assert api(outsider).get(f"/api/v1/livechat/chats/{chat.id}/sync").status_code == 404
    assert api(outsider).post(f"/api/v1/livechat/chats/{chat.id}/sync/retry").status_code == 404


def test_retry_mirrors_a_chat_that_never_was(app, fake, configure, admin, agent, api, inbound, drain):
    inbound("before LiveChat was set up")  # not configured: nothing queued
    chat = db.session.execute(db.select(Chat)).scalar_one()
    assert api(agent).post(f"/api/v1/livechat/chats/{chat.id}/sync/retry").status_code == 409
    configure()
    state = api(agent).post(f"/api/v1/livechat/chats/{chat.id}/sync/retry").json
    assert state["pending"] == 1 and not state["mirrored"]
    drain()
    assert api(agent).get(f"/api/v1/livechat/chats/{chat.id}/sync").json["mirrored"]


# --- widget page and framing ---------------------------------------------------------------------

def frame_ancestors(policy: str) -> str:
    return next(d.strip().removeprefix("frame-ancestors ") for d in policy.split(";")
                if d.strip().startswith("frame-ancestors "))


def test_widget_page_has_the_host_widget_and_the_bridge_and_only_livechat_may_frame_it(mirrored, agent, signed_in):
    client = signed_in(agent)
    response = client.get("/plugins/livechat/widget")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="widget"' in page and "dist/widget.js" in page and 'id="bootstrap"' in page
    assert "/plugins/livechat/static/dist/agent_app_bridge.js" in page
    assert '"resolveUrl": "/api/v1/livechat/resolve"' in page
    csp = response.headers["Content-Security-Policy"]
    ancestors = frame_ancestors(csp)
    assert all(origin in ancestors for origin in LIVECHAT_ANCESTORS)
    assert "'self'" not in ancestors and "*" not in ancestors.replace("https://*.", "")
    assert "script-src 'self'" in csp   # framed or not, only our own scripts run
    assert client.get("/widget").headers["Content-Security-Policy"] == csp
    assert frame_ancestors(client.get("/console").headers["Content-Security-Policy"]) == "'self'"


def test_framing_goes_back_to_the_host_default_when_the_plugin_is_disabled(app, livechat, agent, signed_in):
    client = signed_in(agent)
    app.extensions["switchboard"].plugins.set_enabled("livechat", False)
    assert frame_ancestors(client.get("/widget").headers["Content-Security-Policy"]) == "'self'"
    assert client.get("/plugins/livechat/widget").status_code == 404
    assert client.get("/login/livechat").status_code == 404


def test_signed_out_agents_get_the_sign_in_choice(app, livechat):
    client = app.test_client()
    response = client.get("/plugins/livechat/widget?plugin_id=abc")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login/livechat?next=")
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Sign in with LiveChat" in html and "Sign in with your Switchboard account" in html
    assert "/login?next=/plugins/livechat/widget" in html.replace("%3F", "?").replace("%3D", "=").replace("%2F", "/")
    assert all(o in page.headers["Content-Security-Policy"] for o in LIVECHAT_ANCESTORS)
    assert all(o in client.get("/login").headers["Content-Security-Policy"] for o in LIVECHAT_ANCESTORS)
    config = re.search(r'id="livechat-sign-in-config" type="application/json">([^<]+)<', html).group(1)
    assert "https://accounts.livechat.com/?response_type=token" in config and livechat.client_id in config
    assert "redirect_uri=http%3A%2F%2Fswitchboard.test%2Flogin%2Flivechat%2Fcallback" in config


# --- Sign in with LiveChat -----------------------------------------------------------------------

def start_sign_in(client) -> str:
    html = client.get("/login/livechat?next=/plugins/livechat/widget").get_data(as_text=True)
    return re.search(r'"state": "([^"]+)"', html).group(1)


def test_livechat_token_signs_the_matching_agent_in(app, livechat, agent):
    client = app.test_client()
    state = start_sign_in(client)
    token = livechat.add_agent_token(LC_AGENT)
    response = client.post("/login/livechat/session", json={"access_token": token, "state": state,
                                                                     "next": "/plugins/livechat/widget"},
                           headers={"Origin": "http://localhost"})
    assert response.status_code == 200, response.json
    assert response.json["agent"]["email"] == LC_AGENT and response.json["next"] == "/plugins/livechat/widget"
    assert [r.path for r in livechat.requests if r.api == "accounts"][-2:] == ["/v2/info", "/v2/accounts/me"]
    assert client.get("/plugins/livechat/widget").status_code == 200
    # The state is single-use.
    again = client.post("/login/livechat/session", json={"access_token": token, "state": state})
    assert again.status_code == 401


@pytest.mark.parametrize("case", ["other_app", "unknown_agent", "bad_token", "bad_state", "no_state", "origin",
                                  "form"])
def test_livechat_sign_in_refusals(app, livechat, agent, case):
    client = app.test_client()
    state = start_sign_in(client)
    token = livechat.add_agent_token(LC_AGENT)
    body, headers, expected = {"access_token": token, "state": state}, {}, 401
    if case == "other_app":
        body["access_token"] = livechat.add_agent_token(LC_AGENT, client_id="someone-elses-app")
    elif case == "unknown_agent":
        body["access_token"] = livechat.add_agent_token("stranger@example.test")
        expected = 403
    elif case == "bad_token":
        body["access_token"] = "dal:forged"
    elif case == "bad_state":
        body["state"] = "guessed"
    elif case == "no_state":
        body.pop("state")
    elif case == "origin":
        headers["Origin"] = "https://evil.example"
    if case == "form":
        response = client.post("/login/livechat/session", data=body)
    else:
        response = client.post("/login/livechat/session", json=body, headers=headers)
    assert response.status_code == expected, response.json
    assert response.json["ok"] is False and response.json["message"]
    assert client.get("/plugins/livechat/widget").status_code == 302  # still signed out


def test_unknown_agent_is_told_what_to_do(app, livechat, agent):
    client = app.test_client()
    state = start_sign_in(client)
    token = livechat.add_agent_token("stranger@example.test")
    response = client.post("/login/livechat/session", json={"access_token": token, "state": state})
    assert response.json["message"] == ("No active Switchboard agent has the email stranger@example.test. "
                                        "Ask an admin to add you, or sign in with your Switchboard account.")


def test_oauth_callback_page_is_public_and_hands_the_token_to_its_opener(app, livechat):
    response = app.test_client().get("/login/livechat/callback")
    assert response.status_code == 200
    assert "livechat_oauth_callback.js" in response.get_data(as_text=True)
    script = app.test_client().get("/plugins/livechat/static/livechat_oauth_callback.js").get_data(as_text=True)
    assert "window.opener.postMessage(message, window.location.origin)" in script
    assert "history.replaceState" in script


# --- admin setup ---------------------------------------------------------------------------------

def test_register_webhooks_button_registers_three_webhooks_once(app, fake, configure, admin, agent, signed_in):
    configure(webhook_secret=None)
    client = signed_in(admin)
    someone = signed_in(agent)
    assert someone.get("/plugins/livechat/admin").status_code == 403
    assert someone.post("/plugins/livechat/admin/webhooks", data={"csrf_token": someone.csrf_token}).status_code == 403
    assert fake.webhooks == {}
    page = client.get("/plugins/livechat/admin").get_data(as_text=True)
    assert "None registered yet" in page and "http://switchboard.test/webhooks/livechat" in page
    response = client.post("/plugins/livechat/admin/webhooks", data={"csrf_token": client.csrf_token})
    assert response.status_code == 302
    hooks = sorted(fake.webhooks.values(), key=lambda w: w["action"])
    mine = {"only_my_chats": True, "source_type": ["other_clients", "system"]}
    assert [(w["action"], w["filters"], w["type"]) for w in hooks] == [
        ("chat_deactivated", mine, "license"), ("chat_transferred", mine, "license"),
        ("incoming_event", {"author_type": "agent", **mine}, "license")]
    assert {w["url"] for w in hooks} == {"http://switchboard.test/webhooks/livechat"}
    assert {w["owner_client_id"] for w in hooks} == {fake.client_id}
    from plugins.livechat import settings
    secret = settings.current().webhook_secret
    assert secret and {w["secret_key"] for w in hooks} == {secret}
    page = client.get("/plugins/livechat/admin").get_data(as_text=True)
    assert "Generated and stored a new webhook secret." in page and "incoming_event: registered" in page
    assert secret not in page
    client.post("/plugins/livechat/admin/webhooks", data={"csrf_token": client.csrf_token})
    assert len(fake.webhooks) == 3
    assert "incoming_event: already registered." in client.get("/plugins/livechat/admin").get_data(as_text=True)


def test_register_webhooks_explains_a_refusal(app, fake, configure, admin, signed_in):
    configure()
    fake.revoke_token(fake.agent_token)
    client = signed_in(admin)
    client.post("/plugins/livechat/admin/webhooks", data={"csrf_token": client.csrf_token})
    page = client.get("/plugins/livechat/admin").get_data(as_text=True)
    assert "Webhooks were not registered: LiveChat list_webhooks failed: Invalid access token" in page


def test_settings_page_never_shows_tokens_back(app, fake, configure, admin, signed_in):
    configure(client_secret="client-secret-value-123", refresh_token="refresh-token-value-456")
    page = signed_in(admin).get("/admin/plugins/livechat/settings").get_data(as_text=True)
    for secret in (fake.agent_token, "client-secret-value-123", "refresh-token-value-456",
                   "lc-webhook-secret-0123456789abcdef"):
        assert secret not in page
    assert page.count("stored — leave empty to keep it") == 4


def test_health_checks_show_whether_the_tokens_work(app, fake, configure, admin, signed_in):
    client = signed_in(admin)
    page = client.get("/admin/plugins").get_data(as_text=True)
    assert "LiveChat settings: missing: Client ID, Organization ID, Agent access token" in page
    configure()
    page = client.get("/admin/plugins").get_data(as_text=True)
    assert "✔ LiveChat agent token: valid, expires in 8 h" in page
    assert "LiveChat sync queue: 0 waiting, 0 failed" in page
    app.extensions.pop("livechat.health", None)
    fake.revoke_token(fake.agent_token)
    page = client.get("/admin/plugins").get_data(as_text=True)
    assert ('<li class="bad"><span>LiveChat agent token: LiveChat refuses the agent token (expired or revoked)'
            in page)
    assert fake.agent_token not in page


def test_health_check_names_missing_scopes(app, fake, configure, admin, signed_in):
    narrow = fake.add_agent_token(fake.agent_id, scope="chats--all:rw")
    configure(agent_token=narrow)
    page = signed_in(admin).get("/admin/plugins").get_data(as_text=True)
    assert "LiveChat agent token: missing scopes customers:own, webhooks.configuration:rw" in page


# --- migrations ----------------------------------------------------------------------------------

def test_the_livechat_branch_depends_on_the_host_and_matches_the_models(app):
    from alembic.script import ScriptDirectory

    from host.migration_check import differences

    script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    base = script.get_revision("0001_livechat")
    assert script.get_revision("livechat@head").revision == "0001_livechat"
    assert base.revision == "0001_livechat" and base.down_revision is None
    assert base.branch_labels == {"livechat"} and base.dependencies == "0001_host"
    assert [d for d in differences() if "livechat" in d] == []
    tables = {t for t in db.metadata.tables if t.startswith("livechat_")}
    assert tables == {"livechat_customers", "livechat_chats", "livechat_events", "livechat_webhook_keys",
                      "livechat_outbox"}


def test_group_mapping_is_validated(app, admin, signed_in):
    client = signed_in(admin)
    response = client.post("/admin/plugins/livechat/settings", data={
        "csrf_token": client.csrf_token, "group_mapping.key": ["Support"], "group_mapping.value": ["zero"],
        "mirrored_channels": ["sms"], "default_group_id": "0"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Some settings need attention" in page
    assert "Group mapping: Not a valid integer." in page
    assert db.session.execute(db.select(Group)).first() is not None


def test_settings_page_offers_the_register_webhooks_button(app, fake, configure, admin, signed_in):
    client = signed_in(admin)
    page = client.get("/admin/plugins/livechat/settings").get_data(as_text=True)
    assert 'action="/plugins/livechat/admin/webhooks"' in page and "disabled" in page
    configure()
    page = client.get("/admin/plugins/livechat/settings").get_data(as_text=True)
    assert "Register webhooks</button>" in page and "http://switchboard.test/webhooks/livechat" in page
    response = client.post("/plugins/livechat/admin/webhooks", data={"csrf_token": client.csrf_token})
    assert response.status_code == 302 and len(fake.webhooks) == 3


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"])
def test_sign_in_never_sends_agents_off_site(app, livechat, agent, signed_in, target):
    response = signed_in(agent).get("/login/livechat", query_string={"next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/plugins/livechat/widget"
