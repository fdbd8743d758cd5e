"""What an admin needs to connect Twilio: the webhook URLs, a credentials test, health.

All answers are sentences an admin can act on; no secret is ever part of them.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException

from host import settings as host_settings
from host.contracts import HealthCheck

from .client import CredentialsMissing, configured_hosts, twilio_client
from .settings import NAME, load_config
from .transport import parse_hosts

LOCAL_HOSTS = ("localhost", "127.0.0.1", "0.0.0.0", "::1")


def webhook_urls() -> dict:
    config = load_config()
    base = config.public_url
    warnings = []
    host = urlsplit(base).hostname or ""
    if host in LOCAL_HOSTS or host.endswith(".local"):
        warnings.append(f"SWITCHBOARD_PUBLIC_URL is {base}: Twilio cannot reach that address. Set it to the "
                        "public https address of this server (or a tunnel) before pasting these URLs.")
    elif not base.startswith("https://"):
        warnings.append("SWITCHBOARD_PUBLIC_URL is not https; Twilio recommends https webhooks.")
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
    from .accounts import AccountUnavailable, numbers_of, subaccount

    try:
        numbers = numbers_of(subaccount(sid, fresh=True))
    except (AccountUnavailable, TwilioException, requests.RequestException, ValueError) as exc:
        return {"account_sid": sid, "ok": False, "numbers": [],
                "message": f"Subaccount {sid} could not be reached with the parent's credentials ({exc}). "
                           "Check that it belongs to this account and is active."}
    listed = ", ".join(numbers) if numbers else "no phone numbers yet"
    return {"account_sid": sid, "ok": True, "numbers": numbers,
            "message": f"Subaccount {sid}: {listed}."}


def health_checks() -> list[HealthCheck]:
    config = load_config()
    account = config.account
    checks = []
    if account.simulator:
        checks.append(HealthCheck("Twilio credentials", True,
                                  "Simulator mode: no Twilio credentials are set, so messages go to the "
                                  "built-in simulator (customer phone at /simulator/phone)."))
    elif account.mode == "incomplete":
        checks.append(HealthCheck("Twilio credentials", False,
                                  "Only one of Account SID and auth token is set; webhooks are refused and "
                                  "nothing can be sent until both are set."))
    else:
        checks.append(HealthCheck("Twilio credentials", True,
                                  f"Account {account.sid[:6]}…{account.sid[-4:]} from {account.source}."))
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
        checks.append(HealthCheck("Twilio settings", False, "; ".join(problems)))
    if not account.simulator and not (config.numbers or config.whatsapp_senders or config.messaging_service_sids
                                      or config.default_sender):
        checks.append(HealthCheck("Twilio senders", False,
                                  "No number, WhatsApp sender or Messaging Service is configured, so agents "
                                  "cannot start conversations."))
    return checks
