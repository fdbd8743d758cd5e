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
  POST needs the signed ``state`` this page handed out (login-CSRF; single use, ten
  minutes) and a same-origin ``Origin``.

Without third-party cookies. Inside LiveChat the widget is a cross-site iframe: Safari,
and Chrome with third-party cookies off, drop its cookies. So nothing in the sign-in
depends on them — the state is signed rather than kept in the session — and the session
POST answers, besides the (Partitioned, where ``SWITCHBOARD_SECURE_COOKIES``) session
cookie, an API token of the host's kind (``host.credentials``) that expires after
:data:`WIDGET_TOKEN_HOURS` hours. The sign-in page keeps it in memory only and mounts the
widget in place with it (``GET /api/v1/livechat/widget`` for the start data, then every API
call and the Socket.IO connection carry it), so it never navigates and never needs a cookie.

Framing: while the plugin is enabled, these pages, the host's ``/widget`` and ``/login``
answer with the host's ``Content-Security-Policy`` whose ``frame-ancestors`` lists LiveChat's
Agent App origins only — the domains ``@livechat/agent-app-sdk`` itself trusts (``livechatinc.com``,
``livechat.com``, ``text.com``). ``SWITCHBOARD_LIVECHAT_FRAME_ANCESTORS`` replaces the list
(tests frame the widget from a local page). Cookies reach the iframe only with
``SWITCHBOARD_SECURE_COOKIES=true`` (``SameSite=None; Secure; Partitioned``) and only where the
browser keeps them; the token above does not need them.
"""
from __future__ import annotations

import json
import secrets
from datetime import timedelta
from urllib.parse import urlparse

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from host.plugin_api import access, db, signin, utcnow, is_enabled
from host.plugin_api.signin import agent_for_password, bootstrap, content_security_policy, sign_in as start_sign_in
from plugins.livechat import oauth, settings
from plugins.livechat.models import LiveChatWebhookKey
from plugins.livechat.page_messages import page_locale

NAME = "livechat"
DEFAULT_FRAME_ANCESTORS = ("https://my.livechatinc.com", "https://*.livechatinc.com",
                           "https://*.livechat.com", "https://my.text.com", "https://*.text.com")
FRAMED_ENDPOINTS = {"core.widget", "auth.login", "livechat_agent_app.widget", "livechat_agent_app.sign_in"}
WIDGET_PATH = "/plugins/livechat/widget"
STATE_SECONDS = 600
WIDGET_TOKEN_HOURS = 8  # as long as LiveChat's own access tokens last: about a shift
WIDGET_TOKEN_NAME = "LiveChat Agent App"


def frame_ancestors() -> str:
    configured = current_app.config.get("SWITCHBOARD_LIVECHAT_FRAME_ANCESTORS")
    if configured:
        return configured if isinstance(configured, str) else " ".join(configured)
    return " ".join(DEFAULT_FRAME_ANCESTORS)


def _enabled() -> bool:
    return is_enabled(NAME)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target \
            and target.isprintable() and not urlparse(target).netloc:
        return target
    return WIDGET_PATH


def _states() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="livechat-sign-in")


def new_state() -> str:
    """A login-CSRF state that needs no cookie: signed, for ten minutes, used once."""
    return _states().dumps(secrets.token_urlsafe(16))


def _state_key(state) -> str | None:
    """The used-states key of ``state`` when we signed it recently, else None."""
    if not isinstance(state, str) or not state:
        return None
    try:
        return f"sign-in:{_states().loads(state, max_age=STATE_SECONDS)}"[:200]
    except BadSignature:
        return None


def state_usable(state) -> bool:
    key = _state_key(state)
    return key is not None and db.session.get(LiveChatWebhookKey, key) is None


def use_state(state) -> bool:
    """Spend ``state`` once the sign-in succeeded; False when it was spent meanwhile."""
    db.session.add(LiveChatWebhookKey(key=_state_key(state), action="sign_in", outcome="state used"))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


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
                  "signInUrl": url_for("livechat_agent_app.sign_in", next=request.full_path.rstrip("?")),
                  **page_locale()}
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
        state = new_state()
        callback = current_app.config["SWITCHBOARD_PUBLIC_URL"] + url_for("livechat_agent_app.oauth_callback")
        page = {"authorizeUrl": oauth.authorize_url(config, callback, state) if config.client_id else None,
                "state": state, "sessionUrl": url_for("livechat_agent_app.oauth_session"), "next": target,
                "passwordUrl": url_for("livechat_agent_app.password_session"),
                "resolveUrl": url_for("livechat_api.resolve"), "widgetDataUrl": url_for("livechat_api.widget_start"),
                "widgetModule": url_for("static", filename="dist/widget.js"),
                "windowUrl": url_for("livechat_agent_app.window"),
                "renewUrl": url_for("livechat_api.renew_widget_token"), **page_locale()}
        return render_template("livechat_sign_in.html", page="login", sign_in=_page_json(page),
                               can_use_livechat=bool(config.client_id), ended=request.args.get("ended") == "1",
                               login_url=url_for("auth.login", next=target),
                               script=url_for("livechat.static", filename="dist/agent_app_sign_in.js"))

    @bp.get("/login/livechat/window")
    def window():
        """A widget window of its own (e.g. for calls, which LiveChat's frame gets no microphone
        for): it asks the frame that opened it for its in-memory token, else uses the cookie."""
        chat_id = request.args.get("chat_id", type=int)
        tab = request.args.get("tab") or ""
        fallback = url_for("core.widget", **({"chat_id": chat_id} if chat_id else {}), **({"tab": tab} if tab else {}))
        page = {"chatId": chat_id, "tab": tab, "cookieUrl": fallback,
                "widgetDataUrl": url_for("livechat_api.widget_start"),
                "widgetModule": url_for("static", filename="dist/widget.js")}
        return render_template("livechat_window.html", page="widget", config=_page_json(page),
                               script=url_for("livechat.static", filename="dist/agent_app_window.js"))

    @bp.get("/login/livechat/callback")
    def oauth_callback():
        """LiveChat's redirect target: hands the token in the URL fragment to the opener."""
        return render_template("livechat_oauth_callback.html",
                               script=url_for("livechat.static", filename="livechat_oauth_callback.js"))

    @bp.post("/login/livechat/session")
    def oauth_session():
        """Exchange a LiveChat access token for a Switchboard session."""
        data = _sign_in_request("access_token")
        if data is None:
            return _stale_sign_in()
        try:
            identity = oauth.identify(data["access_token"], settings.current())
            agent = oauth.agent_for(identity)
        except oauth.SignInError as exc:
            return jsonify(ok=False, message=exc.message), exc.status
        return _signed_in(agent, data)

    @bp.post("/login/livechat/password")
    @signin.counted
    def password_session():
        """The Switchboard account form inside the frame: email and password for the same
        in-memory widget token, so it works where the browser drops the frame's cookies."""
        data = request.get_json(silent=True) if request.is_json else None
        if isinstance(data, dict):
            missing = [f for f in ("email", "password") if not isinstance(data.get(f), str) or not data[f].strip()]
            if missing:
                return jsonify(ok=False, errors={f: gettext("Fill this in.") for f in missing},
                               message=gettext("Fill in your email and your password.")), 400
        data = _sign_in_request("email", "password")
        if data is None:
            return _stale_sign_in()
        agent = agent_for_password(data["email"], data["password"])
        if agent is None:
            return jsonify(ok=False, message=gettext("That email and password don't match an active agent. "
                                                     "Check both and try again.")), 401
        return _signed_in(agent, data)

    return bp


