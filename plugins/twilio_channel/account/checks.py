"""What an admin needs to connect Twilio: the webhook URLs, a credentials test, health.

All answers are sentences an admin can act on; no secret is ever part of them.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import requests
from flask_babel import gettext
from twilio.base.exceptions import TwilioException, TwilioRestException

from host.plugin_api import settings as host_settings, HealthCheck

from plugins.twilio_channel.client import CredentialsMissing, configured_hosts, twilio_client
from plugins.twilio_channel.settings import NAME, load_config
from plugins.twilio_channel.transport import parse_hosts

LOCAL_HOSTS = ("localhost", "127.0.0.1", "0.0.0.0", "::1")


def webhook_urls() -> dict:
    config = load_config()
    base = config.public_url
    warnings = []
    host = urlsplit(base).hostname or ""
    if host in LOCAL_HOSTS or host.endswith(".local"):
        warnings.append(gettext("SWITCHBOARD_PUBLIC_URL is %(url)s: Twilio cannot reach that address. Set it to the "
                                "public https address of this server (or a tunnel) before pasting these URLs.", url=base))
    elif not base.startswith("https://"):
        warnings.append(gettext("SWITCHBOARD_PUBLIC_URL is not https; Twilio recommends https webhooks."))
    if config.account.mode == "live" and not config.account.verifies_webhooks:
        warnings.append(UNVERIFIED)
    return {"mode": config.account.mode, "messaging": base + "/webhooks/twilio/messaging",
            "status": base + "/webhooks/twilio/status", "voice": base + "/webhooks/twilio/voice",
            "voice_status": base + "/webhooks/twilio/voice/status",
            "voice_outbound": base + "/webhooks/twilio/voice/outbound", "warnings": warnings}


def check_credentials() -> dict:
    """Fetch the account with the configured credentials and say what happened."""
    account = load_config().account
    result = {"ok": False, "mode": account.mode, "account_sid": account.sid, "friendly_name": None,
              "status": None}
    try:
        client = twilio_client(account)
        fetched = client.api.v2010.accounts(account.sid).fetch()
    except CredentialsMissing as exc:
        return {**result, "message": str(exc)}
    except TwilioRestException as exc:
        if exc.status in (401, 403, 404):
            text = ("Twilio refused these credentials. Check that the Account SID and the auth token "
                    "belong together (Twilio console → Account info)")
        else:
            text = f"Twilio answered with an error: {exc.msg}"
        return {**result, "message": f"{text} (HTTP {exc.status}, Twilio error {exc.code})."}
    except requests.RequestException as exc:
        return {**result, "message": f"Twilio could not be reached ({type(exc).__name__}). Check the "
                                     "server's internet access or SWITCHBOARD_TWILIO_HOSTS."}
    except (TwilioException, ValueError) as exc:
        return {**result, "message": f"Twilio is not set up correctly: {exc}"}
    where = " (the built-in simulator: no real messages are sent)" if account.simulator else ""
    subaccounts = [check_subaccount(sid) for sid in load_config().subaccounts]
    message = f"Connected to Twilio account “{fetched.friendly_name}” ({fetched.status}){where}."
    message = " ".join([message, *(s["message"] for s in subaccounts)])
    return {**result, "ok": all(s["ok"] for s in subaccounts), "friendly_name": fetched.friendly_name,
            "status": fetched.status, "message": message, "subaccounts": subaccounts}


def check_subaccount(sid: str) -> dict:
    """Reach a listed subaccount with the parent's credentials and learn its numbers."""
    from plugins.twilio_channel.account.subaccounts import AccountUnavailable, numbers_of, subaccount

    try:
        numbers = numbers_of(subaccount(sid, fresh=True))
    except (AccountUnavailable, TwilioException, requests.RequestException, ValueError) as exc:
        return {"account_sid": sid, "ok": False, "numbers": [],
                "message": f"Subaccount {sid} could not be reached with the parent's credentials ({exc}). "
                           "Check that it belongs to this account and is active."}
    listed = ", ".join(numbers) if numbers else "no phone numbers yet"
    return {"account_sid": sid, "ok": True, "numbers": numbers,
            "message": f"Subaccount {sid}: {listed}."}


UNVERIFIED = ("Connected with an API key only: Twilio signs incoming webhooks with the account's auth token, "
              "so incoming messages and calls can't be verified — and are refused — until the auth token is entered.")


