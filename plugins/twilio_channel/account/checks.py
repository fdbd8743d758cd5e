"""What an admin needs to connect Twilio: the webhook URLs, a credentials test, health.

All answers are sentences an admin can act on; no secret is ever part of them.
"""
from __future__ import annotations

from urllib.parse import urlsplit

import requests
from flask_babel import gettext, lazy_gettext, ngettext
from twilio.base.exceptions import TwilioException, TwilioRestException

from host.plugin_api import settings as host_settings, HealthCheck

from plugins.twilio_channel.client import CredentialsMissing, configured_hosts, twilio_client
from plugins.twilio_channel.settings import NAME, load_config
from plugins.twilio_channel.transport import parse_hosts
from plugins.twilio_channel.wording import and_list

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
        warnings.append(str(UNVERIFIED))
    return {"mode": config.account.mode, "messaging": base + "/webhooks/twilio/messaging",
            "status": base + "/webhooks/twilio/status", "voice": base + "/webhooks/twilio/voice",
            "voice_status": base + "/webhooks/twilio/voice/status",
            "voice_outbound": base + "/webhooks/twilio/voice/outbound", "warnings": warnings}


def check_credentials() -> dict:
    """Fetch the account with the configured credentials and say what happened.

    ``ok`` and ``status`` (Twilio's own word: active, suspended, closed) are for code; the
    ``message`` is a sentence in the request's language, made now, for the person who asked.
    """
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
            text = gettext("Twilio refused these credentials. Check that the Account SID and the auth token "
                           "belong together (Twilio console → Account info) (HTTP %(status)s, Twilio error "
                           "%(code)s).", status=exc.status, code=exc.code)
        else:
            text = gettext("Twilio answered with an error: %(error)s (HTTP %(status)s, Twilio error %(code)s).",
                           error=exc.msg, status=exc.status, code=exc.code)
        return {**result, "message": text}
    except requests.RequestException as exc:
        return {**result, "message": gettext("Twilio could not be reached (%(error)s). Check the server's internet "
                                             "access or SWITCHBOARD_TWILIO_HOSTS.", error=type(exc).__name__)}
    except (TwilioException, ValueError) as exc:
        return {**result, "message": gettext("Twilio is not set up correctly: %(error)s", error=exc)}
    subaccounts = [check_subaccount(sid) for sid in load_config().subaccounts]
    status = account_status(fetched.status)
    if account.simulator:
        message = gettext("Connected to Twilio account “%(name)s” (%(status)s) (the built-in simulator: no real "
                          "messages are sent).", name=fetched.friendly_name, status=status)
    else:
        message = gettext("Connected to Twilio account “%(name)s” (%(status)s).", name=fetched.friendly_name,
                          status=status)
    message = " ".join([message, *(s["message"] for s in subaccounts)])
    return {**result, "ok": all(s["ok"] for s in subaccounts), "friendly_name": fetched.friendly_name,
            "status": fetched.status, "message": message, "subaccounts": subaccounts}


def account_status(status) -> str:
    """Twilio's account status (active, suspended, closed) in the request's language."""
    words = {"active": gettext("active"), "suspended": gettext("suspended"), "closed": gettext("closed")}
    return words.get(str(status or ""), str(status or ""))


def check_subaccount(sid: str) -> dict:
    """Reach a listed subaccount with the parent's credentials and learn its numbers."""
    from plugins.twilio_channel.account.subaccounts import AccountUnavailable, numbers_of, subaccount

    try:
        numbers = numbers_of(subaccount(sid, fresh=True))
    except (AccountUnavailable, TwilioException, requests.RequestException, ValueError) as exc:
        return {"account_sid": sid, "ok": False, "numbers": [],
                "message": gettext("Subaccount %(sid)s could not be reached with the parent's credentials "
                                   "(%(error)s). Check that it belongs to this account and is active.",
                                   sid=sid, error=exc)}
    if not numbers:
        return {"account_sid": sid, "ok": True, "numbers": numbers,
                "message": gettext("Subaccount %(sid)s: no phone numbers yet.", sid=sid)}
    return {"account_sid": sid, "ok": True, "numbers": numbers,
            "message": gettext("Subaccount %(sid)s: %(numbers)s.", sid=sid, numbers=", ".join(numbers))}


# Made into the request's language where it is shown (a lazy string, never a stored sentence).
UNVERIFIED = lazy_gettext("Connected with an API key only: Twilio signs incoming webhooks with the account's auth "
                          "token, so incoming messages and calls can't be verified — and are refused — until the "
                          "auth token is entered.")


