"""Sign-in, API tokens, and the one rule that guards every route.

Every route needs a signed-in agent except the few listed in ``PUBLIC_ENDPOINTS``,
anything under ``/webhooks/`` (providers authenticate by signature there) and sign-in
methods plugins add under ``/login/`` (e.g. signing in with LiveChat). API paths
answer 401 JSON; pages redirect to the sign-in form. Unsafe methods need a CSRF token
unless the request was authenticated by a bearer token (which a browser never sends by
itself); a request the cookie authenticated is checked whatever other headers it has.

The session and "remember me" cookies carry the key of one sign-in
(``host.credentials``): signing out, a new password or deactivation end it on the
server, so a copied cookie stops working too.
"""
from __future__ import annotations

from flask_babel import gettext, lazy_gettext
from urllib.parse import urlparse

from flask import (Blueprint, abort, current_app, flash, g, jsonify, redirect, render_template,
                   request, session, url_for)
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from host import access, credentials
from host.webhooks import WEBHOOK_PREFIX
from host.extensions import csrf, db, login_manager
from host.models import Agent, AgentSession, ApiToken, utcnow

bp = Blueprint("auth", __name__)

PUBLIC_ENDPOINTS = {"auth.login", "static", "core.healthz", "core.favicon"}
SIGN_IN_PREFIX = "/login/"
MEDIA_PREFIX = "/media/"  # signed, expiring attachment links providers fetch (host.attachments)


class LoginForm(FlaskForm):
    email = EmailField(lazy_gettext("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(lazy_gettext("Password"), validators=[DataRequired()])
    remember = BooleanField(lazy_gettext("Keep me signed in"))


@login_manager.user_loader
def load_agent(key: str):
    """The agent of the sign-in a session or "remember me" cookie names (``Agent.get_id``)."""
    row = credentials.session_for_key(key) if key.startswith(credentials.SESSION_PREFIX) else None
    return row.agent if row else None


#: WSGI environ key naming the agent of a request the app dispatches to itself
#: (:func:`request_as`). Clients can't set environ keys: only HTTP headers reach it.
ACTING_AGENT = "switchboard.acting_agent_id"


def request_as(agent, path: str, **kwargs):
    """A request context for ``path`` in which ``agent`` is signed in, for a request
    the app dispatches to itself (``app.full_dispatch_request()``), e.g. a plugin
    fetching an attachment through the media proxy an agent would use."""
    environ = {**kwargs.pop("environ_base", {}), ACTING_AGENT: agent.id}
    return current_app.test_request_context(path, environ_base=environ, **kwargs)


@login_manager.request_loader
def load_agent_from_token(req):
    acting = req.environ.get(ACTING_AGENT)
    if acting is not None:
        agent = db.session.get(Agent, acting)
        return agent if agent is not None and agent.is_active else None
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    return agent_for_token(header.removeprefix("Bearer ").strip())


def agent_for_token(secret: str):
    token = credentials.token_for_secret(secret)
    return token.agent if token else None


def by_token(agent) -> bool:
    """Whether this request's agent was authenticated by an API token (not a cookie)."""
    return isinstance(getattr(agent, "credential", None), ApiToken)


def sign_in(agent: Agent, remember: bool = False) -> AgentSession:
    """Sign ``agent`` in to this browser: a new sign-in row, a fresh session (nothing of
    the signed-out one carries over, the CSRF secret included) and Flask-Login's cookies.
    Every sign-in method (the form, plugins' ``/login/…`` methods) ends here."""
    row = credentials.start_session(agent, remember, request.user_agent.string, request.remote_addr or "")
    agent.last_seen_at = utcnow()
    db.session.commit()
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    login_user(agent, remember=remember)
    return row


def agent_for_password(email: str, password: str) -> Agent | None:
    """The active agent with this email and password, else None. Every password sign-in
    (the form, plugins' ``/login/…`` forms) checks here, and is counted by the sign-in rate
    limit (``host.login_limit``)."""
    agent = db.session.execute(
        db.select(Agent).where(Agent.email == email.strip().lower())
    ).scalar_one_or_none()
    # The password hash runs whoever asks, so a refusal takes as long for an unknown
    # or deactivated email as for a wrong password.
    if credentials.verify_password(agent, password) and agent.is_active:
        return agent
    return None


def renew_sign_in(row: AgentSession) -> None:
    """After a new password, this browser stays signed in under a new key: its old
    session and "keep me signed in" cookies, and any copy of them, end with the rest."""
    credentials.renew_key(row)
    db.session.commit()
    row.agent.credential = row
    login_user(row.agent, remember=row.remember)


def is_public(req) -> bool:
    return req.endpoint in PUBLIC_ENDPOINTS or req.path.startswith((WEBHOOK_PREFIX, SIGN_IN_PREFIX, MEDIA_PREFIX)) or (
        req.endpoint or "").endswith(".static")


def wants_json(req) -> bool:
    return req.path.startswith("/api/") or req.accept_mimetypes.best == "application/json"


def guard_request():
    """``before_request``: authentication, then CSRF for cookie-authenticated writes."""
    if request.endpoint is None or is_public(request):
        return None
    if not current_user.is_authenticated:
        if wants_json(request):
            return jsonify(code=401, status="Unauthorized",
                           message=gettext("Sign in or send an API token (Authorization: Bearer …).")), 401
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if request.method not in ("GET", "HEAD", "OPTIONS") and not by_token(current_user):
        csrf.protect()
    return None


def admin_required():
    if not current_user.is_authenticated or not current_user.is_admin:
        abort(403, description=gettext("Only administrators can do this."))


def _safe_next(target: str | None) -> str:
    if target and urlparse(target).netloc == "" and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("core.console")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        agent = agent_for_password(form.email.data, form.password.data)
        if agent is not None:
            sign_in(agent, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
        flash(gettext("That email and password don't match an active agent. Check both and try again."), "error")
    elif request.method == "POST":
        flash(gettext("Please fill in a valid email and your password."), "error")
    return render_template("login.html", form=form,
                           demo=current_app.config.get("SWITCHBOARD_DEMO_HINT"))


@bp.route("/logout", methods=["POST"])
@access.about(access.AGENT, reason="ends the agent's own session")
def logout():
    """End this sign-in on the server too: a copy of its cookies is worth nothing after."""
    row = getattr(current_user, "credential", None)
    if isinstance(row, AgentSession):
        credentials.end_session(row)
        db.session.commit()
    logout_user()
    return redirect(url_for("auth.login"))
