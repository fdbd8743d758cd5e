"""With SWITCHBOARD_REDIS_URL, events emitted by one app reach agents connected to another."""
import time

import pytest

from host import create_app
from host.extensions import db
from host.testing.loopback import LoopbackPlugin, webhook

pytestmark = pytest.mark.redis


@pytest.fixture
def switchboard_config(redis_url):
    return {"REDIS_URL": redis_url}


def agent_listener(live_server, agent):
    """A Socket.IO client signed in as ``agent``; the bodies of the messages it gets."""
    import socketio

    from host.api.agents import issue_token

    bodies = []
    listener = socketio.Client(reconnection=False)
    listener.on("message:created", lambda data: bodies.append(data["message"]["body"]))
    listener.connect(live_server.url, auth={"token": issue_token(agent)}, wait_timeout=5)
    return listener, bodies


def wait_for(bodies, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not bodies:
        time.sleep(0.05)


def test_socketio_uses_python_socketio_s_redis_manager(app, redis_url):
    import socketio

    manager = app.extensions["socketio"].server.manager
    assert type(manager) is socketio.RedisManager and manager.channel == "flask-socketio"


def test_an_agent_gets_an_event_of_its_own_process_once(app, agent, live_server):
    """The process's own publish comes back from Redis and must not be delivered again."""
    listener, bodies = agent_listener(live_server, agent)
    try:
        assert webhook(app.test_client(), {"id": "own-1", "from": "+15550009", "body": "once"}).status_code == 200
        wait_for(bodies, 5)
        time.sleep(1.0)  # the round trip through Redis takes milliseconds
    finally:
        listener.disconnect()
    assert bodies == ["once"]


def test_webhook_on_one_app_reaches_an_agent_on_another(app, agent, live_server, redis_url, tmp_path):
    listener, bodies = agent_listener(live_server, agent)
    other = create_app({"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": redis_url,
                        "INSTANCE_PATH": str(tmp_path / "b"), "SECRET_KEY": app.config["SECRET_KEY"],
                        "PUBLIC_URL": app.config["SWITCHBOARD_PUBLIC_URL"],
                        "EXTRA_PLUGINS": [("loopback", LoopbackPlugin())]})
    with other.app_context():
        assert webhook(other.test_client(), {"id": "via-b", "from": "+15550009", "body": "from B"}).status_code == 200
        db.session.remove()
    wait_for(bodies, 5)
    listener.disconnect()
    assert bodies == ["from B"]


class TestRedisDown:
    @pytest.fixture
    def switchboard_config(self):
        return {"REDIS_URL": "redis://127.0.0.1:1/0"}  # nothing listens there

    def test_single_process_delivery_keeps_working_and_health_says_so(self, app, agent, live_server):
        listener, bodies = agent_listener(live_server, agent)
        try:
            assert webhook(app.test_client(), {"id": "r1", "from": "+15550001", "body": "still here"}).status_code == 200
            wait_for(bodies, 10)
            assert bodies == ["still here"]
        finally:
            listener.disconnect()
        health = app.test_client().get("/healthz")
        assert health.status_code == 503 and "Redis unreachable" in health.json["checks"]["realtime"]["detail"]
