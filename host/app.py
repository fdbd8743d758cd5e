"""``create_app(config)``: orchestration only — every piece lives in its own module."""
from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask, abort, g, request
from flask_babel import lazy_gettext
from flask_smorest import Api
from werkzeug.routing import IntegerConverter

from host import access
from host import config as config_module
from host import db_listeners, emit, wakeups
from host import settings as host_settings
from host import login_limit, security_headers, webhooks
from host.extensions import csrf, db, login_manager, migrate
from host.i18n import init_i18n
from host.logging_filters import install_secret_filter
from host.inbox import Inbox
from host.outbox import Outbox
from host.plugins import PluginHost
from host.registry import Switchboard

ROOT = Path(__file__).resolve().parent.parent


class RowId(IntegerConverter):
    """``<int:…>`` in URLs: a database row id, so out-of-range numbers are a 404, not a crash."""

    MAX = 2**31 - 1

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", self.MAX)
        super().__init__(map, *args, **kwargs)


def create_app(config: dict | None = None) -> Flask:
    config = dict(config or {})
    instance = config.pop("INSTANCE_PATH", None) or os.environ.get("SWITCHBOARD_INSTANCE_PATH") or str(ROOT / "instance")
    app = Flask("host", instance_path=instance, instance_relative_config=False)
    extra_plugins = config.pop("EXTRA_PLUGINS", ())
    app.config.update(config_module.load(app.instance_path, config))
    install_secret_filter(app)

    db.init_app(app)
    db_listeners.install(app)  # on this app's engines; the session's listeners are this app's
    emit.install(app)
    host_settings.install(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True, compare_type=True,
                 command="alembic")
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = lazy_gettext("Please sign in to continue.")
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # checked in auth.guard_request
    csrf.init_app(app)

    with app.app_context():
        plugins = PluginHost(app, extra_plugins)
    init_i18n(app, [info.plugin for info in plugins.plugins.values()])
    sb = Switchboard(app, plugins)
    app.extensions["switchboard"] = sb
    wakeups.install(app)  # work queued here wakes the workers of other processes
    sb.outbox = Outbox(app)
    sb.inbox = Inbox(app)
    sb.outbox.companions.append(sb.inbox)  # started and stopped with the outbox worker

    from host.realtime import init_realtime
    socketio = init_realtime(app)

    app.url_map.converters["int"] = RowId
    api = Api(app, spec_kwargs={"components": {"securitySchemes": {
        "bearer": {"type": "http", "scheme": "bearer"}}}, "security": [{"bearer": []}]})
    api.register_converter(RowId, lambda converter: {"type": "integer", "minimum": 0, "maximum": RowId.MAX})
    access.about_blueprint("api-docs", access.AGENT, reason="the API description; no customer data")
    _register_host_blueprints(app, api)
    from host.errors import init_errors
    init_errors(app, api)
    with app.app_context():
        sb.register_all(api, socketio)
    from host.request_bodies import init_json_check, init_request_bodies
    init_request_bodies(app)  # declared body limits come before every other check
    _install_guards(app, sb)
    init_json_check(app)
    access.install(app)  # who may use the route, before its view and input validation
    security_headers.install(app)
    login_limit.install(app)
    webhooks.install(app)  # declared webhook blueprints skip what only people's requests need
    _install_proxy_fix(app)
    return app


def _register_host_blueprints(app, api):
    from host import admin, auth, console, profile
    from host.api import agents, attachments, canned_replies, chats, credentials, meta, search

    app.register_blueprint(auth.bp)
    app.register_blueprint(console.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(profile.bp)
    app.register_blueprint(attachments.public)
    for module in (chats, agents, credentials, meta, canned_replies, search, attachments):
        api.register_blueprint(module.blp)


def _install_guards(app, sb):
    from host.auth import guard_request

    @app.before_request
    def plugin_and_auth_guard():
        # The signed-in agent is cached on ``g``; an app context that outlives one
        # request (CLI, tests, background tasks) must not leak it into the next.
        g.pop("_login_user", None)
        g.pop(app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
        owner = sb.blueprint_owner(request.blueprint)
        if owner and not sb.plugins.is_enabled(owner):
            abort(404)
        return guard_request()


def _install_proxy_fix(app):
    # Behind a load balancer every request comes from the balancer's address: the login
    # limit would lock out everyone at once. Only headers set by the proxies we were told
    # about are believed; without the setting a client can't spoof its address with them.
    proxies = app.config["SWITCHBOARD_TRUSTED_PROXIES"]
    if proxies > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)


logging.getLogger("werkzeug").setLevel(logging.WARNING)
