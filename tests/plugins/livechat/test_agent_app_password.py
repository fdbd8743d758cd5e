"""The Switchboard account form inside the Agent App frame: email and password for the widget token.

Like "Sign in with LiveChat" it must work without cookies, so it is guarded by the signed
single-use state rather than the session's CSRF token, and it counts against the same sign-in
rate limit and checks the password the same way as the host's sign-in form.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from host.extensions import db
from host.models import ApiToken, utcnow
from tests.plugins.livechat.test_agent_app import start_sign_in

PASSWORD = "correct-horse-battery"
REFUSED = "That email and password don't match an active agent. Check both and try again."


@pytest.fixture
def switchboard_config(switchboard_config):
    return {**switchboard_config, "LOGIN_RATE_LIMIT": "4 per minute"}


def test_the_account_form_answers_a_widget_token_that_works_without_cookies(app, livechat, agent):
    client = app.test_client()
    state = start_sign_in(client)
    response = client.post("/login/livechat/password", headers={"Origin": "http://localhost"},
                           json={"email": " Agent@Example.test ", "password": PASSWORD, "state": state,
                                 "next": "/plugins/livechat/widget"})
    assert response.status_code == 200, response.json
    assert response.json["agent"]["email"] == agent.email and response.json["expires_in"] == 8 * 3600
    token = response.json["widget_token"]
    row = db.session.execute(db.select(ApiToken).where(ApiToken.agent_id == agent.id)).scalar_one()
    assert row.name == "LiveChat Agent App" and row.expires_at is not None
    # A browser that sends no cookie at all: the token alone starts the widget.
    bare = app.test_client(use_cookies=False)
    assert bare.get("/api/v1/livechat/widget").status_code == 401
    assert bare.get("/api/v1/livechat/widget", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    # The state is single-use.
    again = client.post("/login/livechat/password", json={"email": agent.email, "password": PASSWORD, "state": state})
    assert again.status_code == 401 and again.json["message"] == "This sign-in is not valid any more. Start it again."


@pytest.mark.parametrize("case", ["wrong_password", "unknown_email", "deactivated"])
def test_refusals_say_the_same_whatever_was_wrong(app, livechat, agent, make_agent, case):
    email, password = agent.email, PASSWORD
    if case == "wrong_password":
        password = "wrong"
    elif case == "unknown_email":
        email = "nobody@example.test"
    else:
        left = make_agent("left@example.test")
        left.is_active_agent = False
        db.session.commit()
        email = left.email
    client = app.test_client()
    state = start_sign_in(client)
    response = client.post("/login/livechat/password", json={"email": email, "password": password, "state": state})
    assert response.status_code == 401 and response.json == {"ok": False, "message": REFUSED}
    assert db.session.execute(db.select(ApiToken)).first() is None
    assert client.get("/plugins/livechat/widget").status_code == 302  # still signed out
    # The state was not spent by a refusal: the agent can correct a typo.
    ok = client.post("/login/livechat/password", json={"email": agent.email, "password": PASSWORD, "state": state})
    assert ok.status_code == 200


@pytest.mark.parametrize("case", ["bad_state", "no_state", "origin", "form_post"])
def test_login_csrf_is_refused_without_a_session(app, livechat, agent, case):
    client = app.test_client()
    body = {"email": agent.email, "password": PASSWORD, "state": start_sign_in(client)}
    headers = {}
    if case == "bad_state":
        body["state"] = "guessed"
    elif case == "no_state":
        body.pop("state")
    elif case == "origin":
        headers["Origin"] = "https://evil.example"
    if case == "form_post":
        response = client.post("/login/livechat/password", data=body)
    else:
        response = client.post("/login/livechat/password", json=body, headers=headers)
    assert response.status_code == 401 and response.json["ok"] is False
    assert db.session.execute(db.select(ApiToken)).first() is None


def test_missing_fields_are_named(app, livechat, agent):
    client = app.test_client()
    response = client.post("/login/livechat/password", json={"email": "", "state": start_sign_in(client)})
    assert response.status_code == 400
    assert set(response.json["errors"]) == {"email", "password"}


def test_the_frame_form_and_the_sign_in_page_share_one_rate_limit(app, livechat, agent):
    client = app.test_client()
    state = start_sign_in(client)
    statuses = [client.post("/login/livechat/password",
                            json={"email": agent.email, "password": "wrong", "state": state}).status_code
                for _ in range(2)]
    statuses += [client.post("/login", data={"email": agent.email, "password": "wrong"}).status_code
                 for _ in range(2)]
    statuses.append(client.post("/login/livechat/password",
                                json={"email": agent.email, "password": PASSWORD, "state": state}).status_code)
    assert statuses == [401, 401, 200, 200, 429]


# --- the widget token renews itself ------------------------------------------------------------

def widget_token(app, agent) -> str:
    client = app.test_client()
    answer = client.post("/login/livechat/password",
                         json={"email": agent.email, "password": PASSWORD, "state": start_sign_in(client)})
    return answer.json["widget_token"]


def test_the_widget_exchanges_its_token_for_a_fresh_one_and_the_old_one_ends(app, livechat, agent):
    old = widget_token(app, agent)
    bare = app.test_client(use_cookies=False)
    renewed = bare.post("/api/v1/livechat/widget/token", headers={"Authorization": f"Bearer {old}"})
    assert renewed.status_code == 200, renewed.json
    new = renewed.json["widget_token"]
    assert new != old and renewed.json["expires_in"] == 8 * 3600
    assert bare.get("/api/v1/livechat/widget", headers={"Authorization": f"Bearer {new}"}).status_code == 200
    # The old one still answers for a minute, for calls already on their way with it and the
    # realtime connection the widget makes again with the new one…
    assert bare.get("/api/v1/livechat/widget", headers={"Authorization": f"Bearer {old}"}).status_code == 200
    rows = db.session.execute(db.select(ApiToken).order_by(ApiToken.id)).scalars().all()
    assert [r.name for r in rows] == ["LiveChat Agent App"] * 2
    assert rows[0].expires_at <= utcnow() + timedelta(minutes=1) < rows[1].expires_at
    # …and then ends: neither it nor renewing with it works any more.
    rows[0].expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert bare.get("/api/v1/livechat/widget", headers={"Authorization": f"Bearer {old}"}).status_code == 401
    assert bare.post("/api/v1/livechat/widget/token", headers={"Authorization": f"Bearer {old}"}).status_code == 401
    assert bare.get("/api/v1/livechat/widget", headers={"Authorization": f"Bearer {new}"}).status_code == 200


def test_a_renewed_token_never_outlives_its_own_expiry(app, livechat, agent):
    app.config["SWITCHBOARD_LIVECHAT_WIDGET_TOKEN_SECONDS"] = 20
    try:
        old = widget_token(app, agent)
        issued = db.session.execute(db.select(ApiToken)).scalar_one().expires_at
        bare = app.test_client(use_cookies=False)
        assert bare.post("/api/v1/livechat/widget/token", headers={"Authorization": f"Bearer {old}"}).status_code == 200
        rows = db.session.execute(db.select(ApiToken).order_by(ApiToken.id)).scalars().all()
        assert rows[0].expires_at == issued and rows[0].revoked_at is None
    finally:
        app.config.pop("SWITCHBOARD_LIVECHAT_WIDGET_TOKEN_SECONDS")


def test_only_the_widget_token_renews_itself(app, livechat, agent, signed_in):
    from host import credentials
    _, other = credentials.issue_token(agent, "My script")
    db.session.commit()
    bare = app.test_client(use_cookies=False)
    refused = bare.post("/api/v1/livechat/widget/token", headers={"Authorization": f"Bearer {other}"})
    assert refused.status_code == 403 and refused.json["message"]
    assert bare.post("/api/v1/livechat/widget/token").status_code == 401
    cookie = signed_in(agent)  # a cookie-signed page has no token to renew
    assert cookie.post("/api/v1/livechat/widget/token", headers={"X-CSRFToken": cookie.csrf_token}).status_code == 403
    assert db.session.execute(db.select(ApiToken)).scalar_one().revoked_at is None
