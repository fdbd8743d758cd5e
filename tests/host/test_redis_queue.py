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


def test_socketio_uses_the_redis_message_queue(app):
    import socketio

    from host.redis_queue import QueuedRedisManager

    manager = app.extensions["socketio"].server.manager
    assert isinstance(manager, QueuedRedisManager) and isinstance(manager, socketio.RedisManager)


def test_a_webhook_does_not_wait_for_redis(app, agent, monkeypatch):
    """The publish for the other processes leaves from a background thread, in order."""
    import threading

    manager = app.extensions["socketio"].server.manager
    held, published = threading.Event(), []
    real_batch = manager._publish_batch

    def slow_redis(batch):
        held.wait(10)
        published.extend(m["data"][0]["message"]["body"] for m in batch if m["event"] == "message:created")
        real_batch(batch)

    monkeypatch.setattr(manager, "_publish_batch", slow_redis)
    client = app.test_client()
    for n in range(3):
        started = time.monotonic()
        assert webhook(client, {"id": f"q-{n}", "from": "+15550009", "body": f"m{n}"}).status_code == 200
        assert time.monotonic() - started < 5  # answered while Redis "hangs"
    assert published == []
    held.set()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len(published) < 3:
        time.sleep(0.02)
    assert published == ["m0", "m1", "m2"]  # all of them, in emit order


def test_a_process_drops_its_own_publishes_and_decodes_the_others(app, monkeypatch):
    manager = app.extensions["socketio"].server.manager
    channel = manager.channel.encode()
    mine = manager._encode({"method": "emit", "event": "mine", "host_id": manager.host_id})
    theirs = '{"from_host": "another-process", "method": "emit", "event": "theirs", "host_id": "another-process"}'
    callback_for_us = ('{"from_host": "another-process", "method": "callback", "host_id": "%s", "sid": "s", '
                       '"namespace": "/", "id": 1, "args": []}' % manager.host_id)
    heard = [{"type": "subscribe", "channel": channel, "data": 1}]
    heard += [{"type": "message", "channel": channel, "data": raw.encode()}
              for raw in (mine, theirs, "not json", callback_for_us)]
    heard.append({"type": "message", "channel": b"another-channel", "data": theirs.encode()})
    monkeypatch.setattr(manager, "_redis_listen_with_retries", lambda: iter(heard))

    got = list(manager._listen())

    assert [m["event"] if m["method"] == "emit" else m["method"] for m in got] == ["theirs", "callback"]
    assert all("from_host" not in m for m in got)


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
