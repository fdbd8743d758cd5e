"""A webhook recorded and a reply queued by an HTTP process wake the `switchboard worker`
process at once (PostgreSQL LISTEN/NOTIFY), not at its next poll.

The worker polls every 60 s here, so only a wake-up gets the work done within the bounds.
"""
import subprocess

import pytest
import requests

from tests.scaleout.support import CLI, make_deployment, signed_inbound, start_production, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

POLL = "60"


@pytest.fixture
def split(postgres_url, redis_url, gateway, tmp_path):
    """One HTTP process running no worker, and one worker process (the production shape)."""
    deployment = make_deployment(postgres_url, gateway, tmp_path, redis_url=redis_url)
    deployment.env.update({"SWITCHBOARD_INBOX_POLL_SECONDS": POLL, "SWITCHBOARD_OUTBOX_POLL_SECONDS": POLL})
    url = start_production(deployment, threads=4, SWITCHBOARD_OUTBOX_WORKER="false")
    worker = subprocess.Popen([*CLI, "worker"], env=deployment.env, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    deployment.processes["worker"] = worker
    assert worker.stdout.readline().startswith("Outbox and inbox worker running"), "the worker did not start"
    yield deployment, url
    deployment.stop_all()


def chats(url, token):
    return requests.get(f"{url}/api/v1/chats?view=all&limit=50", headers={"Authorization": f"Bearer {token}"},
                        timeout=5).json()


def test_work_queued_by_an_http_process_wakes_the_worker_process(split, gateway):
    deployment, url = split
    # Once the worker listens, a first event is processed at once …
    assert signed_inbound(url, "wake-1", "+15550123", "first").status_code == 204
    assert wait_for(lambda: chats(url, deployment.token), timeout=20), "the inbox worker was not woken"
    # … and so is one recorded while it sat idle, well inside its poll interval.
    assert signed_inbound(url, "wake-2", "+15550124", "second").status_code == 204
    assert wait_for(lambda: len(chats(url, deployment.token)) == 2, timeout=10), "the idle worker was not woken"
    chat_id = chats(url, deployment.token)[0]["id"]
    reply = requests.post(f"{url}/api/v1/chats/{chat_id}/messages", json={"body": "On its way"},
                          headers={"Authorization": f"Bearer {deployment.token}"}, timeout=5)
    assert reply.status_code == 201
    assert wait_for(lambda: gateway.texts() == ["On its way"], timeout=10), "the outbox worker was not woken"
