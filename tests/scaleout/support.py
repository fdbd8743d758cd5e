"""Real Switchboard processes for the production-shape and fault tests.

The processes use the example HTTP SMS gateway plugin (installed by `make`) as their
channel, talking to its local gateway stand-in (``sbx_http_sms.testing``), which records
every send.
"""
import json
import os
import subprocess
import sys
import time

import requests

from host.testing.pytest_plugin import free_port, skip_or_fail

WEBHOOK_SECRET = "scaleout-webhook-secret"
CLI = [sys.executable, "-m", "host.cli"]


def wait_for(predicate, timeout=15.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def signed_inbound(url, external_id, from_address, text):
    from sbx_http_sms.plugin import signature

    body = json.dumps({"id": external_id, "from": from_address, "to": "+15550000", "text": text}).encode()
    return requests.post(f"{url}/webhooks/http-sms/inbound", data=body, timeout=10,
                         headers={"Content-Type": "application/json", "X-Signature": signature(body, WEBHOOK_SECRET)})


class Deployment:
    """A database, agents and plugin settings shared by processes started on demand."""

    def __init__(self, env):
        self.env = env
        self.processes = {}

    def run(self, *args):
        return subprocess.run([*CLI, *args], env=self.env, check=True, capture_output=True, text=True).stdout

    def start(self, port=None, **extra_env):
        port = port or free_port()
        env = {**self.env, "SWITCHBOARD_PUBLIC_URL": f"http://127.0.0.1:{port}", **extra_env}
        proc = subprocess.Popen([*CLI, "serve", "--port", str(port)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        self.processes[url] = proc
        assert wait_for(lambda: self.up(url), timeout=40), f"{url} did not start"
        return url

    @staticmethod
    def up(url):
        try:
            return requests.get(f"{url}/healthz", timeout=1).status_code in (200, 503)
        except requests.RequestException:
            return False

    def kill(self, url, signal_name="SIGKILL"):
        import signal

        proc = self.processes.pop(url)
        proc.send_signal(getattr(signal, signal_name))
        proc.wait(timeout=10)

    def stop_all(self):
        for proc in self.processes.values():
            proc.terminate()
        for proc in self.processes.values():
            proc.wait(timeout=30)  # a busy machine can take seconds to end an interpreter


def start_production(deployment, threads=8, wait=True, **extra_env):
    """One ``switchboard serve --production`` (HTTP) process of the deployment; its URL
    (``wait=False``: started, not yet answering; see :func:`wait_up`)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**deployment.env, "SWITCHBOARD_PUBLIC_URL": url, **extra_env}
    proc = subprocess.Popen([*CLI, "serve", "--production", "--port", str(port), "--threads", str(threads)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deployment.processes[url] = proc
    if wait:
        wait_up(url)
    return url


def start_realtime(deployment, wait=True, **extra_env):
    """One ``switchboard realtime`` process of the deployment (its agents' connections); its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([*CLI, "realtime", "--port", str(port)], env={**deployment.env, **extra_env},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deployment.processes[url] = proc
    if wait:
        wait_up(url)
    return url


def wait_up(*urls):
    """Wait for processes started together (they start side by side, not one after another)."""
    for url in urls:
        assert wait_for(lambda url=url: Deployment.up(url), timeout=90), f"{url} did not start"


def worker_pid(url, deployment):
    """The gunicorn worker (the process serving) under the process started for ``url``."""
    master = deployment.processes[url].pid
    with open(f"/proc/{master}/task/{master}/children") as children:
        pids = [int(pid) for pid in children.read().split()]
    assert len(pids) == 1, pids
    return pids[0]


def thread_count(pid):
    import os

    return len(os.listdir(f"/proc/{pid}/task"))


def make_deployment(database_url, gateway, tmp_path, redis_url=None):
    try:
        import sbx_http_sms  # noqa: F401
    except ImportError:
        skip_or_fail("the example plugin is not installed (pip install -e examples/http_sms_gateway)")
    env = {**os.environ, "SWITCHBOARD_DATABASE_URL": database_url,
           "SWITCHBOARD_SECRET_KEY": "scaleout-secret-key-0123456789abcdef",
           "SWITCHBOARD_INSTANCE_PATH": str(tmp_path), "SWITCHBOARD_OUTBOX_POLL_SECONDS": "0.2",
           "SWITCHBOARD_OUTBOX_CLAIM_SECONDS": "3"}
    if redis_url:
        env["SWITCHBOARD_REDIS_URL"] = redis_url
    deployment = Deployment(env)
    deployment.run("db", "upgrade")
    deployment.run("agents", "create", "agent@example.com", "--password", "long-enough-pw", "--group", "Support")
    deployment.token = deployment.run("tokens", "create", "agent@example.com").strip()
    deployment.run("settings", "set", "http_sms", f"send_url={gateway.url}", "sender=+15550000",
                   "api_token=t0ken-for-gateway", f"webhook_secret={WEBHOOK_SECRET}")
    return deployment


# What Chromium sends on every websocket, word for word (Firefox and Safari offer the same
# extension); aiohttp sends the same with ``ws_connect(compress=15)``, so a python-socketio
# ``AsyncClient`` made with ``websocket_extra_options=BROWSER_LIKE`` offers what a browser does.
BROWSER_OFFER = "permessage-deflate; client_max_window_bits"
BROWSER_LIKE = {"compress": 15}


def websocket_answer(url: str, offer: str) -> dict:
    """The headers of the server's answer to a Socket.IO websocket upgrade with ``offer``."""
    import base64
    import os
    import socket
    from urllib.parse import urlsplit

    where = urlsplit(url)
    with socket.create_connection((where.hostname, where.port), timeout=5) as sock:
        sock.sendall((f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {where.netloc}\r\n"
                      "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                      f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
                      f"Sec-WebSocket-Extensions: {offer}\r\n\r\n").encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(4096)
            assert chunk, answer
            answer += chunk
    status, *lines = answer.split(b"\r\n\r\n")[0].decode("latin1").split("\r\n")
    return {"status": status, **{k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}}
