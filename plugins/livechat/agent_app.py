"""The widget inside LiveChat's Agent App (a Details widget) and signing in there.

Pages
-----
* ``/plugins/livechat/widget`` — the Details widget URL to enter in LiveChat's Developer
  Console. The host's widget page plus ``agent_app_bridge.js``, which connects to the Agent
  App with ``@livechat/agent-app-sdk`` and, on every ``customer_profile``, resolves the
  LiveChat chat to its Switchboard chat and opens it in the widget. Signed-in agents only.
* ``/login/livechat`` — where a signed-out agent lands inside the iframe: "Sign in
  with LiveChat" (implicit-grant popup → ``/login/livechat/callback`` → the token
  is POSTed to ``/login/livechat/session``, checked with LiveChat's accounts
  service, and the agent with that email is signed in) or the Switchboard account form.
  These sit under ``/login/``, the host's public prefix for sign-in methods; the session
  POST needs the ``state`` this page put in the session (login-CSRF) and a same-origin
  ``Origin``.

Framing: while the plugin is enabled, these pages, the host's ``/widget`` and ``/login``
answer with the host's ``Content-Security-Policy`` whose ``frame-ancestors`` lists LiveChat's
Agent App origins only — the domains ``@livechat/agent-app-sdk`` itself trusts (``livechatinc.com``,
``livechat.com``, ``text.com``). ``SWITCHBOARD_LIVECHAT_FRAME_ANCESTORS`` replaces the list
(tests frame the widget from a local page). Cookies reach the iframe only with
``SWITCHBOARD_SECURE_COOKIES=true`` (``SameSite=None; Secure``); the health check says so.
"""
from __future__ import annotations

import hmac
import json
import secrets
from urllib.parse import urlparse

from flask import (Blueprint, current_app, jsonify, redirect, render_template, request, session,
                   url_for)
from flask_login import current_user

from host import access
from host.auth import sign_in as start_sign_in
from host.console import bootstrap
from host.security_headers import content_security_policy
from plugins.livechat import oauth, settings

NAME = "livechat"
DEFAULT_FRAME_ANCESTORS = ("https://my.livechatinc.com", "https://*.livechatinc.com",
                           "https://*.livechat.com", "https://my.text.com", "https://*.text.com")
FRAMED_ENDPOINTS = {"core.widget", "auth.login", "livechat_agent_app.widget", "livechat_agent_app.sign_in"}
STATE_KEY = "livechat.oauth_state"
WIDGET_PATH = "/plugins/livechat/widget"


def frame_ancestors() -> str:
    configured = current_app.config.get("SWITCHBOARD_LIVECHAT_FRAME_ANCESTORS")
    if configured:
        return configured if isinstance(configured, str) else " ".join(configured)
    return " ".join(DEFAULT_FRAME_ANCESTORS)


def _enabled() -> bool:
    return current_app.extensions["switchboard"].plugins.is_enabled(NAME)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target \
            and target.isprintable() and not urlparse(target).netloc:
        return target
    return WIDGET_PATH


def _page_json(data: dict) -> str:
    return json.dumps(data).replace("<", "\\u003c")


def agent_app_blueprint() -> Blueprint:
    bp = Blueprint("livechat_agent_app", __name__, template_folder="templates")

    @bp.before_app_request
    def signed_out_agents_sign_in_here():
        # Runs before the host's guard (registered earlier): a signed-out agent opening the
        # Details widget gets the LiveChat sign-in choice instead of the bare form.
        if request.endpoint == "livechat_agent_app.widget" and _enabled() and not current_user.is_authenticated:
            return redirect(url_for("livechat_agent_app.sign_in", next=request.full_path.rstrip("?")))
        return None

    @bp.after_app_request
    def allow_livechat_to_frame(response):
        if request.endpoint in FRAMED_ENDPOINTS and _enabled():
            response.headers["Content-Security-Policy"] = content_security_policy(frame_ancestors())
        return response

    @bp.get(WIDGET_PATH)
    @access.about(access.AGENT, reason="the widget page; chats load through the chat routes, which apply the rule")
    def widget():
        """The Details widget for LiveChat's Agent App."""
        config = {"resolveUrl": url_for("livechat_api.resolve"),
                  "signInUrl": url_for("livechat_agent_app.sign_in", next=request.full_path.rstrip("?"))}
        return render_template("livechat_agent_app.html", bootstrap=bootstrap(), page="widget",
                               bridge_config=_page_json(config),
                               bridge_src=url_for("livechat.static", filename="dist/agent_app_bridge.js"))

    @bp.get("/login/livechat")
    def sign_in():
        """Sign in inside the Agent App: with LiveChat, or with the Switchboard account."""
        target = _safe_next(request.args.get("next"))
        if current_user.is_authenticated:
            return redirect(target)
        config = settings.current()
        state = secrets.token_urlsafe(24)
        session[STATE_KEY] = state
        callback = current_app.config["SWITCHBOARD_PUBLIC_URL"] + url_for("livechat_agent_app.oauth_callback")
        page = {"authorizeUrl": oauth.authorize_url(config, callback, state) if config.client_id else None,
                "state": state, "sessionUrl": url_for("livechat_agent_app.oauth_session"), "next": target}
        return render_template("livechat_sign_in.html", page="login", sign_in=_page_json(page),
                               can_use_livechat=bool(config.client_id),
                               login_url=url_for("auth.login", next=target),
                               script=url_for("livechat.static", filename="livechat_sign_in.js"))

    @bp.get("/login/livechat/callback")
    def oauth_callback():
        """LiveChat's redirect target: hands the token in the URL fragment to the opener."""
        return render_template("livechat_oauth_callback.html",
                               script=url_for("livechat.static", filename="livechat_oauth_callback.js"))

    @bp.post("/login/livechat/session")
    def oauth_session():
        """Exchange a LiveChat access token for a Switchboard session."""
        data = request.get_json(silent=True) if request.is_json else None
        expected = session.get(STATE_KEY)
        origin = request.headers.get("Origin")
        public = urlparse(current_app.config["SWITCHBOARD_PUBLIC_URL"])
        own_origins = {request.host_url.rstrip("/"), f"{public.scheme}://{public.netloc}"}
        if not isinstance(data, dict) or not isinstance(data.get("access_token"), str) or not expected or \
                not hmac.compare_digest(str(data.get("state") or ""), expected) or \
                (origin is not None and origin not in own_origins):
            return jsonify(ok=False, message="This sign-in is not valid any more. Start it again."), 401
        try:
            identity = oauth.identify(data["access_token"], settings.current())
            agent = oauth.agent_for(identity)
        except oauth.SignInError as exc:
            return jsonify(ok=False, message=exc.message), exc.status
        session.pop(STATE_KEY, None)
        start_sign_in(agent)
        return jsonify(ok=True, agent={"id": agent.id, "email": agent.email, "name": agent.name},
                       next=_safe_next(data.get("next")))

    return bp

