"""``/plugins/livechat/admin``: setup status, "Connect LiveChat", registered webhooks.

Admins only (the host guard signs people in; this page checks ``is_admin``). The settings
themselves live on the host's settings page (``/admin/plugins/livechat/settings``).
*Connect LiveChat* runs the authorization-code flow (:mod:`.connect`) and registers the
webhooks right after, so one sign-in at LiveChat leaves the sync working.
"""
from __future__ import annotations

import hmac
import secrets

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user

from host.plugin_api import access, is_enabled
from plugins.livechat import connect, health, scopes, settings, webhook_setup
from plugins.livechat.client import LiveChatError


def admin_blueprint() -> Blueprint:
    bp = Blueprint("livechat_admin", __name__, template_folder="templates")
    access.about_blueprint("livechat_admin", access.ADMIN)  # every page: see only_admins

    @bp.app_template_global("livechat_setup")
    def livechat_setup() -> dict:
        """For ``livechat_settings_extra.html`` on the host's settings page."""
        enabled = is_enabled("livechat")
        config = settings.current()
        return {"enabled": enabled, "webhook_url": webhook_setup.webhook_url(), "configured": config.configured,
                "can_connect": bool(config.client_id and config.client_secret)}

    @bp.before_request
    def only_admins():
        if not current_user.is_authenticated or not current_user.is_admin:
            abort(403, description=gettext("Only administrators can set up LiveChat."))

    @bp.get("/plugins/livechat/admin")
    def overview():
        config = settings.current()
        hooks, hooks_error = webhook_setup.registered()
        return render_template("livechat_admin.html", page="admin", section="plugins", config=config,
                               checks=health.checks(), webhook_url=webhook_setup.webhook_url(), hooks=hooks,
                               hooks_error=hooks_error, widget_url=url_for("livechat_agent_app.widget", _external=False),
                               settings_url=url_for("admin.plugin_settings", name="livechat"),
                               needed_scopes=scopes.NEEDED, connect_redirect=connect.redirect_uri(),
                               public_url=current_app.config["SWITCHBOARD_PUBLIC_URL"].rstrip("/"))

    @bp.post("/plugins/livechat/admin/webhooks")
    def register_webhooks():
        try:
            for note in webhook_setup.register():
                flash(note, "ok")
        except (LiveChatError, ValueError) as exc:
            flash(gettext("Webhooks were not registered: %(reason)s", reason=exc), "error")
        return redirect(url_for("livechat_admin.overview"))

    @bp.post("/plugins/livechat/admin/connect")
    def connect_start():
        """Send the admin to LiveChat's OAuth server (authorization-code grant)."""
        state = secrets.token_urlsafe(24)
        try:
            target = connect.authorize_url(settings.current(), state)
        except connect.ConnectError as exc:
            flash(str(exc), "error")
            return redirect(url_for("livechat_admin.overview"))
        session[connect.STATE_KEY] = state
        return redirect(target)

    @bp.get("/plugins/livechat/admin/connect/callback")
    def connect_callback():
        """LiveChat's redirect back with ``code`` and ``state``: exchange, store, register webhooks."""
        expected = session.pop(connect.STATE_KEY, None)
        if not expected or not hmac.compare_digest(request.args.get("state", ""), expected):
            flash(gettext("This LiveChat connection was not started here or has expired. Press Connect LiveChat "
                          "again."), "error")
            return redirect(url_for("livechat_admin.overview"))
        if request.args.get("error") or not request.args.get("code"):
            reason = request.args.get("error_description") or request.args.get("error") or gettext("no code came back")
            flash(gettext("LiveChat was not connected: %(reason)s.", reason=reason), "error")
            return redirect(url_for("livechat_admin.overview"))
        try:
            connected = connect.exchange(request.args["code"], settings.current())
        except connect.ConnectError as exc:
            flash(str(exc), "error")
            return redirect(url_for("livechat_admin.overview"))
        current_app.extensions.pop("livechat.health", None)
        flash(gettext("LiveChat is connected as %(email)s.", email=connected.email) if connected.email
              else gettext("LiveChat is connected."), "ok")
        if connected.missing_scopes:
            flash(gettext("The token LiveChat gave lacks the scopes %(scopes)s. Tick them in the app's "
                          "Authorization block in LiveChat's Developer Console, then press Connect LiveChat again.",
                          scopes=", ".join(connected.missing_scopes)), "error")
        try:
            for note in webhook_setup.register():
                flash(note, "ok")
        except (LiveChatError, ValueError) as exc:
            flash(gettext("Webhooks were not registered: %(reason)s", reason=exc), "error")
        return redirect(url_for("livechat_admin.overview"))

    return bp
