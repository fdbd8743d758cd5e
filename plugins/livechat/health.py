"""Health checks for the admin plugins page: settings, token and its scopes, webhook
delivery, sync queue, Agent App sign-in.

The token check asks LiveChat's accounts service about the agent token (``GET /v2/info``)
and names the scopes it lacks (:mod:`.scopes`); the webhook check asks whether LiveChat
sends our license webhooks (``get_license_webhooks_state``: only once the app is installed
on the license). LiveChat's answers are kept for a minute so the admin page stays quick;
what is kept is what LiveChat said (a code and its values), and the sentences are written
for each page in the reader's language, so one admin's language never reaches another.
Token values never appear in a detail.
"""
from __future__ import annotations

import time
from typing import Any, NamedTuple

from flask import current_app
from flask_babel import gettext

from host.plugin_api import db, utcnow, HealthCheck
from plugins.livechat import client, scopes, settings
from plugins.livechat.client import LiveChatError
from plugins.livechat.models import LiveChatSyncItem

CACHE_SECONDS = 60.0
ADMIN_URL = "/plugins/livechat/admin"


class Answer(NamedTuple):
    """What LiveChat answered to one check, before it is put in words."""

    check: str  # "token" or "delivery"
    code: str
    values: dict[str, Any] = {}


def checks() -> list[HealthCheck]:
    config = settings.current()
    results = [HealthCheck(gettext("LiveChat settings"), ok=config.configured, setup=True,
                           detail=gettext("complete") if config.configured else
                           gettext("missing: %(fields)s", fields=", ".join(config.missing)),
                           action=gettext("Connect LiveChat"), action_url=ADMIN_URL)]
    if config.configured:
        results.extend(_in_words(answer) for answer in _remote_answers(config))
        if not config.webhook_secret:
            results.append(HealthCheck(gettext("LiveChat webhooks"), ok=False, setup=True,
                                       detail=gettext("no webhook secret yet: use “Register webhooks” on %(page)s",
                                                      page=ADMIN_URL),
                                       action=gettext("Register webhooks"), action_url=ADMIN_URL))
    results.append(_queue_check())
    secure = bool(current_app.config.get("SWITCHBOARD_SECURE_COOKIES"))
    results.append(HealthCheck(
        gettext("LiveChat Agent App sign-in"), ok=secure, setup=True,
        detail=gettext("a token kept in the widget's memory, and a SameSite=None; Secure; Partitioned session cookie "
                       "where the browser keeps one") if secure else
        gettext("signing in works with a token kept in the widget's memory; serve over HTTPS with "
                "%(setting)s so the widget also stays signed in across reloads where the browser keeps "
                "partitioned cookies (Chromium)", setting="SWITCHBOARD_SECURE_COOKIES=true"),
        action="" if secure else gettext("Serve over HTTPS and set %(setting)s",
                                         setting="SWITCHBOARD_SECURE_COOKIES=true")))
    return results


def _remote_answers(config) -> list[Answer]:
    cache = current_app.extensions.setdefault("livechat.health", {})
    key = (config.agent_token, config.client_id)
    cached = cache.get(key)
    if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    token = _ask_accounts(config)
    found = [token] + ([_ask_delivery(config)] if token.code == "valid" else [])
    cache.clear()
    cache[key] = (time.monotonic(), found)
    return found


def _ask_delivery(config) -> Answer:
    try:
        enabled = client.api_for(config).license_webhooks_enabled(config.client_id)
    except LiveChatError as exc:
        return Answer("delivery", "error", {"error": str(exc)})
    return Answer("delivery", "sends" if enabled else "sends_none")


