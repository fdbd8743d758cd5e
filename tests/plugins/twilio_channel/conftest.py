"""Fixtures for Twilio channel tests: Prism on Twilio's spec and a routed twilio client.

``prism`` starts the mock servers once per session (about 3 s). Without the npm packages
the Prism tests are skipped locally, but fail on CI (``CI=true``) so a broken install
cannot pass silently.
"""
from __future__ import annotations

import os

import pytest
from twilio.rest import Client

from plugins.twilio_channel.testing import PrismServers, RecordingHttpClient, prism_binary

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "test-auth-token-not-a-secret"


@pytest.fixture(scope="session")
def prism():
    """The running :class:`PrismServers`; ``prism.hosts`` maps product → base URL."""
    binary = prism_binary()
    if not binary.exists():
        reason = f"Prism not installed at {binary}; run `npm ci` in the repository root"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + " (CI=true, so this is an error, not a skip)")
        pytest.skip(reason)
    servers = PrismServers()
    with servers:
        yield servers


@pytest.fixture
def make_twilio_client(prism):
    """Build a twilio ``Client`` routed to Prism; kwargs go to the HTTP client.

    ``make_twilio_client(extra_headers=prefer_error(OPTED_OUT))`` selects an error example.
    The client's ``http_client`` is a :class:`RecordingHttpClient`.
    """
    def build(**http_kwargs) -> Client:
        http = RecordingHttpClient(prism.hosts, **http_kwargs)
        return Client(ACCOUNT_SID, AUTH_TOKEN, http_client=http)
    return build


@pytest.fixture
def twilio_client(make_twilio_client) -> Client:
    return make_twilio_client()


@pytest.fixture
def assert_no_violations(prism):
    """Call with a twilio client at the end of a test: Prism saw only valid requests."""
    mark = prism.log_mark()

    def check(client: Client) -> None:
        exchanges = client.http_client.exchanges
        assert exchanges, "no request reached Prism"
        assert client.http_client.violations() == []
        assert prism.log_errors(since=mark) == []
    return check


# --- the plugin inside an app -------------------------------------------------------------

@pytest.fixture
def switchboard_plugins():
    """Only the Twilio plugin (plus the host's and the test plugins): other plugins'
    hooks (contacts consent, LiveChat mirroring) are not what these tests are about."""
    return "twilio_channel"


@pytest.fixture
def switchboard_config():
    # Simulator callbacks run when a test says so (``simulator.run_pending()``).
    return {"TWILIO_SIMULATOR_MANUAL": True}


@pytest.fixture
def simulator(app):
    from plugins.twilio_channel.simulator.engine import simulator_for

    return simulator_for(app)


@pytest.fixture
def twilio_webhook(app):
    """``twilio_webhook(path, params, token=None, url=None, signature=None)`` posts like Twilio.

    Signs with ``RequestValidator(token).compute_signature(url, params)`` where ``url`` is
    the public URL Twilio would have called; the token defaults to the active account's.
    """
    from plugins.twilio_channel.testing.webhooks import post_twilio

    def post(path, params, **kwargs):
        return post_twilio(app, path, params, **kwargs)

    return post


@pytest.fixture
def live_account(app):
    """Configure real-looking credentials (so the simulator is off) and one number."""
    from host import settings
    from plugins.twilio_channel.testing.webhooks import LIVE_SID, LIVE_TOKEN, POOL_SID

    settings.save("twilio_channel", {"account_sid": LIVE_SID, "auth_token": LIVE_TOKEN,
                                     "numbers": ["+14155550100"], "messaging_service_sids": [POOL_SID]})
    return LIVE_SID, LIVE_TOKEN
