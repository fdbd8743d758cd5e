"""Open connections follow access changes across real processes, within 2 seconds.

Two ``switchboard serve --production`` (HTTP) and two ``switchboard realtime`` processes
share PostgreSQL and Redis; agents sign in on the HTTP processes (the real form, or API
tokens) and connect to the realtime ones with real Socket.IO clients (python-socketio
over websockets or long-polling). Each change is made somewhere else: the
``switchboard`` command in a process of its own, the API or a page of an HTTP process.
"""
import re
import threading
import time

import pytest
import requests

from tests.scaleout.support import (make_deployment, signed_inbound, start_production, start_realtime, wait_for,
                                    wait_up)

# Four server processes start for each test: minutes on a machine busy with other work.
pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis, pytest.mark.timeout(600)]

AGENT, AGENT_PASSWORD = "agent@example.com", "long-enough-pw"
ADMIN, ADMIN_PASSWORD = "admin@example.com", "admin-long-enough-pw"
WITHIN = 2.0   # seconds from the change to the connection


@pytest.fixture
def cluster(postgres_url, redis_url, gateway, tmp_path):
    deployment = make_deployment(postgres_url, gateway, tmp_path, redis_url=redis_url)
    deployment.run("agents", "create", ADMIN, "--admin", "--password", ADMIN_PASSWORD, "--group", "Support")
    deployment.admin_token = deployment.run("tokens", "create", ADMIN).strip()
    urls = [start_production(deployment, wait=False), start_production(deployment, wait=False)]
    deployment.realtime = {urls[0]: start_realtime(deployment, wait=False),
                           urls[1]: start_realtime(deployment, wait=False)}
    wait_up(*urls, *deployment.realtime.values())
    yield deployment, urls
    deployment.stop_all()


class Listener:
    """A real Socket.IO client that notes when each event arrived."""

    def __init__(self, deployment, url, transport="websocket", cookies=None, token=None):
        """Connected to the realtime process paired with the HTTP process at ``url``."""
        import socketio

        self.events = []   # (monotonic time, name, data)
        self.lock = threading.Lock()
        self.client = socketio.Client(reconnection=False)
        for name in ("message:created", "access:changed", "session:ended", "disconnect"):
            self.client.on(name, lambda *args, name=name: self._note(name, args))
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else {}
        self.client.connect(deployment.realtime[url], headers=headers, auth={"token": token} if token else None,
                            transports=[transport], wait_timeout=10)

    def _note(self, name, args):
        with self.lock:
            self.events.append((time.monotonic(), name, args[0] if args else None))

    def first(self, name, since=0.0):
        with self.lock:
            return next(((t, data) for t, n, data in self.events if n == name and t >= since), None)

    def bodies(self):
        with self.lock:
            return [data["message"]["body"] for _, n, data in self.events if n == "message:created"]

    def arrived_within(self, name, change, seconds=WITHIN):
        """Whether ``name`` arrived at most ``seconds`` after the ``change`` (a pair of
        times: when the change began and when it was done; the commit lies between)."""
        began, done = change
        wait_for(lambda: self.first(name, began) is not None, timeout=seconds + 3)
        seen = self.first(name, began)
        assert seen is not None, f"no {name} within {seconds + 3} s; got {[n for _, n, _ in self.events]}"
        took = max(0.0, seen[0] - done)
        return took <= seconds, took

    def close(self):
        if self.client.connected:
            self.client.disconnect()


def sign_in(url, email, password, remember=False):
    browser = requests.Session()
    page = browser.get(f"{url}/login", timeout=10).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    form = {"email": email, "password": password, "csrf_token": token, **({"remember": "y"} if remember else {})}
    assert browser.post(f"{url}/login", data=form, allow_redirects=False, timeout=10).status_code == 302
    browser.csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                             browser.get(f"{url}/console", timeout=10).text).group(1)
    return browser