def _ask_accounts(config) -> Answer:
    token = config.agent_token
    if token.startswith("Basic "):
        try:
            client.api_for(config).list_webhooks(config.client_id)
        except LiveChatError as exc:
            return Answer("token", "error", {"error": str(exc)})
        return Answer("token", "personal")
    try:
        with client.http_client(timeout=5) as http:
            response = http.get(f"{client.accounts_url()}/v2/info",
                                headers={"Authorization": token if token.startswith("Bearer ") else f"Bearer {token}"})
    except Exception as exc:  # noqa: BLE001 - any transport failure is "unreachable"
        return Answer("token", "unreachable", {"error": type(exc).__name__})
    if response.status_code in (401, 403):
        return Answer("token", "refused")
    if not response.is_success:
        return Answer("token", "http", {"status": response.status_code})
    info = response.json() if response.content else {}
    problems = {
        "other_client": bool(info.get("client_id") and info["client_id"] != config.client_id),
        "other_organization": bool(info.get("organization_id") and info["organization_id"] != config.organization_id),
        "missing_scopes": scopes.missing(info.get("scope")) if info.get("scope") else [],
    }
    if any(problems.values()):
        return Answer("token", "problems", problems)
    return Answer("token", "valid", {"hours": int(info.get("expires_in") or 0) // 3600})


def _in_words(answer: Answer) -> HealthCheck:
    """One cached answer as a check, in the language of the page being drawn."""
    values = answer.values
    if answer.check == "delivery":
        name = gettext("LiveChat webhook delivery")
        if answer.code == "error":
            return HealthCheck(name, ok=False, detail=values["error"])
        if answer.code == "sends":
            return HealthCheck(name, ok=True, setup=True, detail=gettext("LiveChat sends the webhooks to this license"))
        return HealthCheck(name, ok=False, setup=True,
                           detail=gettext("LiveChat sends none yet: install the app on your license (its Private "
                                          "Installation tab in the Developer Console, or the Marketplace)"),
                           action=gettext("Install the app on your LiveChat license"))
    name = gettext("LiveChat agent token")
    if answer.code == "valid":
        hours = values["hours"]
        return HealthCheck(name, ok=True, detail=gettext("valid, expires in %(hours)s h", hours=hours) if hours
                           else gettext("valid"))
    if answer.code == "problems":
        problems = []
        if values["other_client"]:
            problems.append(gettext("issued to another client id"))
        if values["other_organization"]:
            problems.append(gettext("for another organization"))
        if values["missing_scopes"]:
            problems.append(gettext("missing scopes %(scopes)s (tick them in the app's Authorization block, then "
                                    "Connect LiveChat again)", scopes=", ".join(values["missing_scopes"])))
        return HealthCheck(name, ok=False, detail="; ".join(problems), action=gettext("Connect LiveChat"),
                           action_url=ADMIN_URL)
    detail = {
        "error": lambda: values["error"],
        "personal": lambda: gettext("a personal access token works for agent calls, but customer identities need an "
                                    "OAuth token (scope %(scope)s)", scope="customers:own"),
        "unreachable": lambda: gettext("LiveChat unreachable (%(error)s)", error=values["error"]),
        "refused": lambda: gettext("LiveChat refuses the agent token (expired or revoked)"),
        "http": lambda: gettext("LiveChat answered HTTP %(status)s", status=values["status"]),
    }[answer.code]()
    return HealthCheck(name, ok=False, detail=detail)


def _queue_check() -> HealthCheck:
    pending = db.session.execute(db.select(db.func.count(LiveChatSyncItem.id))
                                 .where(LiveChatSyncItem.state == "pending")).scalar() or 0
    failed = db.session.execute(db.select(db.func.count(LiveChatSyncItem.id))
                                .where(LiveChatSyncItem.state == "failed")).scalar() or 0
    oldest = db.session.execute(db.select(db.func.min(LiveChatSyncItem.created_at))
                                .where(LiveChatSyncItem.state == "pending")).scalar()
    late = oldest is not None and (utcnow() - oldest).total_seconds() > 600
    detail = gettext("%(pending)s waiting, %(failed)s failed", pending=pending, failed=failed)
    if late:
        detail = gettext("%(counts)s; the oldest has waited %(minutes)s min", counts=detail,
                         minutes=int((utcnow() - oldest).total_seconds() // 60))
    return HealthCheck(gettext("LiveChat sync queue"), ok=failed == 0 and not late, detail=detail)