def _stale_sign_in():
    return jsonify(ok=False, message=gettext("This sign-in is not valid any more. Start it again.")), 401


def _sign_in_request(*fields: str) -> dict | None:
    """The JSON body of a sign-in POST when it names ``fields`` and a usable state and comes
    from our own origin (login-CSRF without a session), else None."""
    data = request.get_json(silent=True) if request.is_json else None
    origin = request.headers.get("Origin")
    public = urlparse(current_app.config["SWITCHBOARD_PUBLIC_URL"])
    own_origins = {request.host_url.rstrip("/"), f"{public.scheme}://{public.netloc}"}
    if not isinstance(data, dict) or not all(isinstance(data.get(f), str) for f in fields) or \
            (origin is not None and origin not in own_origins) or not state_usable(data.get("state")):
        return None
    return data


def _signed_in(agent, data: dict):
    """Spend the state, sign the agent in and answer the widget token."""
    if not use_state(data["state"]):
        return _stale_sign_in()
    start_sign_in(agent)
    # For a frame whose cookies the browser drops: a short-lived token it keeps in memory.
    _, token = signin.issue_token(agent, WIDGET_TOKEN_NAME, utcnow() + widget_token_lifetime())
    db.session.commit()
    return jsonify(ok=True, agent={"id": agent.id, "email": agent.email, "name": agent.name},
                   next=_safe_next(data.get("next")), widget_token=token,
                   expires_in=int(widget_token_lifetime().total_seconds()))


def widget_token_lifetime() -> timedelta:
    seconds = current_app.config.get("SWITCHBOARD_LIVECHAT_WIDGET_TOKEN_SECONDS")
    return timedelta(seconds=int(seconds)) if seconds else timedelta(hours=WIDGET_TOKEN_HOURS)

