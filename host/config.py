"""Configuration: defaults, then ``SWITCHBOARD_*`` environment variables, then overrides."""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

PREFIX = "SWITCHBOARD_"

DEFAULTS = {
    "DATABASE_URL": None,          # None → SQLite file in the instance folder
    "REDIS_URL": None,             # None → in-process realtime
    "REDIS_CHANNEL": "flask-socketio",  # pub/sub channel; separate deployments sharing a Redis need their own
    "SECRET_KEY": None,            # None → generated once, kept in the instance folder
    "PUBLIC_URL": None,            # externally visible base URL; webhooks are verified against it
    "PORT": 5000,
    "REQUEST_BODY_TIMEOUT": 10.0,  # serve --production: seconds for each 64 KiB of a request body to arrive
    "HOST": "127.0.0.1",
    "OUTBOX_WORKER": True,         # run the outbox sender thread in this process
    "OUTBOX_POLL_SECONDS": 1.0,
    "OUTBOX_CLAIM_SECONDS": 60,    # a claim older than this is taken over (its process died)
    "INBOX_WORKER": True,          # process recorded webhooks in this process (with the outbox worker)
    "INBOX_POLL_SECONDS": 0.05,    # how often an idle inbox worker looks for events other processes recorded
    "INBOX_GATHER_SECONDS": 0.05,  # a busy inbox worker starts a pass at most this often, taking what came meanwhile
    "INBOX_CLAIM_SECONDS": 60,     # a claimed batch older than this is taken over (its process died)
    "INBOX_SYNC": False,           # process each webhook's event in its own request, after the commit (tests)
    "INBOX_MAX_AGE_SECONDS": 60,   # /healthz answers 503 while the oldest unprocessed event is older
    "INBOX_KEEP_DAYS": 7,          # processed events are kept this long to absorb re-deliveries
    "PLUGINS": None,               # comma list restricting which entry points load (tests)
    "ESSENTIAL_PLUGINS": "host.defaults,host.realtime",
    "DEFAULT_REGION": "US",        # phone numbers without a country code
    "SECURE_COOKIES": False,       # SameSite=None; Secure cookies for the framed widget
    "FRAME_ANCESTORS": "'self'",
    "LOGIN_RATE_LIMIT": "10 per minute",
    "TRUSTED_PROXIES": 0,          # reverse proxies in front whose X-Forwarded-For/-Proto are believed
    "ACCESS_CHECK_SECONDS": 1.0,   # how often open Socket.IO connections are re-checked (0: never)
    # Set by the commands, not by hand: `switchboard realtime` serves Socket.IO on gevent,
    # `serve --production` only emits (through Redis) and leaves connections to it.
    "SOCKETIO_ASYNC_MODE": "threading",
    "SOCKETIO_EMIT_ONLY": False,
}

REMEMBER_FOR = timedelta(days=30)  # "keep me signed in"; as long as an unused sign-in lasts (host.credentials)

_BOOLS = {"OUTBOX_WORKER", "SECURE_COOKIES", "INBOX_WORKER", "INBOX_SYNC", "SOCKETIO_EMIT_ONLY"}


def _coerce(key: str, value):
    if key in _BOOLS and isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if key in ("PORT", "TRUSTED_PROXIES"):
        return int(value)
    if key in ("OUTBOX_POLL_SECONDS", "OUTBOX_CLAIM_SECONDS", "REQUEST_BODY_TIMEOUT", "ACCESS_CHECK_SECONDS",
               "INBOX_POLL_SECONDS", "INBOX_GATHER_SECONDS", "INBOX_CLAIM_SECONDS", "INBOX_MAX_AGE_SECONDS", "INBOX_KEEP_DAYS"):
        return float(value)
    return value


def from_env(key: str):
    """One setting from the environment (or its default), without building a config."""
    env = os.environ.get(PREFIX + key)
    return _coerce(key, env if env not in (None, "") else DEFAULTS[key])


def load(instance_path: str, overrides: dict | None = None) -> dict:
    """Build the Flask config mapping; keys keep their ``SWITCHBOARD_`` prefix."""
    values = dict(DEFAULTS)
    for key in DEFAULTS:
        env = os.environ.get(PREFIX + key)
        if env not in (None, ""):
            values[key] = env
    for key, value in (overrides or {}).items():
        values[key.removeprefix(PREFIX)] = value
    values = {k: _coerce(k, v) for k, v in values.items()}

    Path(instance_path).mkdir(parents=True, exist_ok=True)
    if not values["DATABASE_URL"]:
        values["DATABASE_URL"] = "sqlite:///" + str(Path(instance_path) / "switchboard.db")
    if not values["SECRET_KEY"]:
        values["SECRET_KEY"] = _instance_secret(Path(instance_path) / "secret_key")
    if not values["PUBLIC_URL"]:
        values["PUBLIC_URL"] = f"http://{values['HOST']}:{values['PORT']}"
    values["PUBLIC_URL"] = values["PUBLIC_URL"].rstrip("/")

    config = {PREFIX + k: v for k, v in values.items()}
    config.update(
        SECRET_KEY=values["SECRET_KEY"],
        SQLALCHEMY_DATABASE_URI=values["DATABASE_URL"],
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(values["DATABASE_URL"]),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="None" if values["SECURE_COOKIES"] else "Lax",
        SESSION_COOKIE_SECURE=bool(values["SECURE_COOKIES"]),
        # Partitioned (CHIPS): a framed widget keeps its session where third-party cookies
        # are blocked (Chromium); elsewhere the widget signs in with a token (e.g. inside a helpdesk app's frame).
        SESSION_COOKIE_PARTITIONED=bool(values["SECURE_COOKIES"]),
        REMEMBER_COOKIE_SAMESITE="None" if values["SECURE_COOKIES"] else "Lax",
        REMEMBER_COOKIE_SECURE=bool(values["SECURE_COOKIES"]),
        REMEMBER_COOKIE_DURATION=REMEMBER_FOR,
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
        API_TITLE="Switchboard",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
    )
    for key, value in (overrides or {}).items():
        if not key.startswith(PREFIX) and key.upper() == key:
            config[key] = value  # plain Flask keys (TESTING, WTF_CSRF_ENABLED…)
    return config


def _engine_options(url: str) -> dict:
    if url.startswith("sqlite"):
        # Several threads (web, Socket.IO, outbox) share the file: they wait instead of
        # failing (host.sqlite_writes), each on a warm pooled connection (no reconnects),
        # the most recently used first: its page cache is the one still current.
        return {"connect_args": {"timeout": 30, "check_same_thread": False}, "pool_size": 20, "max_overflow": 20,
                "pool_use_lifo": True}
    # No pre-ping per checkout: host.db_connections pings only connections that sat idle.
    return {"pool_size": 10, "max_overflow": 20, "pool_use_lifo": True, "pool_recycle": 3600}


def _instance_secret(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    secret = secrets.token_hex(32)
    path.write_text(secret)
    path.chmod(0o600)
    return secret
