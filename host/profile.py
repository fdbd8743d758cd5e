"""The profile page: an agent's alerts, password, API tokens and sign-ins (admins: anyone's).

Who may manage whose credentials is one rule, :func:`may_manage`: the agent themself or
an admin; the API (``host.api.credentials``) applies the same one.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from host import access, credentials
from host.access import about
from host.auth import renew_sign_in
from host.extensions import db
from host.models import Agent, AgentSession, ApiToken, utcnow

bp = Blueprint("profile", __name__)

MIN_PASSWORD = 10
#: What the token form offers, in days (None: until revoked).
TOKEN_LIFETIMES = ((30, "30 days"), (90, "90 days"), (365, "1 year"), (None, "No expiry"))


def may_manage(actor, agent: Agent) -> bool:
    """Whether ``actor`` may see and change ``agent``'s password, tokens and sign-ins."""
    return actor.is_admin or actor.id == agent.id


def _manages(kind, key: str, status: int, message: str):
    """``host.access`` checks for an own-account object named in a path."""
    def check(actor, value) -> bool:
        try:
            row = db.session.get(kind, int(value))
        except (TypeError, ValueError):
            return False
        if row is None:
            return kind is Agent  # no such agent: the view says so (404)
        agent = row if isinstance(row, Agent) else row.agent
        return may_manage(actor, agent)
    access.register_check(access.OWN, check, key, status, message)


# Agents are no secret (the team directory): another's is refused; their tokens and
# sign-ins look like they don't exist.
_manages(Agent, "agent_id", 403, "You can manage only your own password, tokens and sign-ins.")
_manages(ApiToken, "token_id", 404, "There is no such token.")
_manages(AgentSession, "sign_in_id", 404, "That sign-in has ended already.")


def managed_agent_or_abort(agent_id: int) -> Agent:
    agent = db.session.get(Agent, agent_id)
    if agent is None:
        abort(404, description="There is no such agent.")
    if not may_manage(current_user, agent):
        abort(403, description="You can manage only your own password, tokens and sign-ins.")
    return agent


def password_problem(password: str, repeated: str | None = None) -> str | None:
    if len(password or "") < MIN_PASSWORD:
        return f"Use at least {MIN_PASSWORD} characters for the password."
    if repeated is not None and password != repeated:
        return "The two new passwords differ. Type the same one twice."
    return None


def current_sign_in() -> AgentSession | None:
    credential = getattr(current_user, "credential", None)
    return credential if isinstance(credential, AgentSession) else None


@bp.get("/profile")
@about(access.AGENT, reason="the agent's own profile page")
def own():
    return show(current_user.id)


@bp.get("/profile/<int:agent_id>")
@about(access.OWN, "agent_id")
def show(agent_id: int):
    agent = managed_agent_or_abort(agent_id)
    this = current_sign_in()
    return render_template(
        "profile.html", page="profile", section="profile" if agent.id == current_user.id else "agents",
        agent=agent, own=agent.id == current_user.id, tokens=credentials.tokens_of(agent),
        sign_ins=credentials.sessions_of(agent), this_sign_in=this.id if this else None,
        lifetimes=TOKEN_LIFETIMES, now=utcnow())


@bp.post("/profile/<int:agent_id>/password")
@about(access.OWN, "agent_id")
def change_password(agent_id: int):
    agent = managed_agent_or_abort(agent_id)
    own = agent.id == current_user.id
    new, repeated = request.form.get("new_password", ""), request.form.get("repeat_password", "")
    if own and not credentials.verify_password(agent, request.form.get("current_password", "")):
        flash("Your current password isn't right. Type it again to change it.", "error")
    elif problem := password_problem(new, repeated):
        flash(problem, "error")
    else:
        this = current_sign_in() if own else None
        ended = credentials.change_password(agent, new, keep=this)
        db.session.commit()
        if this is not None:
            renew_sign_in(this)
        others = f" {_sign_ins(ended)} elsewhere ended." if ended else ""
        flash(("Your password was changed." if own else f"{agent.email} has a new password.") + others, "ok")
    return redirect(url_for("profile.show", agent_id=agent.id) + "#password")


