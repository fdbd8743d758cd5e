"""Production shape: two Switchboard processes on PostgreSQL and Redis.

A webhook hitting process A reaches an agent connected to process B, and a reply sent
through B leaves exactly once although both processes run the outbox worker.
"""
import time

import pytest
import requests

from tests.scaleout.support import make_deployment, signed_inbound, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def cluster(postgres_url, redis_url, gateway, tmp_path):
    deployment = make_deployment(postgres_url, gateway, tmp_path, redis_url=redis_url)
    urls = [deployment.start(), deployment.start()]
    yield deployment, urls
    deployment.stop_all()


def test_webhook_on_a_reaches_agent_on_b_and_reply_is_sent_once(cluster, gateway):
    import socketio

    deployment, (url_a, url_b) = cluster
    seen = []
    client = socketio.Client(reconnection=False)
    client.on("message:created", lambda data: seen.append(data))
    client.connect(url_b, auth={"token": deployment.token}, transports=["websocket"], wait_timeout=10)
    try:
        assert signed_inbound(url_a, "sc-1", "+15550123", "Hello A").status_code == 204
        assert wait_for(lambda: any(m["message"]["body"] == "Hello A" for m in seen)), "event did not cross"
        chat_id = seen[0]["chat"]["id"]
        reply = requests.post(f"{url_b}/api/v1/chats/{chat_id}/messages", json={"body": "Sent once"},
                              headers={"Authorization": f"Bearer {deployment.token}"}, timeout=5)
        assert reply.status_code == 201
        assert wait_for(lambda: len(gateway.received) >= 1)
        time.sleep(1.5)  # both processes' workers poll several times in this window
        assert gateway.texts() == ["Sent once"]
    finally:
        client.disconnect()
