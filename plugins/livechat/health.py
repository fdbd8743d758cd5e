"""Health checks for the admin plugins page: settings, token and its scopes, webhook
delivery, sync queue, Agent App sign-in.

The token check asks LiveChat's accounts service about the agent token (``GET /v2/info``)
and names the scopes it lacks (:mod:`.scopes`); the webhook check asks whether LiveChat
sends our license webhooks (``get_license_webhooks_state``: only once the app is installed
on the license). Answers are kept for a minute so the admin page stays quick. Token values
never appear in a detail.
"""
from __future__ import annotations

import time

from flask import current_app

from host.plugin_api import db, utcnow, HealthCheck
from plugins.livechat import client, scopes, settings
from plugins.livechat.client import LiveChatError
from plugins.livechat.models import LiveChatSyncItem

CACHE_SECONDS = 60.0


def checks() -> list[HealthCheck]:
    config = settings.current()
    results = [HealthCheck("LiveChat settings", ok=config.configured, setup=True,
                           detail="complete" if config.configured else "missing: " + ", ".join(config.missing),
                           action="Connect LiveChat", action_url="/plugins/livechat/admin")]
    if config.configured:
        results.extend(_remote_checks(config))
        if not config.webhook_secret:
            results.append(HealthCheck("LiveChat webhooks", ok=False, setup=True,
                                       detail="no webhook secret yet: use 'Register webhooks' on /plugins/livechat/admin",
                                       action="Register webhooks", action_url="/plugins/livechat/admin"))
    results.append(_queue_check())
    secure = bool(current_app.config.get("SWITCHBOARD_SECURE_COOKIES"))
    results.append(HealthCheck("LiveChat Agent App sign-in", ok=secure, setup=True,
                               detail="a token kept in the widget's memory, and a SameSite=None; Secure; Partitioned "
                                      "session cookie where the browser keeps one" if secure else
                               "signing in works with a token kept in the widget's memory; serve over HTTPS with "
                               "SWITCHBOARD_SECURE_COOKIES=true so the widget also stays signed in across reloads "
                               "where the browser keeps partitioned cookies (Chromium)",
                               action="" if secure else "Serve over HTTPS and set SWITCHBOARD_SECURE_COOKIES=true"))
    return results


def _remote_checks(config) -> list[HealthCheck]:
    cache = current_app.extensions.setdefault("livechat.health", {})
    key = (config.agent_token, config.client_id)
    cached = cache.get(key)
    if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    token = _ask_accounts(config)
    found = [token] + ([_delivery_check(config)] if token.ok else [])
    cache.clear()
    cache[key] = (time.monotonic(), found)
    return found


def _delivery_check(config) -> HealthCheck:
    try:
        enabled = client.api_for(config).license_webhooks_enabled(config.client_id)
    except LiveChatError as exc:
        return HealthCheck("LiveChat webhook delivery", ok=False, detail=str(exc))
    return HealthCheck("LiveChat webhook delivery", ok=enabled, setup=True,
                       detail="LiveChat sends the webhooks to this license" if enabled else
                       "LiveChat sends none yet: install the app on your license (its Private Installation tab in "
                       "the Developer Console, or the Marketplace)",
                       action="" if enabled else "Install the app on your LiveChat license")


def _ask_accounts(config) -> HealthCheck:
    token = config.agent_token
    if token.startswith("Basic "):
        try:
            client.api_for(config).list_webhooks(config.client_id)
        except LiveChatError as exc:
            return HealthCheck("LiveChat agent token", ok=False, detail=str(exc))
        return HealthCheck("LiveChat agent token", ok=False,
                           detail="a personal access token works for agent calls, but customer identities need "
                                  "an OAuth token (scope customers:own)")
    try:
        with client.http_client(timeout=5) as http:
            response = http.get(f"{client.accounts_url()}/v2/info",
                                headers={"Authorization": token if token.startswith("Bearer ") else f"Bearer {token}"})
    except Exception as exc:  # noqa: BLE001 - any transport failure is "unreachable"
        return HealthCheck("LiveChat agent token", ok=False, detail=f"LiveChat unreachable ({type(exc).__name__})")
    if response.status_code in (401, 403):
        return HealthCheck("LiveChat agent token", ok=False, detail="LiveChat refuses the agent token (expired or revoked)")
    if not response.is_success:
        return HealthCheck("LiveChat agent token", ok=False, detail=f"LiveChat answered HTTP {response.status_code}")
    info = response.json() if response.content else {}
    problems = []
    if info.get("client_id") and info["client_id"] != config.client_id:
        problems.append("issued to another client id")
    if info.get("organization_id") and info["organization_id"] != config.organization_id:
        problems.append("for another organization")
    missing = scopes.missing(info.get("scope")) if info.get("scope") else []
    if missing:
        problems.append("missing scopes " + ", ".join(missing) + " (tick them in the app's Authorization block, "
                        "then Connect LiveChat again)")
    hours = int(info.get("expires_in") or 0) // 3600
    detail = "; ".join(problems) if problems else f"valid{f', expires in {hours} h' if hours else ''}"
    return HealthCheck("LiveChat agent token", ok=not problems, detail=detail,
                       action="Connect LiveChat" if problems else "", action_url="/plugins/livechat/admin" if problems else "")


def _queue_check() -> HealthCheck:
    pending = db.session.execute(db.select(db.func.count(LiveChatSyncItem.id))
                                 .where(LiveChatSyncItem.state == "pending")).scalar() or 0
    failed = db.session.execute(db.select(db.func.count(LiveChatSyncItem.id))
                                .where(LiveChatSyncItem.state == "failed")).scalar() or 0
    oldest = db.session.execute(db.select(db.func.min(LiveChatSyncItem.created_at))
                                .where(LiveChatSyncItem.state == "pending")).scalar()
    late = oldest is not None and (utcnow() - oldest).total_seconds() > 600
    detail = f"{pending} waiting, {failed} failed"
    if late:
        detail += f"; the oldest has waited {int((utcnow() - oldest).total_seconds() // 60)} min"
    return HealthCheck("LiveChat sync queue", ok=failed == 0 and not late, detail=detail)
