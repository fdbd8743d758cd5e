"""Faults with real processes: SIGKILL in a send burst, and a PostgreSQL restart under load."""
import shutil
import subprocess

import pytest
import requests

from tests.scaleout.support import make_deployment, signed_inbound, wait_for

pytestmark = [pytest.mark.slow]


def reply_burst(url, token, chat_id, count):
    for n in range(count):
        response = requests.post(f"{url}/api/v1/chats/{chat_id}/messages", json={"body": f"burst-{n:02d}"},
                                 headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert response.status_code == 201  # committed to the outbox before this answer


def chats_of(url, token):
    return requests.get(f"{url}/api/v1/chats?view=all&limit=500", headers={"Authorization": f"Bearer {token}"},
                        timeout=5).json()


def chat_of(url, token):
    """The one chat, once the inbox worker has stored the customer's message."""
    assert wait_for(lambda: chats_of(url, token), timeout=20)
    return chats_of(url, token)[0]["id"]


def test_sigkill_mid_burst_loses_nothing(gateway, tmp_path):
    deployment = make_deployment(f"sqlite:///{tmp_path / 'crash.db'}", gateway, tmp_path)
    url = deployment.start()
    try:
        assert signed_inbound(url, "crash-1", "+15550123", "hi").status_code == 204
        chat_id = chat_of(url, deployment.token)
        gateway.delay = 0.1  # sends take a while, so the kill lands mid-burst
        reply_burst(url, deployment.token, chat_id, 20)
        assert wait_for(lambda: len(gateway.received) >= 3, timeout=20)
        deployment.kill(url)
        sent_before_crash = len(gateway.received)
        assert sent_before_crash < 20, "the burst finished before the kill; nothing was tested"
        gateway.delay = 0.0
        url = deployment.start()
        expected = [f"burst-{n:02d}" for n in range(20)]
        assert wait_for(lambda: set(gateway.texts()) >= set(expected), timeout=40), gateway.texts()
        texts = gateway.texts()
        # At-least-once at the crash boundary: only a send in flight at the kill may repeat.
        assert len(texts) - len(set(texts)) <= 1
        assert sorted(set(texts)) == expected
        assert [t for i, t in enumerate(texts) if t not in texts[:i]] == expected  # order kept
    finally:
        deployment.stop_all()


@pytest.mark.postgres
def test_postgresql_restart_under_load_recovers_without_help(gateway, tmp_path, postgres_url):
    if not shutil.which("pg_ctlcluster"):
        pytest.skip("pg_ctlcluster is not available to restart PostgreSQL here")
    deployment = make_deployment(postgres_url, gateway, tmp_path)
    url = deployment.start()
    try:
        accepted = []
        version = subprocess.run(["bash", "-c", "ls /etc/postgresql"], capture_output=True, text=True).stdout.split()[0]
        for n in range(60):
            if n == 20:
                subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
                               check=True, capture_output=True)
            try:
                if signed_inbound(url, f"pg-{n}", f"+1555{n:07d}", f"load {n}").status_code == 204:
                    accepted.append(n)
            except requests.RequestException:
                pass
        assert wait_for(lambda: requests.get(f"{url}/healthz", timeout=2).status_code == 200, timeout=30)
        assert signed_inbound(url, "pg-after", "+15559999999", "after restart").status_code == 204
        wanted = {f"load {n}" for n in accepted} | {"after restart"}
        stored = lambda: {c["last_message"]["body"] for c in chats_of(url, deployment.token)}  # noqa: E731
        assert wait_for(lambda: wanted <= stored(), timeout=60), wanted - stored()  # every acknowledged one kept
        assert len(accepted) >= 40
    finally:
        deployment.stop_all()
