"""Production shape: two Switchboard processes on PostgreSQL and Redis.

A webhook hitting process A reaches an agent connected to process B, and a reply sent
through B leaves exactly once although both processes run the outbox worker.
"""
import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from host.testing.pytest_plugin import free_port, skip_or_fail

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]
SECRET = "scaleout-webhook-secret"


class Gateway(BaseHTTPRequestHandler):
    """A local SMS gateway counting what it is asked to send."""

    received: list = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Gateway.received.append(body)
        payload = json.dumps({"id": f"gw-{len(Gateway.received)}"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


def wait_for(predicate, timeout=15.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


@pytest.fixture
def gateway():
    Gateway.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Gateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/send"
    server.shutdown()


@pytest.fixture
def cluster(postgres_url, redis_url, gateway, tmp_path):
    try:
        from sbx_http_sms.plugin import signature  # noqa: F401
    except ImportError:
        skip_or_fail("the example plugin is not installed (pip install -e examples/http_sms_gateway)")
    env = {**os.environ, "SWITCHBOARD_DATABASE_URL": postgres_url, "SWITCHBOARD_REDIS_URL": redis_url,
           "SWITCHBOARD_SECRET_KEY": "scaleout-secret-key-0123456789abcdef",
           "SWITCHBOARD_INSTANCE_PATH": str(tmp_path), "SWITCHBOARD_OUTBOX_POLL_SECONDS": "0.2"}
    cli = [sys.executable, "-m", "host.cli"]
    subprocess.run([*cli, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run([*cli, "agents", "create", "agent@example.com", "--password", "long-enough-pw",
                    "--group", "Support"], env=env, check=True, capture_output=True)
    token = subprocess.run([*cli, "tokens", "create", "agent@example.com"], env=env, check=True,
                           capture_output=True, text=True).stdout.strip()
    subprocess.run([*cli, "settings", "set", "http_sms", f"send_url={gateway}", "sender=+15550000",
                    "api_token=t0ken-for-gateway", f"webhook_secret={SECRET}"], env=env, check=True, capture_output=True)
    ports = [free_port(), free_port()]
    processes = []
    for port in ports:
        proc_env = {**env, "SWITCHBOARD_PUBLIC_URL": f"http://127.0.0.1:{port}"}
        processes.append(subprocess.Popen([*cli, "serve", "--port", str(port)], env=proc_env,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    for url in urls:
        assert wait_for(lambda: _up(url), timeout=30), f"{url} did not start"
    yield urls, token
    for proc in processes:
        proc.terminate()
    for proc in processes:
        proc.wait(timeout=10)


def _up(url):
    try:
        return requests.get(f"{url}/healthz", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def test_webhook_on_a_reaches_agent_on_b_and_reply_is_sent_once(cluster):
    import socketio

    from sbx_http_sms.plugin import signature

    (url_a, url_b), token = cluster
    seen = []
    client = socketio.Client(reconnection=False)
    client.on("message:created", lambda data: seen.append(data))
    client.connect(url_b, auth={"token": token}, transports=["websocket"], wait_timeout=10)
    try:
        body = json.dumps({"id": "sc-1", "from": "+15550123", "to": "+15550000", "text": "Hello A"}).encode()
        response = requests.post(f"{url_a}/webhooks/http-sms/inbound", data=body, timeout=5,
                                 headers={"Content-Type": "application/json", "X-Signature": signature(body, SECRET)})
        assert response.status_code == 204
        assert wait_for(lambda: any(m["message"]["body"] == "Hello A" for m in seen)), "event did not cross"
        chat_id = seen[0]["chat"]["id"]
        reply = requests.post(f"{url_b}/api/v1/chats/{chat_id}/messages", json={"body": "Sent once"},
                              headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert reply.status_code == 201
        assert wait_for(lambda: len(Gateway.received) >= 1)
        time.sleep(1.5)  # both processes' workers poll several times in this window
        assert [r["text"] for r in Gateway.received] == ["Sent once"]
    finally:
        client.disconnect()
