"""Pages agents use: the console, the standalone widget, and health."""
from __future__ import annotations

import json

from flask import Blueprint, current_app, jsonify, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import text

from host import access, frontend_messages, i18n, inbox, login_limit
from host.access import about
from host.extensions import db
from host.models import Group
from host.schemas import AgentSchema

bp = Blueprint("core", __name__)


@bp.app_template_global("nav_links")
def nav_links() -> list:
    """The enabled plugins' top-bar links for the signed-in person (``register_nav_links``)."""
    if not current_user.is_authenticated:
        return []
    return current_app.extensions["switchboard"].nav_links(current_user.is_admin)


def bootstrap() -> str:
    """What the front-end needs at start, as JSON embedded in the page."""
    sb = current_app.extensions["switchboard"]
    data = {
        "agent": {**AgentSchema().dump(current_user), "sound_alerts": current_user.sound_alerts},
        # The interface language and the zone times are shown in (None: the browser's own).
        "language": i18n.current_language(),
        "timeZone": current_user.time_zone,
        "messages": frontend_messages.catalogs(i18n.current_language()),
        "isAdmin": current_user.is_admin,
        "csrfToken": generate_csrf(),
        "tabs": sb.widget_tabs(),
        "channels": sb.channel_list(),
        "channelCatalogue": sb.channel_catalogue(),
        "plugins": sorted(n for n in sb.plugins.plugins if sb.plugins.is_enabled(n)),
    }
    # Escape "<" so a value can never close the <script> element it sits in.
    return json.dumps(data).replace("<", "\\u003c")


@bp.route("/")
@about(access.AGENT, reason="sends the agent to the console")
def index():
    return redirect(url_for("core.console"))


@bp.route("/console")
@bp.route("/console/chats/<int:chat_id>")
@about(access.AGENT, reason="the console page; chats load through the chat routes, which apply the rule")
def console(chat_id=None):
    return render_template("console.html", bootstrap=bootstrap(), page="console")


@bp.route("/widget")
@about(access.AGENT, reason="the widget page; chats load through the chat routes, which apply the rule")
def widget():
    """The details widget alone, for embedding (e.g. LiveChat's Agent App)."""
    return render_template("widget.html", bootstrap=bootstrap(), page="widget")


@bp.route("/replies")
@about(access.AGENT, reason="the canned replies page; replies load through their routes, which apply the rule")
def replies():
    """Manage canned replies: your personal ones and your groups' shared ones."""
    groups = current_user.groups if not current_user.is_admin else db.session.execute(
        db.select(Group).order_by(Group.name)).scalars().all()
    data = {"agent": AgentSchema().dump(current_user), "isAdmin": current_user.is_admin, "csrfToken": generate_csrf(),
            "language": i18n.current_language(), "timeZone": current_user.time_zone,
            "messages": {"host": frontend_messages.catalogs(i18n.current_language())["host"]},
            "groups": [{"id": g.id, "name": g.name} for g in sorted(groups, key=lambda g: g.name.lower())]}
    return render_template("replies.html", bootstrap=json.dumps(data).replace("<", "\\u003c"), page="replies",
                           section="replies")


@bp.route("/favicon.ico")
def favicon():
    return current_app.send_static_file("favicon.svg")


@bp.route("/healthz")
def healthz():
    """Liveness for load balancers: database, realtime queue, the inbox backlog and
    enabled plugins."""
    sb = current_app.extensions["switchboard"]
    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = {"ok": True}
    except Exception as exc:  # report, don't crash the health endpoint
        db.session.rollback()
        checks["database"] = {"ok": False, "detail": type(exc).__name__}
    checks["realtime"] = realtime_health()
    if checks["database"]["ok"]:
        checks["inbox"] = inbox.health(current_app.config["SWITCHBOARD_INBOX_MAX_AGE_SECONDS"])
    checks["sign_in_limit"] = login_limit.health()
    plugins = sorted(n for n in sb.plugins.plugins if sb.plugins.is_enabled(n))
    ok = all(c["ok"] for c in checks.values())
    extra = {}
    if current_user.is_authenticated and current_user.is_admin:
        # What setup still needs, with the action that fixes each (admins only: it names
        # numbers and addresses). It never changes the status: an unfinished setup is a
        # to-do, not a reason to take the process out of the load balancer.
        from host.plugin_overview import setup_report

        extra["setup"] = setup_report()
    return jsonify(status="ok" if ok else "degraded", checks=checks, plugins=plugins, **extra), 200 if ok else 503


def realtime_health() -> dict:
    url = current_app.config.get("SWITCHBOARD_REDIS_URL")
    if not url:
        return {"ok": True, "detail": "in-process"}
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
        return {"ok": True, "detail": "redis"}
    except Exception as exc:  # Redis down: single-process delivery keeps working
        return {"ok": False, "detail": f"Redis unreachable ({type(exc).__name__}); "
                                       "events reach only agents on this process"}
