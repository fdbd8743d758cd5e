"""With SWITCHBOARD_SECURE_COOKIES the session survives inside LiveChat's iframe."""
import re

import pytest


@pytest.fixture
def switchboard_config(lc_transport, media_host):
    import httpx

    return {"LIVECHAT_TRANSPORT": lc_transport, "LIVECHAT_MEDIA_TRANSPORT": httpx.MockTransport(media_host),
            "SECURE_COOKIES": True, "PUBLIC_URL": "https://switchboard.test"}


def test_livechat_sign_in_sets_a_cross_site_session_cookie(app, livechat, agent):
    client = app.test_client()
    html = client.get("/login/livechat", base_url="https://switchboard.test").get_data(as_text=True)
    state = re.search(r'"state": "([^"]+)"', html).group(1)
    response = client.post("/login/livechat/session", base_url="https://switchboard.test",
                           json={"access_token": livechat.add_agent_token("agent@example.test"), "state": state},
                           headers={"Origin": "https://switchboard.test"})
    assert response.status_code == 200, response.json
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "SameSite=None" in cookie and "Secure" in cookie and "HttpOnly" in cookie
    assert client.get("/plugins/livechat/widget", base_url="https://switchboard.test").status_code == 200


def test_the_session_cookie_is_partitioned_for_browsers_that_keep_only_those(app, livechat, agent):
    client = app.test_client()
    html = client.get("/login/livechat", base_url="https://switchboard.test").get_data(as_text=True)
    state = re.search(r'"state": "([^"]+)"', html).group(1)
    response = client.post("/login/livechat/session", base_url="https://switchboard.test",
                           json={"access_token": livechat.add_agent_token("agent@example.test"), "state": state},
                           headers={"Origin": "https://switchboard.test"})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Partitioned" in cookie


def test_sign_in_needs_no_cookie_and_answers_a_short_lived_widget_token(app, livechat, agent):
    from datetime import timedelta

    from host.extensions import db
    from host.models import ApiToken, utcnow

    html = app.test_client().get("/login/livechat").get_data(as_text=True)
    state = re.search(r'"state": "([^"]+)"', html).group(1)
    # Another client: the browser dropped every cookie of the sign-in page.
    cookieless = app.test_client(use_cookies=False)
    response = cookieless.post("/login/livechat/session",
                               json={"access_token": livechat.add_agent_token("agent@example.test"), "state": state})
    assert response.status_code == 200, response.json
    token = response.json["widget_token"]
    assert response.json["expires_in"] == 8 * 3600
    row = db.session.execute(db.select(ApiToken).where(ApiToken.agent_id == agent.id)).scalars().all()[-1]
    assert row.name == "LiveChat Agent App"
    assert utcnow() + timedelta(hours=7, minutes=59) < row.expires_at <= utcnow() + timedelta(hours=8)
    start = cookieless.get("/api/v1/livechat/widget", headers={"Authorization": f"Bearer {token}"})
    assert start.status_code == 200 and start.json["agent"]["email"] == agent.email
    assert {t["key"] for t in start.json["tabs"]} >= {"livechat"}
    assert cookieless.get("/api/v1/livechat/widget").status_code == 401
    # The state is spent: the same POST again signs nobody in.
    again = cookieless.post("/login/livechat/session",
                            json={"access_token": livechat.add_agent_token("agent@example.test"), "state": state})
    assert again.status_code == 401
