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