def health_checks() -> list[HealthCheck]:
    config = load_config()
    account = config.account
    checks = []
    connect = _connect_url()
    if account.simulator:
        checks.append(HealthCheck("Twilio account", False, setup=True,
                                  detail="Not connected yet: the built-in simulator plays Twilio, so nothing "
                                         "reaches real phones (play the customer on the Customer phone).",
                                  action="Connect Twilio", action_url=connect))
    elif account.mode == "incomplete":
        checks.append(HealthCheck("Twilio credentials", False,
                                  "Only one of Account SID and auth token is set; webhooks are refused and "
                                  "nothing can be sent until both are set.", action="Connect Twilio",
                                  action_url=connect))
    else:
        checks.append(HealthCheck("Twilio credentials", True,
                                  f"Account {account.sid[:6]}…{account.sid[-4:]} from {account.source}."))
        if not account.verifies_webhooks:
            checks.append(HealthCheck("Twilio webhook signatures", False, setup=True,
                                      detail=UNVERIFIED, action="Enter the auth token", action_url=connect))
    hosts = configured_hosts()
    if hosts:
        try:
            parsed = parse_hosts(hosts)
            checks.append(HealthCheck("Twilio hosts", True,
                                      "Twilio traffic is routed to " + ", ".join(f"{k}={v}" for k, v in parsed.items())))
        except ValueError as exc:
            checks.append(HealthCheck("Twilio hosts", False, f"SWITCHBOARD_TWILIO_HOSTS is invalid: {exc}"))
    problems = host_settings.problems(NAME)
    if problems:
        checks.append(HealthCheck("Twilio settings", False, "; ".join(problems), setup=True,
                                  action="Fix the settings", action_url=_settings_url()))
    if account.simulator:
        return checks
    checks.append(public_url_check(config))
    if not (config.numbers or config.whatsapp_senders or config.messaging_service_sids or config.default_sender):
        checks.append(HealthCheck("Twilio senders", False, setup=True,
                                  detail="No number, WhatsApp sender or Messaging Service is picked, so agents "
                                         "cannot start conversations.",
                                  action="Pick numbers", action_url=connect))
    else:
        checks.append(webhook_check(config))
    checks.append(voice_check(config))
    return checks


def _url(endpoint: str, fallback: str, **values) -> str:
    from flask import has_request_context, url_for

    return url_for(endpoint, **values) if has_request_context() else fallback  # CLI and workers: the plain path


def _connect_url() -> str:
    return _url("twilio_channel_pages.admin", "/twilio/admin") + "#connect"


def _settings_url() -> str:
    return _url("admin.plugin_settings", f"/admin/plugins/{NAME}/settings", name=NAME)


def public_url_check(config) -> HealthCheck:
    """Twilio must reach this server: a public https address (webhook signatures use it too)."""
    from host.plugin_api.web import public_https_url

    try:
        public_https_url(config.public_url)
    except ValueError as exc:
        return HealthCheck("Public address", False, setup=True,
                           detail=f"SWITCHBOARD_PUBLIC_URL is {config.public_url}, which Twilio can't call: {exc}.",
                           action="Set SWITCHBOARD_PUBLIC_URL to this server's public https address and restart")
    return HealthCheck("Public address", True, f"Twilio calls {config.public_url}.")


def webhook_check(config) -> HealthCheck:
    """Whether the picked numbers and services send their messages here (from the last fetch)."""
    from plugins.twilio_channel.account.inventory import stored
    from plugins.twilio_channel.account.webhook_setup import elsewhere

    data, fetched_at = stored()
    if data is None:
        return HealthCheck("Twilio webhooks", False, setup=True,
                           detail="Not checked yet: fetch the numbers from Twilio to see where their webhooks point.",
                           action="Fetch from Twilio", action_url=_connect_url())
    wrong = elsewhere(config, data)
    if wrong:
        return HealthCheck("Twilio webhooks", False, setup=True,
                           detail=f"{', '.join(wrong)} send{'s' if len(wrong) == 1 else ''} messages or calls "
                                  "elsewhere, so they never reach Switchboard.",
                           action="Point them here", action_url=_connect_url())
    return HealthCheck("Twilio webhooks", True, "The picked numbers send their messages and calls here.")


def voice_check(config) -> HealthCheck:
    from plugins.twilio_channel.settings import missing_settings

    missing = missing_settings(config, "voice")
    if missing:
        names = [host_settings.label(NAME, name) for name in missing]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
        return HealthCheck("Calls in the browser", False, setup=True,
                           detail=f"{listed} {'is' if len(names) == 1 else 'are'} not set yet, "
                                  "so agents can't take calls in the console.",
                           action="Set up calls", action_url=_connect_url())
    return HealthCheck("Calls in the browser", True, "API key and TwiML App are set.")
