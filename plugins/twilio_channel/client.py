"""The ``twilio.rest.Client`` the plugin uses, with the right HTTP transport.

* live credentials → the client's own ``TwilioHttpClient`` (with a timeout);
* ``SWITCHBOARD_TWILIO_HOSTS`` set (e.g. ``api=http://127.0.0.1:4010,content=http://127.0.0.1:4011``)
  → :class:`RoutingHttpClient`, for Prism, a staging fake or any local stand-in; with
  no credentials configured the simulator account's credentials are sent there;
* no credentials and no hosts → :class:`SimulatorHttpClient`, the in-process simulator
  (which installs itself with :func:`use_simulator`).

Clients are cached per app and per (account, token, hosts) so connections are reused
and a settings change takes effect on the next call.
"""
from __future__ import annotations

import os

from flask import current_app
from flask_babel import gettext
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from plugins.twilio_channel.settings import Account, load_config
from plugins.twilio_channel.transport import DEFAULT_TIMEOUT, RoutingHttpClient, SimulatorHttpClient, parse_hosts

HOSTS_KEY = "SWITCHBOARD_TWILIO_HOSTS"
OVERRIDE_KEY = "twilio_channel.http_client"
SIMULATOR_KEY = "twilio_channel.simulator_handler"


class CredentialsMissing(RuntimeError):
    """Only one of Account SID and auth token is configured."""


def configured_hosts(app=None) -> str | None:
    """The ``SWITCHBOARD_TWILIO_HOSTS`` value: app config first, then the environment."""
    app = app or current_app
    return app.config.get(HOSTS_KEY) or os.environ.get(HOSTS_KEY) or None


def twilio_client(account: Account | None = None) -> Client:
    """The client for ``account`` (default: the configured one), in the configured Twilio
    region and edge (``Client(region=…, edge=…)``: requests go to
    ``api.<edge>.<region>.twilio.com``)."""
    app = current_app._get_current_object()
    config = load_config()
    account = account or config.account
    if not account.usable:
        raise CredentialsMissing(gettext(
            "Twilio credentials are incomplete: set the Account SID and the auth token or an API key "
            "(or neither, to use the built-in simulator)."))
    hosts = configured_hosts(app)
    override = app.extensions.get(OVERRIDE_KEY)
    key = (account.sid, account.rest_auth, account.mode, hosts, id(override), config.region, config.edge)
    cache = app.extensions.setdefault("twilio_channel.clients", {})
    client = cache.get(key)
    if client is None:
        if override is not None:
            http = override
        elif hosts:
            http = RoutingHttpClient(parse_hosts(hosts))
        elif account.simulator:
            handler = app.extensions.get(SIMULATOR_KEY)
            if handler is None:
                raise CredentialsMissing(gettext("No Twilio credentials are set and the built-in simulator is not "
                                                 "installed."))
            http = SimulatorHttpClient(handler())
        else:
            http = TwilioHttpClient(timeout=DEFAULT_TIMEOUT)
        username, password = account.rest_auth  # an API key authenticates for its account (account_sid)
        client = Client(username, password, account_sid=account.sid, http_client=http, region=config.region,
                        edge=config.edge)
        cache[key] = client
    return client


def use_simulator(app, handler) -> None:
    """Name what answers the simulator account's requests in ``app``.

    ``handler()`` returns the callable a :class:`SimulatorHttpClient` hands each request to.
    The simulator installs itself here (:func:`plugins.twilio_channel.simulator.rest.install`)
    so that the client, which every part of the plugin uses, does not depend on the simulator.
    """
    app.extensions[SIMULATOR_KEY] = handler
    app.extensions.pop("twilio_channel.clients", None)


def use_http_client(app, http_client) -> None:
    """Make every twilio client of ``app`` use this transport (tests, tools, benchmarks).

    E.g. a :class:`~plugins.twilio_channel.testing.RecordingHttpClient` on Prism with a
    ``Prefer`` header that selects an error example.
    """
    app.extensions[OVERRIDE_KEY] = http_client
    app.extensions.pop("twilio_channel.clients", None)


def uses_builtin_simulator(account: Account | None = None) -> bool:
    account = account or load_config().account
    return account.simulator and not configured_hosts()
