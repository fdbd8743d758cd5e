"""The sign-in rate limit (Flask-Limiter): attempts per client address, shared through Redis.

With ``SWITCHBOARD_REDIS_URL`` every process counts in Redis. When Redis can't be
reached, sign-in keeps working: Flask-Limiter's in-memory fallback counts in this
process's memory until Redis answers again (so with N processes a client gets up to N
times the limit meanwhile), and ``/healthz`` says so.
"""
from __future__ import annotations

from flask_babel import gettext
from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits.storage import MemoryStorage

REDIS_TIMEOUT = 1.0  # seconds: an unreachable Redis must not hold a sign-in for long


def install(app) -> Limiter:
    redis_url = app.config.get("SWITCHBOARD_REDIS_URL")
    options = {"storage_uri": "memory://"}
    if redis_url:
        options = {"storage_uri": redis_url, "in_memory_fallback_enabled": True,
                   "storage_options": {"socket_connect_timeout": REDIS_TIMEOUT, "socket_timeout": REDIS_TIMEOUT}}
    limiter = Limiter(get_remote_address, app=app, default_limits=[], headers_enabled=True, **options)
    # One count per client for every password form: a second form is no second budget.
    limit = limiter.shared_limit(app.config["SWITCHBOARD_LOGIN_RATE_LIMIT"], scope="sign-in", methods=["POST"],
                                 error_message=lambda: gettext("Too many sign-in attempts. Wait a minute and try again."))
    for endpoint, view in list(app.view_functions.items()):
        if endpoint == "auth.login" or getattr(view, "switchboard_sign_in_attempt", False):
            app.view_functions[endpoint] = limit(view)
    app.extensions["switchboard"].limiter = limiter
    return limiter


def counted(view):
    """Mark a view that checks a password (``host.auth.agent_for_password``): its POSTs
    count against the same sign-in limit as the sign-in form's."""
    view.switchboard_sign_in_attempt = True
    return view


def health() -> dict:
    """Where sign-in attempts are counted. Never fails the health check: sign-in works either way."""
    storage = current_app.extensions["switchboard"].limiter.storage
    if isinstance(storage, MemoryStorage):
        return {"ok": True, "detail": "counted in this process's memory (no Redis configured)"}
    if storage.check():
        return {"ok": True, "detail": "counted in Redis, shared by every process"}
    return {"ok": True, "fallback": True,
            "detail": "Redis unreachable: sign-in attempts are counted in this process's memory until it is back"}
