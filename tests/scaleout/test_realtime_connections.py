"""One `switchboard realtime` process holds hundreds of websockets on a few threads.

500 agents' consoles (python-socketio ``AsyncClient``s, websocket transport, offering
``permessage-deflate`` as browsers do) connect to one
realtime process; its worker's thread count stays what it was with none, and an event
emitted by an HTTP process reaches every one of them. With a thread per websocket (the
earlier gthread model) the count would grow by 500.
"""
import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.scaleout.support import (BROWSER_LIKE, BROWSER_OFFER, make_deployment, signed_inbound, start_production,
                                    start_realtime, thread_count, websocket_answer, worker_pid)

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

AGENTS = 500
MOST_THREADS = 20   # the interpreter's, psycopg's and gevent's own few; not one per connection


@pytest.fixture
def cluster(postgres_url, redis_url, gateway, tmp_path):
    deployment = make_deployment(postgres_url, gateway, tmp_path, redis_url=redis_url)
    urls = [start_production(deployment), start_realtime(deployment)]
    yield deployment, urls
    deployment.stop_all()


def test_500_websockets_on_one_realtime_process_take_no_thread_each_and_all_get_the_event(cluster):
    deployment, (http, realtime) = cluster
    worker = worker_pid(realtime, deployment)
    idle_threads = thread_count(worker)
    got, observed = set(), {}

    async def run():
        import socketio

        gate = asyncio.Semaphore(50)
        clients = []

        async def connect(number):
            # offering permessage-deflate as browsers do (aiohttp offers nothing by default)
            client = socketio.AsyncClient(reconnection=False, websocket_extra_options=dict(BROWSER_LIKE))

            @client.on("message:created")
            async def on_message(data):
                if data["message"]["body"] == "To every console":
                    got.add(number)

            async with gate:
                await client.connect(realtime, auth={"token": deployment.token}, transports=["websocket"],
                                     wait_timeout=60)
            clients.append(client)

        try:
            await asyncio.gather(*(connect(number) for number in range(AGENTS)))
            observed["connected"] = sum(client.connected for client in clients)
            observed["threads"] = thread_count(worker)
            answer = await asyncio.to_thread(signed_inbound, http, "to-all", "+15550123", "To every console")
            observed["answer"] = answer.status_code
            deadline = time.monotonic() + 60
            while len(got) < AGENTS and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            observed["threads_after"] = thread_count(worker)
        finally:
            await asyncio.gather(*(client.disconnect() for client in clients), return_exceptions=True)

    # A loop of its own on a thread of its own: in the full suite the browser tests' Playwright
    # (sync API) keeps an event loop running on the main thread, where asyncio.run() refuses.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, run()).result()
    assert observed["connected"] == AGENTS
    assert observed["answer"] == 204
    assert len(got) == AGENTS, f"{AGENTS - len(got)} consoles missed the event"
    assert idle_threads <= MOST_THREADS
    # the realtime process (gevent, under gunicorn) declines the offer as the threaded server does
    answer = websocket_answer(realtime, BROWSER_OFFER)
    assert " 101 " in answer["status"] and "sec-websocket-extensions" not in answer, answer
    assert observed["threads"] <= MOST_THREADS and observed["threads_after"] <= MOST_THREADS, (idle_threads, observed)
