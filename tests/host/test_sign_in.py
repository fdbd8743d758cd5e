"""Sign-in hardening: equal refusals, Redis down, CSRF whatever the headers, security headers."""
import re
import statistics
import time

import pytest

from host.extensions import db
from host.models import Chat
from host.testing.loopback import webhook

ROUTE_ARGUMENT = re.compile(r"<[^>]+>")


def refusal_seconds(client, email, tries=3):
    timings = []
    for _ in range(tries):
        started = time.perf_counter()
        response = client.post("/login", data={"email": email, "password": "not-the-password"})
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200 and "match an active agent" in response.get_data(as_text=True)
    return statistics.median(timings)


class TestRefusals:
    @pytest.fixture
    def switchboard_config(self):
        return {"WTF_CSRF_ENABLED": False}   # the form's token is not what this is about

    def test_unknown_and_known_emails_take_as_long_to_refuse(self, app, agent, make_agent):
        gone = make_agent("gone@example.test")
        gone.is_active_agent = False
        db.session.commit()
        client = app.test_client()
        known = refusal_seconds(client, agent.email)
        unknown = refusal_seconds(client, "nobody@example.test")
        deactivated = refusal_seconds(client, gone.email)
        # The password hash (scrypt, tens of milliseconds) runs for all three: without it
        # an unknown email is refused in a millisecond or two.
        assert unknown > known * 0.5, (known, unknown)
        assert deactivated > known * 0.5, (known, deactivated)


class TestRedisUnreachable:
    @pytest.fixture
    def switchboard_config(self):
        return {"REDIS_URL": "redis://127.0.0.1:1/0", "LOGIN_RATE_LIMIT": "3 per minute", "WTF_CSRF_ENABLED": False}

    def test_sign_in_keeps_working_and_the_limit_counts_in_memory(self, app, agent):
        client = app.test_client()
        ok = client.post("/login", data={"email": agent.email, "password": "correct-horse-battery"})
        assert ok.status_code == 302 and ok.headers["Location"].endswith("/console")
        statuses = [app.test_client().post("/login", data={"email": agent.email, "password": "wrong"}).status_code
                    for _ in range(3)]
        assert statuses == [200, 200, 429]     # the first sign-in counted too: 3 per minute
        health = app.test_client().get("/healthz").json["checks"]["sign_in_limit"]
        assert health["fallback"] is True and "memory" in health["detail"]


def test_healthz_says_where_sign_in_attempts_are_counted(app):
    assert "memory" in app.test_client().get("/healthz").json["checks"]["sign_in_limit"]["detail"]


class TestCsrf:
    def chat(self, app):
        webhook(app.test_client(), {"id": "m1", "from": "+15550001", "body": "hi"})
        return db.session.execute(db.select(Chat)).scalar_one()

    @pytest.mark.parametrize("authorization", ["Bearer sbt_not-a-real-token", "Bearer ", "Basic Zm9vOmJhcg=="])
    def test_a_cookie_request_is_csrf_checked_whatever_authorization_it_carries(self, app, agent, signed_in,
                                                                                authorization):
        client = signed_in(agent)
        chat = self.chat(app)
        refused = client.post(f"/api/v1/chats/{chat.id}/accept", headers={"Authorization": authorization})
        assert refused.status_code == 400
        assert db.session.get(Chat, chat.id).status == "queued"
        ok = client.post(f"/api/v1/chats/{chat.id}/accept",
                         headers={"Authorization": authorization, "X-CSRFToken": client.csrf_token})
        assert ok.status_code == 200

    def test_a_cookie_request_with_another_agents_valid_token_is_still_csrf_checked(self, app, agent, make_agent,
                                                                                   signed_in):
        from host.api.agents import issue_token

        colleague = make_agent("colleague@example.test")
        client = signed_in(agent)
        chat = self.chat(app)
        response = client.post(f"/api/v1/chats/{chat.id}/accept",
                               headers={"Authorization": f"Bearer {issue_token(colleague)}"})
        assert response.status_code == 400 and db.session.get(Chat, chat.id).agent_id is None

    def test_a_bearer_token_alone_needs_no_csrf_token(self, app, agent, api):
        chat = self.chat(app)
        assert api(agent).post(f"/api/v1/chats/{chat.id}/accept").status_code == 200


# --- security headers -------------------------------------------------------------------------

def page_paths(app):
    """Every page a signed-in admin can open by GET without arguments, from the URL map."""
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or ROUTE_ARGUMENT.search(rule.rule):
            continue
        if rule.rule.startswith(("/api/", "/webhooks/", "/socket.io")) or rule.endpoint.endswith("static"):
            continue
        yield rule.rule


SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.I)


@pytest.mark.parametrize("who", ["admin", "signed out"])
def test_every_page_allows_only_our_own_scripts(app, admin, signed_in, who):
    client = signed_in(admin) if who == "admin" else app.test_client()
    seen = 0
    for path in sorted(set(page_paths(app))):
        response = client.get(path, follow_redirects=True)
        if "text/html" not in response.content_type:
            continue
        seen += 1
        policy = response.headers.get("Content-Security-Policy", "")
        directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
        assert directives.get("script-src") == ["'self'"], (path, policy)
        assert directives.get("object-src") == ["'none'"] and "frame-ancestors" in directives, (path, policy)
        for attributes in SCRIPT_TAG.findall(response.get_data(as_text=True)):
            # a script runs only from a file; a JSON block is data, which browsers never run
            assert "src=" in attributes or 'type="application/json"' in attributes, \
                f"{path} has an inline script: <script{attributes}>"
    assert seen >= (8 if who == "admin" else 3)  # console, widget, login, profile, admin pages, the customer phone …


def test_the_customer_phone_page_loads_its_scripts_from_files(app, admin, signed_in):
    page = signed_in(admin).get("/simulator/phone").get_data(as_text=True)
    sources = re.findall(r'<script src="([^"]+)"', page)
    assert any(s.endswith("simulator_phone.js") for s in sources)
    assert any(s.endswith("simulator_phone_voice.js") for s in sources)
    assert "csrf_token()" not in page and 'data-csrf="' in page


def test_only_the_widget_pages_may_be_framed_by_livechat(app, agent, signed_in):
    client = signed_in(agent)
    console = client.get("/console").headers["Content-Security-Policy"]
    widget = client.get("/widget").headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in console and "livechatinc.com" not in console
    assert "https://my.livechatinc.com" in widget and "script-src 'self'" in widget


class TestHsts:
    @pytest.fixture
    def switchboard_config(self):
        return {"PUBLIC_URL": "https://help.example.com"}

    def test_https_deployments_send_hsts(self, app):
        assert app.test_client().get("/login").headers["Strict-Transport-Security"] == "max-age=31536000"


def test_plain_http_deployments_send_no_hsts(app):
    assert "Strict-Transport-Security" not in app.test_client().get("/login").headers
