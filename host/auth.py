"""Sign-in, API tokens, and the one rule that guards every route.

Every route needs a signed-in agent except the few listed in ``PUBLIC_ENDPOINTS``,
anything under ``/webhooks/`` (providers authenticate by signature there) and sign-in
methods plugins add under ``/login/`` (e.g. signing in with LiveChat). API paths
answer 401 JSON; pages redirect to the sign-in form. Unsafe methods need a CSRF token
unless the caller authenticates with a bearer token (which a browser never sends by
itself).
"""
from __future__ import annotations

from urllib.parse import urlparse

from flask import (Blueprint, abort, current_app, flash, jsonify, redirect, render_template,
                   request, url_for)
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from host.extensions import csrf, db, login_manager
from host.models import Agent, ApiToken, utcnow

bp = Blueprint("auth", __name__)

PUBLIC_ENDPOINTS = {"auth.login", "static", "core.healthz", "core.favicon"}
WEBHOOK_PREFIX = "/webhooks/"
SIGN_IN_PREFIX = "/login/"


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired()])
    remember = BooleanField("Keep me signed in")


@login_manager.user_loader
def load_agent(agent_id: str):
    agent = db.session.get(Agent, int(agent_id))
    return agent if agent and agent.is_active else None


@login_manager.request_loader
def load_agent_from_token(req):
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    return agent_for_token(header.removeprefix("Bearer ").strip())


def agent_for_token(secret: str):
    token = db.session.execute(
        db.select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(secret))
    ).scalar_one_or_none()
    if token is None or not token.agent.is_active:
        return None
    return token.agent


def is_public(req) -> bool:
    return req.endpoint in PUBLIC_ENDPOINTS or req.path.startswith((WEBHOOK_PREFIX, SIGN_IN_PREFIX)) or (
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
                           message="Sign in or send an API token (Authorization: Bearer …)."), 401
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if request.method not in ("GET", "HEAD", "OPTIONS") and not request.headers.get(
            "Authorization", "").startswith("Bearer "):
        csrf.protect()
    return None


def admin_required():
    if not current_user.is_authenticated or not current_user.is_admin:
        abort(403, description="Only administrators can do this.")


def _safe_next(target: str | None) -> str:
    if target and urlparse(target).netloc == "" and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("core.console")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        agent = db.session.execute(
            db.select(Agent).where(Agent.email == form.email.data.strip().lower())
        ).scalar_one_or_none()
        if agent and agent.is_active and agent.check_password(form.password.data):
            login_user(agent, remember=form.remember.data)
            agent.last_seen_at = utcnow()
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
        flash("That email and password don't match an active agent. Check both and try again.", "error")
    elif request.method == "POST":
        flash("Please fill in a valid email and your password.", "error")
    return render_template("login.html", form=form,
                           demo=current_app.config.get("SWITCHBOARD_DEMO_HINT"))


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    return redirect(url_for("auth.login"))
