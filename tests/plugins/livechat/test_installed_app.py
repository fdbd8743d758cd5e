"""LiveChat as an installed server-side app: scopes in one place, Connect LiveChat (the
authorization-code exchange), webhooks registered with LiveChat's filters and delivered only
once the app is installed on the license — with the fake enforcing what LiveChat documents."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from plugins.livechat import scopes
from plugins.livechat.testing import NotDelivered
from plugins.livechat.testing.fake_livechat import REQUIRED_SCOPES, scope_granted

LC_AGENT = "agent@example.test"


# --- scopes ---------------------------------------------------------------------------------------

def test_the_needed_scopes_cover_every_call_the_code_makes_as_the_fake_requires_them():
    granted = set(scopes.NEEDED)
    for call, scope in scopes.BY_CALL.items():
        assert scope in granted or scopes.covers(granted, scope), call
        api = next((api for (api, name) in REQUIRED_SCOPES if name == call), None)
        assert api is not None, f"the fake does not know {call}"
        assert any(scope_granted(granted, s) for s in REQUIRED_SCOPES[(api, call)]), call
    assert "accounts--my:ro" in scopes.NEEDED  # GET /v2/accounts/me


def test_scope_rules_follow_livechat():
    assert scopes.covers({"chats--all:rw"}, "chats--all:ro")
    assert scopes.covers({"chats--all:rw"}, "chats--access:rw")
    assert scopes.covers({"accounts--all:ro"}, "accounts--my:ro")
    assert not scopes.covers({"chats--access:rw"}, "chats--all:rw")
    assert not scopes.covers({"webhooks.state:ro"}, "webhooks.state:rw")
    assert scopes.missing("customers:own,chats--all:rw") == ["webhooks.configuration:rw", "webhooks.state:ro",
                                                             "accounts--my:ro"]


def start_sign_in(client) -> str:
    html = client.get("/login/livechat?next=/plugins/livechat/widget").get_data(as_text=True)
    return re.search(r'"state": "([^"]+)"', html).group(1)


def test_sign_in_without_the_account_scope_names_it_instead_of_calling_the_token_expired(app, livechat, agent):
    client = app.test_client()
    state = start_sign_in(client)
    token = livechat.add_agent_token(LC_AGENT, scope="chats--all:rw,customers:own")
    response = client.post("/login/livechat/session", json={"access_token": token, "state": state})
    assert response.status_code == 403
    assert "accounts--my:ro" in response.json["message"] and "expired" not in response.json["message"]


def test_the_fake_refuses_accounts_me_without_its_scope(fake):
    token = fake.add_agent_token(LC_AGENT, scope="chats--all:rw")
    with httpx.Client(transport=httpx.WSGITransport(app=fake)) as http:
        me = http.get("https://accounts.livechat.com/v2/accounts/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 403 and "accounts--my:ro" in me.json()["error_description"]
        full = fake.add_agent_token(LC_AGENT)
        assert http.get("https://accounts.livechat.com/v2/accounts/me",
                        headers={"Authorization": f"Bearer {full}"}).json()["email"] == LC_AGENT


def test_a_call_without_its_scope_is_refused_and_the_error_names_the_scope(app, fake, configure):
    from plugins.livechat import client
    from plugins.livechat.client import LiveChatError

    narrow = fake.add_agent_token(LC_AGENT, scope="customers:own")
    config = configure(agent_token=narrow)
    with pytest.raises(LiveChatError) as refused:
        client.api_for(config).list_webhooks(config.client_id)
    assert refused.value.status == 403 and refused.value.type == "authorization"
    assert "webhooks.configuration:rw" in str(refused.value)


def test_health_names_the_missing_scopes(app, fake, configure, admin, signed_in):
    narrow = fake.add_agent_token(fake.agent_id, scope="chats--all:rw,customers:own,webhooks.configuration:rw")
    configure(agent_token=narrow)
    page = signed_in(admin).get("/admin/plugins").get_data(as_text=True)
    assert "missing scopes webhooks.state:ro, accounts--my:ro" in page


# --- Connect LiveChat -------------------------------------------------------------------------------

def follow_livechat(fake, location: str) -> str:
    """The admin signs in at LiveChat and allows the app: where LiveChat sends the browser back."""
    with httpx.Client(transport=httpx.WSGITransport(app=fake)) as http:
        answer = http.get(location)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def test_connect_livechat_exchanges_the_code_and_registers_the_webhooks(app, fake, configure, admin, agent,
                                                                        signed_in):
    from plugins.livechat import settings

    configure(agent_token=None, organization_id=None, client_secret=fake.client_secret, webhook_secret=None)
    fake.install_app()
    fake.redirect_uris = ("http://switchboard.test/plugins/livechat/admin/connect/callback",)
    someone = signed_in(agent)
    assert someone.post("/plugins/livechat/admin/connect", data={"csrf_token": someone.csrf_token}).status_code == 403
    client = signed_in(admin)
    assert "Connect LiveChat</button>" in client.get("/plugins/livechat/admin").get_data(as_text=True)
    start = client.post("/plugins/livechat/admin/connect", data={"csrf_token": client.csrf_token})
    assert start.status_code == 302
    target = urlparse(start.headers["Location"])
    query = parse_qs(target.query)
    assert f"{target.scheme}://{target.netloc}" == "https://accounts.livechat.com"
    assert query["response_type"] == ["code"] and query["client_id"] == [fake.client_id]
    assert query["redirect_uri"] == ["http://switchboard.test/plugins/livechat/admin/connect/callback"]
    back = urlparse(follow_livechat(fake, start.headers["Location"]))
    assert back.path == "/plugins/livechat/admin/connect/callback"
    done = client.get(f"{back.path}?{back.query}")
    assert done.status_code == 302 and done.headers["Location"].endswith("/plugins/livechat/admin")
    [exchange] = [r for r in fake.requests if r.path == "/v2/token"]
    config = settings.current()
    assert config.configured and config.organization_id == fake.organization_id
    assert config.agent_token and config.refresh_token
    assert sorted(w["action"] for w in fake.webhooks.values()) == ["chat_deactivated", "chat_transferred",
                                                                   "incoming_event"]
    page = client.get("/plugins/livechat/admin").get_data(as_text=True)
    assert f"LiveChat is connected as {fake.agent_id}." in page
    assert "incoming_event: registered" in page
    assert config.agent_token not in page and config.refresh_token not in page
    # The code is single-use: the same redirect again connects nothing.
    again = client.get(f"{back.path}?{back.query}")
    assert "not started here or has expired" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_connect_names_the_scopes_livechat_did_not_grant(app, fake, configure, admin, signed_in):
    configure(agent_token=None, client_secret=fake.client_secret)
    fake.install_app()
    client = signed_in(admin)
    start = client.post("/plugins/livechat/admin/connect", data={"csrf_token": client.csrf_token})
    state = parse_qs(urlparse(start.headers["Location"]).query)["state"][0]
    code = fake.authorization_code("http://switchboard.test/plugins/livechat/admin/connect/callback",
                                   scope="customers:own chats--all:rw webhooks.configuration:rw")
    done = client.get("/plugins/livechat/admin/connect/callback", query_string={"code": code, "state": state})
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "lacks the scopes webhooks.state:ro, accounts--my:ro" in page


@pytest.mark.parametrize("case", ["forged_state", "denied", "wrong_secret"])
def test_connect_refusals_store_nothing(app, fake, configure, admin, signed_in, case):
    from plugins.livechat import settings

    configure(agent_token=None, client_secret="not-the-secret" if case == "wrong_secret" else fake.client_secret)
    client = signed_in(admin)
    start = client.post("/plugins/livechat/admin/connect", data={"csrf_token": client.csrf_token})
    state = parse_qs(urlparse(start.headers["Location"]).query)["state"][0]
    code = fake.authorization_code("http://switchboard.test/plugins/livechat/admin/connect/callback")
    query = {"code": code, "state": "forged" if case == "forged_state" else state}
    if case == "denied":
        query = {"error": "access_denied", "state": state}
    done = client.get("/plugins/livechat/admin/connect/callback", query_string=query)
    assert done.status_code == 302
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "flash-error" in page
    assert settings.current().agent_token is None and fake.webhooks == {}


# --- webhooks: filters and installation -------------------------------------------------------------

def test_webhooks_are_registered_with_livechats_filters(app, livechat):
    filters = {w["action"]: w["filters"] for w in livechat.webhooks.values()}
    mine = {"only_my_chats": True, "source_type": ["other_clients", "system"]}
    assert filters == {"incoming_event": {"author_type": "agent", **mine}, "chat_transferred": mine,
                       "chat_deactivated": mine}


def test_a_big_license_does_not_send_other_chats_or_our_own_events(app, livechat, inbound, drain):
    from host.extensions import db
    from plugins.livechat.models import LiveChatChat

    inbound("Hello")
    drain()
    ours = db.session.execute(db.select(LiveChatChat.lc_chat_id)).scalar_one()
    theirs = livechat.add_chat(livechat.add_customer("Website visitor"), text="Hi from the website")
    livechat.chats[theirs]["properties"]["source"]["client_id"] = "livechat-chat-widget"
    livechat.chats[theirs]["agent_ids"].append(livechat.agent_id)
    assert livechat.incoming_event_webhook(ours, "Hello from LiveChat")["action"] == "incoming_event"
    with pytest.raises(NotDelivered):
        livechat.incoming_event_webhook(theirs, "A website chat")
    with pytest.raises(NotDelivered):  # what Switchboard itself posted does not come back
        livechat.incoming_event_webhook(ours, "Our own note", source_client_id=livechat.client_id)
    assert livechat.matching_webhooks("incoming_event", author_type="customer", chat_id=ours) == []


def test_webhooks_arrive_only_once_the_app_is_installed(app, fake, configure, admin, signed_in, inbound, drain):
    configure()
    client = signed_in(admin)
    client.post("/plugins/livechat/admin/webhooks", data={"csrf_token": client.csrf_token})
    page = client.get("/plugins/livechat/admin").get_data(as_text=True)
    assert "install the app on the license" in page
    assert "LiveChat webhook delivery: LiveChat sends none yet" in page
    inbound("Hello")
    drain()
    lc_chat = next(iter(fake.chats))
    with pytest.raises(NotDelivered, match="not installed"):
        fake.incoming_event_webhook(lc_chat, "Anyone there?")
    fake.install_app()
    app.extensions.pop("livechat.health", None)
    assert "LiveChat webhook delivery: LiveChat sends the webhooks" in client.get("/plugins/livechat/admin") \
        .get_data(as_text=True)
    assert fake.incoming_event_webhook(lc_chat, "Anyone there?")["secret_key"]


# --- README -------------------------------------------------------------------------------------------

def test_the_readme_lists_exactly_the_scopes_the_code_needs():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    block = readme.split("<!-- livechat-scopes:start -->")[1].split("<!-- livechat-scopes:end -->")[0]
    listed = re.findall(r"^\s*- `([^`]+)` — (.+)$", block, flags=re.M)
    assert [name for name, _ in listed] == list(scopes.NEEDED)
    assert {name: why for name, why in listed} == scopes.NEEDED
