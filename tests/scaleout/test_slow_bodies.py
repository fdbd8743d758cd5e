"""Slow request bodies against a real `switchboard serve --production` process.

A client that trickles its body holds one of the process's few threads for a few
seconds at most: while several do, the process answers everyone else at once, and each
trickling connection is answered 408 and closed once its body is
``SWITCHBOARD_REQUEST_BODY_TIMEOUT`` late.
"""
import socket
import threading
import time
from urllib.parse import urlsplit

import pytest
import requests

from tests.scaleout.support import make_deployment, signed_inbound, start_production

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

BODY_TIMEOUT = 2.0
TRICKLERS = 6
THREADS = 8    # the default of serve --production


@pytest.fixture
def server(postgres_url, redis_url, gateway, tmp_path):
    deployment = make_deployment(postgres_url, gateway, tmp_path, redis_url=redis_url)
    url = start_production(deployment, threads=THREADS, SWITCHBOARD_REQUEST_BODY_TIMEOUT=str(BODY_TIMEOUT))
    yield url
    deployment.stop_all()


def open_request(url, length, signature=""):
    """A raw connection that has sent a webhook's headers and none of its body."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
    sock.sendall(b"POST /webhooks/http-sms/inbound HTTP/1.1\r\nHost: %s\r\nX-Signature: %s\r\n"
                 b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                 % (parts.netloc.encode(), signature.encode(), length))
    return sock


def trickle(url, outcome, stop):
    """Send one byte of a 200-byte body every 0.2 s (40 s in all) until answered or told to stop."""
    sock = open_request(url, 200)
    started = time.monotonic()
    try:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                sock.sendall(b" ")
            except OSError:
                pass  # the server stopped reading: its answer is waiting
            try:
                answer = sock.recv(4096)
            except TimeoutError:
                continue
            outcome["after"] = time.monotonic() - started
            sock.settimeout(5)
            while chunk := sock.recv(4096):  # the server closes the connection after its answer
                answer += chunk
            outcome["answer"] = answer
            outcome["closed"] = True
            return
    except OSError as exc:
        outcome.setdefault("error", repr(exc))
    finally:
        sock.close()


def test_trickling_bodies_are_cut_off_while_everyone_else_is_served(server):
    stop = threading.Event()
    outcomes = [{} for _ in range(TRICKLERS)]
    threads = [threading.Thread(target=trickle, args=(server, outcome, stop)) for outcome in outcomes]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.5)  # every trickler has sent its headers and started on its body
        started = time.monotonic()
        assert requests.get(f"{server}/healthz", timeout=5).status_code == 200
        assert signed_inbound(server, "while-trickling", "+15550123", "Still here?").status_code == 204
        assert time.monotonic() - started < 1.0  # answered at once, not after the tricklers
        for thread in threads:
            thread.join(BODY_TIMEOUT + 5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(5)
    for outcome in outcomes:
        assert outcome.get("answer", b"").startswith(b"HTTP/1.1 408 "), outcome
        assert b"too slowly" in outcome["answer"]
        # cut off once the body was BODY_TIMEOUT late (the watchdog checks 4 times a second)
        assert BODY_TIMEOUT - 0.1 <= outcome["after"] <= BODY_TIMEOUT + 1.5, outcome
        assert outcome.get("closed") is True


def test_a_body_sent_in_pieces_within_the_timeout_is_served(server):
    from sbx_http_sms.plugin import signature

    from tests.scaleout.support import WEBHOOK_SECRET

    body = b'{"id": "in-pieces", "from": "+15550124", "to": "+15550000", "text": "Sent in two halves"}'
    sock = open_request(server, len(body), signature(body, WEBHOOK_SECRET))
    try:
        half = len(body) // 2
        sock.sendall(body[:half])
        time.sleep(BODY_TIMEOUT * 0.6)
        sock.sendall(body[half:])
        answer = sock.recv(4096)
    finally:
        sock.close()
    assert answer.startswith(b"HTTP/1.1 204 "), answer  # slow but steady: stored like any other