def health_checks() -> list[HealthCheck]:
    """The plugin's lines on the plugins page, in the request's language (made per request,
    never stored; ``ok`` and ``setup`` are what code reads)."""
    config = load_config()
    account = config.account
    checks = []
    connect = _connect_url()
    if account.simulator:
        checks.append(HealthCheck(gettext("Twilio account"), False, setup=True,
                                  detail=gettext("Not connected yet: the built-in simulator plays Twilio, so nothing "
                                                 "reaches real phones (play the customer on the Customer phone)."),
                                  action=gettext("Connect Twilio"), action_url=connect))
    elif account.mode == "incomplete":
        checks.append(HealthCheck(gettext("Twilio credentials"), False,
                                  gettext("Only one of Account SID and auth token is set; webhooks are refused and "
                                          "nothing can be sent until both are set."), action=gettext("Connect Twilio"),
                                  action_url=connect))
    else:
        sources = {"environment": gettext("the environment"), "settings": gettext("the settings")}
        shortened = f"{account.sid[:6]}…{account.sid[-4:]}"
        checks.append(HealthCheck(gettext("Twilio credentials"), True,
                                  gettext("Account %(sid)s from %(source)s.", sid=shortened,
                                          source=sources.get(account.source, account.source))))
        if not account.verifies_webhooks:
            checks.append(HealthCheck(gettext("Twilio webhook signatures"), False, setup=True,
                                      detail=str(UNVERIFIED), action=gettext("Enter the auth token"),
                                      action_url=connect))
    hosts = configured_hosts()
    if hosts:
        try:
            parsed = parse_hosts(hosts)
            checks.append(HealthCheck(gettext("Twilio hosts"), True, gettext(
                "Twilio traffic is routed to %(hosts)s", hosts=", ".join(f"{k}={v}" for k, v in parsed.items()))))
        except ValueError as exc:
            checks.append(HealthCheck(gettext("Twilio hosts"), False,
                                      gettext("SWITCHBOARD_TWILIO_HOSTS is invalid: %(error)s", error=exc)))
    problems = host_settings.problems(NAME)
    if problems:
        checks.append(HealthCheck(gettext("Twilio settings"), False, "; ".join(problems), setup=True,
                                  action=gettext("Fix the settings"), action_url=_settings_url()))
    if account.simulator:
        return checks
    checks.append(public_url_check(config))
    if not (config.numbers or config.whatsapp_senders or config.messaging_service_sids or config.default_sender):
        checks.append(HealthCheck(gettext("Twilio senders"), False, setup=True,
                                  detail=gettext("No number, WhatsApp sender or Messaging Service is picked, so "
                                                 "agents cannot start conversations."),
                                  action=gettext("Pick numbers"), action_url=connect))
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
        return HealthCheck(gettext("Public address"), False, setup=True,
                           detail=gettext("SWITCHBOARD_PUBLIC_URL is %(url)s, which Twilio can't call: %(error)s.",
                                          url=config.public_url, error=exc),
                           action=gettext("Set SWITCHBOARD_PUBLIC_URL to this server's public https address and "
                                          "restart"))
    return HealthCheck(gettext("Public address"), True, gettext("Twilio calls %(url)s.", url=config.public_url))


def webhook_check(config) -> HealthCheck:
    """Whether the picked numbers and services send their messages here (from the last fetch)."""
    from plugins.twilio_channel.account.inventory import stored
    from plugins.twilio_channel.account.webhook_setup import elsewhere

    data, fetched_at = stored()
    if data is None:
        return HealthCheck(gettext("Twilio webhooks"), False, setup=True,
                           detail=gettext("Not checked yet: fetch the numbers from Twilio to see where their "
                                          "webhooks point."),
                           action=gettext("Fetch from Twilio"), action_url=_connect_url())
    wrong = elsewhere(config, data)
    if wrong:
        return HealthCheck(gettext("Twilio webhooks"), False, setup=True,
                           detail=ngettext("%(names)s sends messages or calls elsewhere, so they never reach "
                                           "Switchboard.",
                                           "%(names)s send messages or calls elsewhere, so they never reach "
                                           "Switchboard.", len(wrong), names=and_list(wrong)),
                           action=gettext("Point them here"), action_url=_connect_url())
    return HealthCheck(gettext("Twilio webhooks"), True,
                       gettext("The picked numbers send their messages and calls here."))


def voice_check(config) -> HealthCheck:
    from plugins.twilio_channel.settings import missing_settings

    missing = missing_settings(config, "voice")
    if missing:
        names = [str(host_settings.label(NAME, name)) for name in missing]
        return HealthCheck(gettext("Calls in the browser"), False, setup=True,
                           detail=ngettext("%(names)s is not set yet, so agents can't take calls in the console.",
                                           "%(names)s are not set yet, so agents can't take calls in the console.",
                                           len(names), names=and_list(names)),
                           action=gettext("Set up calls"), action_url=_connect_url())
    return HealthCheck(gettext("Calls in the browser"), True, gettext("API key and TwiML App are set."))
