"""Behind a reverse proxy: client addresses come from X-Forwarded-For only when trusted."""
import pytest


@pytest.fixture
def switchboard_config():
    return {"LOGIN_RATE_LIMIT": "3 per minute", "TRUSTED_PROXIES": 1}


def attempts(client, agent, forwarded_for, count):
    return [client.post("/login", data={"email": agent.email, "password": "wrong"},
                        headers={"X-Forwarded-For": forwarded_for}).status_code for _ in range(count)]


def test_each_client_behind_the_proxy_has_its_own_login_limit(app, agent):
    client = app.test_client()   # every request arrives from the proxy's one address
    assert attempts(client, agent, "203.0.113.7", 4) == [200, 200, 200, 429]
    assert attempts(client, agent, "198.51.100.20", 1) == [200]   # another customer isn't locked out
    assert attempts(client, agent, "203.0.113.7", 1) == [429]


def test_only_the_last_hop_is_believed(app, agent):
    client = app.test_client()
    # A client that forges its own X-Forwarded-For gets the proxy's entry appended after it;
    # with one trusted proxy that last entry is the address used.
    forged = [f"10.0.0.{n}, 203.0.113.9" for n in range(4)]
    statuses = [attempts(client, agent, value, 1)[0] for value in forged]
    assert statuses == [200, 200, 200, 429]
