"""The production shape: `switchboard serve --production` (gunicorn gthread) serves HTTP and
emits through Redis; `switchboard realtime` (gunicorn gevent) holds the agents' connections.

Events from the HTTP processes reach agents on a realtime process (websocket and
long-polling), an HTTP process refuses Socket.IO connections, and SIGTERM closes a realtime
process's websockets at once.
"""
import time

import pytest
import requests

from tests.scaleout.support import (make_deployment, signed_inbound, start_production, start_realtime,
                                    thread_count, wait_for, wait_up, worker_pid)

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def cluster(postgres_url, redis_url, gateway, tmp_path):
    deployment = make_deployment(postgres_url, gateway, tmp_path, redis_url=redis_url)
    urls = [start_production(deployment, wait=False), start_production(deployment, wait=False),
            start_realtime(deployment, wait=False)]
    wait_up(*urls)
    yield deployment, urls
    deployment.stop_all()


def test_agents_on_a_realtime_process_get_what_http_processes_emit(cluster):
    import socketio

    deployment, (http_a, http_b, realtime) = cluster
    clients, chat_ids = {}, []
    try:
        for transports in (["websocket"], ["polling"]):
            seen = []
            client = socketio.Client(reconnection=False)
            client.on("message:created", lambda data, seen=seen: (seen.append(data["message"]["body"]),
                                                                  chat_ids.append(data["chat"]["id"])))
            client.connect(realtime, auth={"token": deployment.token}, transports=transports, wait_timeout=10)
            assert client.transport() == transports[0]
            clients[transports[0]] = (client, seen)
        # A webhook on A: stored there and turned into a message by A's inbox worker.
        assert signed_inbound(http_a, "prod-1", "+15550123", "Hello from A").status_code == 204
        for transport, (client, seen) in clients.items():
            assert wait_for(lambda seen=seen: seen == ["Hello from A"]), f"{transport} agent got {seen}"
            assert client.call("presence:ping", {}, timeout=5) == {"ok": True}
        # A reply posted to B: emitted by B's request itself.
        reply = requests.post(f"{http_b}/api/v1/chats/{chat_ids[0]}/messages", json={"body": "Reply from B"},
                              headers={"Authorization": f"Bearer {deployment.token}"}, timeout=10)
        assert reply.status_code == 201
        for transport, (_, seen) in clients.items():
            assert wait_for(lambda seen=seen: seen == ["Hello from A", "Reply from B"]), f"{transport} agent got {seen}"
    finally:
        for client, _ in clients.values():
            client.disconnect()


def test_http_processes_refuse_realtime_connections_with_a_sentence(cluster):
    import socketio

    deployment, (http_a, _, _) = cluster
    answer = requests.get(f"{http_a}/socket.io/", params={"EIO": "4", "transport": "polling"}, timeout=10)
    assert answer.status_code == 404
    assert "switchboard realtime" in answer.json()["message"]
    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(http_a, auth={"token": deployment.token}, transports=["websocket"], wait_timeout=5)


def test_sigterm_closes_a_realtime_process_with_open_websockets_promptly(cluster):
    import socketio

    deployment, (http_a, _, realtime) = cluster
    clients, closed = [], []
    for _ in range(3):
        client = socketio.Client(reconnection=False)
        client.on("disconnect", lambda *args: closed.append(time.monotonic()))
        client.connect(realtime, auth={"token": deployment.token}, transports=["websocket"], wait_timeout=10)
        clients.append(client)
    try:
        assert threads_of(deployment, realtime) < 20
        started = time.monotonic()
        deployment.kill(realtime, "SIGTERM")  # waits for the exit
        assert time.monotonic() - started < 5  # not graceful_timeout (10 s): websockets are closed
        assert wait_for(lambda: len(closed) == 3, timeout=2), closed
        assert all(moment - started < 5 for moment in closed)
        assert requests.get(f"{http_a}/healthz", timeout=5).status_code == 200  # HTTP carries on
    finally:
        for client in clients:
            client.disconnect()


def threads_of(deployment, url):
    return thread_count(worker_pid(url, deployment))
