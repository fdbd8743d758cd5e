"""Fixtures for the LiveChat sync tests: the real SDK, its httpx sessions routed to the fake.

``switchboard_config`` injects ``httpx.WSGITransport(app=fake)`` as the app's LiveChat
transport (production passes none), and a mock transport for MMS downloads.
"""
from __future__ import annotations

import httpx
import pytest

from plugins.livechat.testing import FakeLiveChat

SECRET = "lc-webhook-secret-0123456789abcdef"
LC_AGENT = "agent@example.test"  # LiveChat agent ids are emails; this one is the `agent` fixture too
MEDIA = {"https://media.example.test/cat.jpg": (b"\xff\xd8\xff fake jpeg bytes", "image/jpeg")}


class MediaHost:
    """Answers attachment downloads; ``down`` makes it unreachable."""

    def __init__(self):
        self.down = False
        self.requests = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(str(request.url))
        if self.down:
            raise httpx.ConnectError("media host down", request=request)
        content, kind = MEDIA.get(str(request.url), (None, None))
        if content is None:
            return httpx.Response(404)
        return httpx.Response(200, content=content, headers={"Content-Type": kind})


class Unreachable(httpx.BaseTransport):
    """The fake behind a switch: ``down = True`` makes LiveChat unreachable (connection refused)."""

    def __init__(self, fake):
        self.fake, self.down = fake, False
        self.inner = httpx.WSGITransport(app=fake)

    def handle_request(self, request):
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        return self.inner.handle_request(request)

    def close(self):
        self.inner.close()


@pytest.fixture
def fake() -> FakeLiveChat:
    fake = FakeLiveChat()
    fake.add_agent_token(LC_AGENT)
    return fake


@pytest.fixture
def lc_transport(fake):
    return Unreachable(fake)


@pytest.fixture
def media_host():
    return MediaHost()


@pytest.fixture
def switchboard_config(lc_transport, media_host):
    return {"LIVECHAT_TRANSPORT": lc_transport, "LIVECHAT_MEDIA_TRANSPORT": httpx.MockTransport(media_host)}


@pytest.fixture
def configure(app, fake):
    """Store working LiveChat settings (mirroring the loopback channel too)."""
    from plugins.livechat import settings

    def apply(**overrides):
        values = dict(client_id=fake.client_id, organization_id=fake.organization_id, agent_token=fake.agent_token,
                      webhook_secret=SECRET, group_mapping={"Support": 0, "Sales": 1}, default_group_id=0,
                      mirrored_channels=["loopback", "sms", "whatsapp", "voice"])
        values.update(overrides)
        settings.update(**values)
        return settings.current()

    return apply


@pytest.fixture
def livechat(app, admin, agent, fake, configure):
    """A configured plugin, its app installed on the license and its webhooks registered at the
    fake (as the admin's Connect LiveChat does)."""
    from plugins.livechat import webhook_setup

    configure()
    fake.install_app()
    webhook_setup.register()
    return fake


@pytest.fixture
def drain(app):
    """Run the LiveChat outbox until nothing is due; returns how many rows were tried."""
    from plugins.livechat.sync_queue import drain as drain_once

    def run() -> int:
        total = 0
        while (done := drain_once()):
            total += done
        return total

    return run


@pytest.fixture
def lc_post(app):
    """POST a webhook body (as built by the fake) to /webhooks/livechat."""
    client = app.test_client()
    return lambda body: client.post("/webhooks/livechat", json=body)


@pytest.fixture
def inbound(app):
    """A customer message through the loopback channel's signed webhook."""
    from host.testing.loopback import webhook

    client = app.test_client()
    counter = iter(range(1, 10_000))

    def send(body, sender="+15550001", **extra):
        response = webhook(client, {"id": f"in-{next(counter)}", "from": sender, "body": body, **extra})
        assert response.status_code == 200, response.get_data(as_text=True)
        return response

    return send
