"""`switchboard serve --production` (gunicorn gthread): websockets and long-polling work,
events cross processes through Redis, and SIGTERM stops the process promptly."""
import time

import pytest

from tests.scaleout.support import make_deployment, signed_inbound, start_production, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def cluster(postgres_url, redis_url, gateway, tmp_path):
    deployment = make_deployment(postgres_url, gateway, tmp_path, redis_url=redis_url)
    urls = [start_production(deployment), start_production(deployment)]
    yield deployment, urls
    deployment.stop_all()


def test_websocket_and_polling_agents_on_b_get_a_webhook_posted_to_a(cluster):
    import socketio

    deployment, (url_a, url_b) = cluster
    clients = {}
    try:
        for transports in (["websocket"], ["polling"]):
            seen = []
            client = socketio.Client(reconnection=False)
            client.on("message:created", lambda data, seen=seen: seen.append(data["message"]["body"]))
            client.connect(url_b, auth={"token": deployment.token}, transports=transports, wait_timeout=10)
            assert client.transport() == transports[0]
            clients[transports[0]] = (client, seen)
        assert signed_inbound(url_a, "prod-1", "+15550123", "Hello from A").status_code == 204
        for transport, (client, seen) in clients.items():
            assert wait_for(lambda seen=seen: seen == ["Hello from A"]), f"{transport} agent got {seen}"
            assert client.call("presence:ping", {}, timeout=5) == {"ok": True}
    finally:
        for client, _ in clients.values():
            client.disconnect()


def test_sigterm_stops_a_process_with_an_open_websocket_promptly(cluster):
    import socketio

    deployment, (url_a, _) = cluster
    client = socketio.Client(reconnection=False)
    client.connect(url_a, auth={"token": deployment.token}, transports=["websocket"], wait_timeout=10)
    try:
        started = time.monotonic()
        deployment.kill(url_a, "SIGTERM")  # waits for the exit
        assert time.monotonic() - started < 5  # not graceful_timeout (10 s): websockets are closed
    finally:
        client.disconnect()
