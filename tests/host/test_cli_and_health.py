"""The switchboard command, /healthz and the sign-in form."""
import pytest

from host.cli import main
from host.extensions import db
from host.models import Agent


def run(app, *args):
    return app.test_cli_runner().invoke(main, list(args))


def test_agents_and_tokens_from_the_command_line(app, api):
    result = run(app, "agents", "create", "Boss@Example.com", "--admin", "--password", "long-enough-pw",
                 "--group", "Support")
    assert result.exit_code == 0 and "Created admin boss@example.com" in result.output
    boss = db.session.execute(db.select(Agent).where(Agent.email == "boss@example.com")).scalar_one()
    assert boss.is_admin and [g.name for g in boss.groups] == ["Support"]
    assert run(app, "agents", "create", "boss@example.com").exit_code != 0
    token = run(app, "tokens", "create", "boss@example.com").output.strip()
    client = app.test_client()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json["email"] == "boss@example.com"
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer sbt_wrong"}).status_code == 401
    assert "no agent with the email" in run(app, "tokens", "create", "ghost@example.com").output


def test_demo_loads_into_an_empty_database_only(app):
    first = run(app, "demo")
    assert "Demo data loaded. Sign in as admin@example.com / switchboard-demo." in first.output
    assert "already has agents" in run(app, "demo").output
    assert db.session.execute(db.select(db.func.count(Agent.id))).scalar() == 2


def test_demo_conversations_arrive_like_real_ones(app):
    from host.models import Chat
    from plugins.contacts.models import Contact

    run(app, "demo")
    chats = db.session.execute(db.select(Chat).order_by(Chat.last_message_at)).scalars().all()
    assert [(c.channel, c.status, c.group.name) for c in chats] == [
        ("sms", "queued", "Support"), ("whatsapp", "queued", "Support"), ("sms", "queued", "Support")]
    assert all(c.contact_id for c in chats)   # the contacts plugin made their profiles
    names = {db.session.get(Contact, c.contact_id).name for c in chats}
    assert {"Maria Lopez", "Tom Becker"} <= names
    assert [m.body for m in chats[0].messages] == ["Hi, my order #4411 hasn't arrived yet.", "Can you check?"]


def test_healthz_reports_database_realtime_and_plugins(app):
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    body = response.json
    assert body["status"] == "ok" and body["checks"]["database"]["ok"] is True
    assert body["checks"]["realtime"]["detail"] == "in-process"
    assert {"contacts", "twilio_channel", "livechat", "host.defaults"} <= set(body["plugins"])


def test_healthz_shows_redis_down(app):
    app.config["SWITCHBOARD_REDIS_URL"] = "redis://127.0.0.1:1/0"
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert "Redis unreachable" in response.json["checks"]["realtime"]["detail"]


@pytest.fixture
def switchboard_config():
    return {"LOGIN_RATE_LIMIT": "5 per minute"}


def test_login_is_rate_limited(app, agent):
    client = app.test_client()
    statuses = [client.post("/login", data={"email": agent.email, "password": "wrong"}).status_code
                for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    assert "Too many sign-in attempts" in client.post("/login", data={}).get_data(as_text=True)


def test_wrong_password_shows_a_human_message(app, agent):
    import re

    client = app.test_client()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    page = client.post("/login", data={"email": agent.email, "password": "nope", "csrf_token": token}).get_data(as_text=True)
    assert "don&#39;t match an active agent" in page


def test_a_forged_forwarded_for_does_not_escape_the_login_limit(app, agent):
    client = app.test_client()   # no trusted proxies configured: the header is ignored
    statuses = [client.post("/login", data={"email": agent.email, "password": "wrong"},
                            headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code for n in range(6)]
    assert statuses == [200] * 5 + [429]