def me(url, browser=None, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return (browser or requests).get(f"{url}/api/v1/me", headers=headers, timeout=10).status_code


def api(url, token, method, path, **kwargs):
    return requests.request(method, f"{url}/api/v1{path}", headers={"Authorization": f"Bearer {token}"},
                            timeout=10, **kwargs)


class Change:
    """``with Change() as change:`` around a change; ``change.times`` = (began, done)."""

    def __enter__(self):
        self.began = time.monotonic()
        return self

    def __exit__(self, *exc):
        self.times = (self.began, time.monotonic())


def test_group_removal_and_deactivation_reach_connections_on_another_process(cluster):
    deployment, (url_a, url_b) = cluster
    admin_api = lambda method, path, **kw: api(url_a, deployment.admin_token, method, path, **kw)  # noqa: E731
    frontline = admin_api("POST", "/groups", json={"name": "Frontline", "is_default": True}).json()
    support = next(g for g in admin_api("GET", "/groups").json() if g["name"] == "Support")
    agent_id = next(a["id"] for a in admin_api("GET", "/agents").json() if a["email"] == AGENT)
    assert admin_api("PATCH", f"/agents/{agent_id}", json={"group_ids": [frontline["id"]]}).status_code == 200
    browser = sign_in(url_a, AGENT, AGENT_PASSWORD)
    by_cookie = Listener(deployment, url_b, "websocket", cookies=browser.cookies.get_dict())
    by_token = Listener(deployment, url_b, "polling", token=deployment.token)
    admin = Listener(deployment, url_a, "websocket", token=deployment.admin_token)
    listeners = (by_cookie, by_token, admin)
    try:
        assert signed_inbound(url_a, "rev-1", "+15550101", "before").status_code == 204
        assert wait_for(lambda: all(ear.bodies() == ["before"] for ear in listeners)), [ear.bodies() for ear in listeners]

        # Removed from Frontline (the default group) through the API, on the other process.
        with Change() as change:
            assert admin_api("PATCH", f"/agents/{agent_id}", json={"group_ids": [support["id"]]}).status_code == 200
        for listener in (by_cookie, by_token):
            on_time, took = listener.arrived_within("access:changed", change.times)
            assert on_time, f"rooms followed after {took:.2f} s"
        assert signed_inbound(url_a, "rev-2", "+15550102", "after removal").status_code == 204
        assert wait_for(lambda: admin.bodies() == ["before", "after removal"])
        time.sleep(1.0)   # what was going to reach the agent has by now
        assert by_cookie.bodies() == ["before"] and by_token.bodies() == ["before"]

        # Back in Frontline, then deactivated by the command line, in a process of its own.
        assert admin_api("PATCH", f"/agents/{agent_id}", json={"group_ids": [frontline["id"]]}).status_code == 200
        with Change() as change:
            deployment.run("agents", "deactivate", AGENT)
        for listener in (by_cookie, by_token):
            on_time, took = listener.arrived_within("session:ended", change.times)
            assert on_time, f"closed after {took:.2f} s"
            assert "deactivated" in listener.first("session:ended")[1]["message"]
            assert wait_for(lambda listener=listener: not listener.client.connected, timeout=WITHIN)
        assert signed_inbound(url_a, "rev-3", "+15550103", "after deactivation").status_code == 204
        assert wait_for(lambda: admin.bodies()[-1:] == ["after deactivation"])
        time.sleep(1.0)
        assert "after deactivation" not in by_cookie.bodies() + by_token.bodies()
        assert me(url_b, browser) == 401 and me(url_b, token=deployment.token) == 401
        # Reactivated: the old cookie and token stay dead.
        assert admin_api("PATCH", f"/agents/{agent_id}", json={"active": True}).status_code == 200
        assert me(url_b, browser) == 401 and me(url_b, token=deployment.token) == 401
    finally:
        for listener in listeners:
            listener.close()


def test_sign_out_new_passwords_and_revoked_tokens_close_connections_on_another_process(cluster):
    deployment, (url_a, url_b) = cluster
    laptop = sign_in(url_a, AGENT, AGENT_PASSWORD, remember=True)
    phone = sign_in(url_b, AGENT, AGENT_PASSWORD)
    tablet = sign_in(url_a, AGENT, AGENT_PASSWORD, remember=True)
    sockets = {"laptop": Listener(deployment, url_b, "websocket", cookies=laptop.cookies.get_dict()),
               "phone": Listener(deployment, url_a, "polling", cookies=phone.cookies.get_dict()),
               "tablet": Listener(deployment, url_b, "websocket", cookies=tablet.cookies.get_dict()),
               "token": Listener(deployment, url_a, "websocket", token=deployment.token)}
    try:
        # Signing out on A closes that sign-in's connection on B; the others stay.
        stolen = dict(laptop.cookies.get_dict())
        with Change() as change:
            assert laptop.post(f"{url_a}/logout", data={"csrf_token": laptop.csrf}, timeout=10).status_code == 200
        on_time, took = sockets["laptop"].arrived_within("session:ended", change.times)
        assert on_time, f"closed after {took:.2f} s"
        replay = requests.Session()
        replay.cookies.update(stolen)
        assert me(url_b, replay) == 401        # a copy of the signed-out cookies is worth nothing

        # A new password (the profile page on B) closes every other sign-in's connection.
        agent_id = phone.get(f"{url_b}/api/v1/me", timeout=10).json()["id"]
        with Change() as change:
            response = phone.post(f"{url_b}/profile/{agent_id}/password", data={
                "csrf_token": phone.csrf, "current_password": AGENT_PASSWORD,
                "new_password": "brand-new-passphrase", "repeat_password": "brand-new-passphrase"},
                allow_redirects=False, timeout=10)
            assert response.status_code == 302
        on_time, took = sockets["tablet"].arrived_within("session:ended", change.times)
        assert on_time, f"closed after {took:.2f} s"
        time.sleep(WITHIN)
        assert sockets["phone"].client.connected and sockets["phone"].first("session:ended") is None
        assert me(url_a, tablet) == 401 and me(url_a, phone) == 200
        remembered = requests.Session()
        remembered.cookies.set("remember_token", tablet.cookies.get("remember_token"))
        assert me(url_a, remembered) == 401    # "keep me signed in" ended too

        # A token revoked on the command line closes its connection.
        listing = deployment.run("tokens", "list", AGENT)
        token_id = next(line.split()[0] for line in listing.splitlines() if "active" in line)
        with Change() as change:
            deployment.run("tokens", "revoke", token_id)
        on_time, took = sockets["token"].arrived_within("session:ended", change.times)
        assert on_time, f"closed after {took:.2f} s"
        assert me(url_a, token=deployment.token) == 401

        # An admin setting a new password on the agents page (B) ends the last one (phone, on A).
        admin = sign_in(url_b, ADMIN, ADMIN_PASSWORD)
        with Change() as change:
            assert admin.post(f"{url_b}/admin/agents/{agent_id}", data={
                "csrf_token": admin.csrf, "action": "password", "password": "set-by-the-admin"},
                allow_redirects=False, timeout=10).status_code == 302
        on_time, took = sockets["phone"].arrived_within("session:ended", change.times)
        assert on_time, f"closed after {took:.2f} s"
        assert me(url_a, phone) == 401
    finally:
        for listener in sockets.values():
            listener.close()
