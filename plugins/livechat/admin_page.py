"""``/plugins/livechat/admin``: setup status, registered webhooks, and "Register webhooks".

Admins only (the host guard signs people in; this page checks ``is_admin``). The settings
themselves live on the host's settings page (``/admin/plugins/livechat/settings``).
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from host import access
from plugins.livechat import health, settings, webhook_setup
from plugins.livechat.api import LiveChatError


def admin_blueprint() -> Blueprint:
    bp = Blueprint("livechat_admin", __name__, template_folder="templates")
    access.about_blueprint("livechat_admin", access.ADMIN)  # every page: see only_admins

    @bp.app_template_global("livechat_setup")
    def livechat_setup() -> dict:
        """For ``livechat_settings_extra.html`` on the host's settings page."""
        enabled = current_app.extensions["switchboard"].plugins.is_enabled("livechat")
        return {"enabled": enabled, "webhook_url": webhook_setup.webhook_url(),
                "configured": settings.current().configured}

    @bp.before_request
    def only_admins():
        if not current_user.is_authenticated or not current_user.is_admin:
            abort(403, description="Only administrators can set up LiveChat.")

    @bp.get("/plugins/livechat/admin")
    def overview():
        config = settings.current()
        hooks, hooks_error = webhook_setup.registered()
        return render_template("livechat_admin.html", page="admin", section="plugins", config=config,
                               checks=health.checks(), webhook_url=webhook_setup.webhook_url(), hooks=hooks,
                               hooks_error=hooks_error, widget_url=url_for("livechat_agent_app.widget", _external=False),
                               settings_url=url_for("admin.plugin_settings", name="livechat"),
                               public_url=current_app.config["SWITCHBOARD_PUBLIC_URL"].rstrip("/"))

    @bp.post("/plugins/livechat/admin/webhooks")
    def register_webhooks():
        try:
            for note in webhook_setup.register():
                flash(note, "ok")
        except (LiveChatError, ValueError) as exc:
            flash(f"Webhooks were not registered: {exc}", "error")
        return redirect(url_for("livechat_admin.overview"))

    return bp