@bp.post("/profile/<int:agent_id>/alerts")
@about(access.OWN, "agent_id")
def change_alerts(agent_id: int):
    agent = managed_agent_or_abort(agent_id)
    agent.sound_alerts = request.form.get("sound_alerts") == "on"
    db.session.commit()
    flash("New chats and calls play a sound." if agent.sound_alerts
          else "New chats and calls are silent; notifications and the call bar still show them.", "ok")
    return redirect(url_for("profile.show", agent_id=agent.id) + "#alerts")


@bp.post("/profile/<int:agent_id>/tokens")
@about(access.OWN, "agent_id")
def create_token(agent_id: int):
    agent = managed_agent_or_abort(agent_id)
    name = request.form.get("name", "").strip()
    days = request.form.get("expires_in_days", "")
    if agent.id == current_user.id and not credentials.verify_password(agent, request.form.get("current_password", "")):
        flash("Type your current password to create a token.", "error")
    elif not name or len(name) > 80:
        flash("Give the token a name of up to 80 characters (what will use it?).", "error")
    elif days not in {str(d) if d else "" for d, _ in TOKEN_LIFETIMES}:
        flash("Choose how long the token should work.", "error")
    elif not agent.is_active:
        flash(f"{agent.email} is deactivated; activate the agent before creating tokens.", "error")
    else:
        _, secret = credentials.issue_token(agent, name, credentials.expiry_in(int(days) if days else None))
        db.session.commit()
        flash(f"Copy the new token now, it won't be shown again: {secret}", "token")
    return redirect(url_for("profile.show", agent_id=agent.id) + "#tokens")


@bp.post("/profile/<int:agent_id>/tokens/<int:token_id>/revoke")
@about(access.OWN, "token_id")
def revoke_token(agent_id: int, token_id: int):
    agent = managed_agent_or_abort(agent_id)
    token = db.session.get(ApiToken, token_id)
    if token is None or token.agent_id != agent.id:
        abort(404, description="There is no such token.")
    if credentials.revoke_token(token):
        db.session.commit()
        flash(f"The token “{token.name or token.id}” was revoked; it stops working at once.", "ok")
    return redirect(url_for("profile.show", agent_id=agent.id) + "#tokens")


@bp.post("/profile/<int:agent_id>/sign-ins/<int:sign_in_id>/end")
@about(access.OWN, "sign_in_id")
def end_sign_in(agent_id: int, sign_in_id: int):
    agent = managed_agent_or_abort(agent_id)
    row = db.session.get(AgentSession, sign_in_id)
    if row is None or row.agent_id != agent.id:
        abort(404, description="That sign-in has ended already.")
    this = row.id == getattr(current_sign_in(), "id", None)
    credentials.end_session(row)
    db.session.commit()
    if this:
        return redirect(url_for("auth.login"))
    flash("That sign-in ended: the browser is signed out.", "ok")
    return redirect(url_for("profile.show", agent_id=agent.id) + "#sign-ins")


@bp.post("/profile/<int:agent_id>/sign-ins/end-others")
@about(access.OWN, "agent_id")
def end_other_sign_ins(agent_id: int):
    agent = managed_agent_or_abort(agent_id)
    ended = credentials.end_sessions(agent, keep=current_sign_in() if agent.id == current_user.id else None)
    db.session.commit()
    flash(f"{_sign_ins(ended).capitalize()} ended." if ended else "There were no other sign-ins.", "ok")
    return redirect(url_for("profile.show", agent_id=agent.id) + "#sign-ins")


def _sign_ins(count: int) -> str:
    return f"{count} sign-in{'' if count == 1 else 's'}"


@bp.app_template_filter("when")
def when(value, now=None) -> str:
    """A stored (naive UTC) time for people: "just now", "5 minutes ago", "in 29 days"."""
    if value is None:
        return "never"
    seconds = ((now or utcnow()) - value).total_seconds()
    future, seconds = seconds < 0, abs(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            text = f"{count} {unit}{'' if count == 1 else 's'}"
            return f"in {text}" if future else f"{text} ago"
    return "in a moment" if future else "just now"


@bp.app_template_filter("browser")
def browser(user_agent: str) -> str:
    """A short name for a browser's User-Agent ("Chrome on Mac OS X"), by ua-parser."""
    from ua_parser import parse

    result = parse(user_agent or "")
    name = result.user_agent.family if result.user_agent and result.user_agent.family != "Other" else ""
    system = result.os.family if result.os and result.os.family != "Other" else ""
    if name and system:
        return f"{name} on {system}"
    return name or system or "Unknown browser"
