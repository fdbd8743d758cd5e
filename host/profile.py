"""The profile page: an agent's alerts, password, API tokens and sign-ins (admins: anyone's).

Who may manage whose credentials is one rule, :func:`may_manage`: the agent themself or
an admin; the API (``host.api.credentials``) applies the same one.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_timedelta, gettext, lazy_gettext, ngettext, refresh
from flask_login import current_user

from host import access, credentials, i18n
from host.access import about
from host.auth import renew_sign_in
from host.extensions import db
from host.models import Agent, AgentSession, ApiToken, utcnow

bp = Blueprint("profile", __name__)

MIN_PASSWORD = 10
#: What the token form offers, in days (None: until revoked).
TOKEN_LIFETIMES = ((30, lazy_gettext("30 days")), (90, lazy_gettext("90 days")), (365, lazy_gettext("1 year")),
                   (None, lazy_gettext("No expiry")))


def may_manage(actor, agent: Agent) -> bool:
    """Whether ``actor`` may see and change ``agent``'s password, tokens and sign-ins."""
    return actor.is_admin or actor.id == agent.id


def _manages(kind, key: str, status: int, message):
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
_manages(Agent, "agent_id", 403, lazy_gettext("You can manage only your own password, tokens and sign-ins."))
_manages(ApiToken, "token_id", 404, lazy_gettext("There is no such token."))
_manages(AgentSession, "sign_in_id", 404, lazy_gettext("That sign-in has ended already."))


def managed_agent_or_abort(agent_id: int) -> Agent:
    agent = db.session.get(Agent, agent_id)
    if agent is None:
        abort(404, description=gettext("There is no such agent."))
    if not may_manage(current_user, agent):
        abort(403, description=gettext("You can manage only your own password, tokens and sign-ins."))
    return agent


def password_problem(password: str, repeated: str | None = None) -> str | None:
    if len(password or "") < MIN_PASSWORD:
        return gettext("Use at least %(count)s characters for the password.", count=MIN_PASSWORD)
    if repeated is not None and password != repeated:
        return gettext("The two new passwords differ. Type the same one twice.")
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
        lifetimes=TOKEN_LIFETIMES, now=utcnow(), languages=i18n.language_options(),
        language=agent.language or i18n.browser_language(), time_zone=agent.time_zone,
        time_zones=i18n.time_zones())


@bp.post("/profile/<int:agent_id>/password")
@about(access.OWN, "agent_id")
def change_password(agent_id: int):
    agent = managed_agent_or_abort(agent_id)
    own = agent.id == current_user.id
    new, repeated = request.form.get("new_password", ""), request.form.get("repeat_password", "")
    if own and not credentials.verify_password(agent, request.form.get("current_password", "")):
        flash(gettext("Your current password isn't right. Type it again to change it."), "error")
    elif problem := password_problem(new, repeated):
        flash(problem, "error")
    else:
        this = current_sign_in() if own else None
        ended = credentials.change_password(agent, new, keep=this)
        db.session.commit()
        if this is not None:
            renew_sign_in(this)
        changed = gettext("Your password was changed.") if own else gettext(
            "%(email)s has a new password.", email=agent.email)
        others = ngettext("%(num)d sign-in elsewhere ended.", "%(num)d sign-ins elsewhere ended.", ended)
        flash(f"{changed} {others}" if ended else changed, "ok")
    return redirect(url_for("profile.show", agent_id=agent.id) + "#password")


@bp.post("/profile/<int:agent_id>/alerts")
@about(access.OWN, "agent_id")
def change_alerts(agent_id: int):
    agent = managed_agent_or_abort(agent_id)
    agent.sound_alerts = request.form.get("sound_alerts") == "on"
    db.session.commit()
    flash(gettext("New chats and calls play a sound.") if agent.sound_alerts
          else gettext("New chats and calls are silent; notifications and the call bar still show them."), "ok")
    return redirect(url_for("profile.show", agent_id=agent.id) + "#alerts")


@bp.post("/profile/<int:agent_id>/language")
@about(access.OWN, "agent_id")
def change_language(agent_id: int):
    agent = managed_agent_or_abort(agent_id)
    language, zone = request.form.get("language", ""), request.form.get("time_zone", "")
    if not i18n.valid_language(language):
        flash(gettext("Choose one of the languages in the list."), "error")
    elif not i18n.valid_time_zone(zone):
        flash(gettext("Choose a time zone from the list, for example Europe/Madrid."), "error")
    else:
        agent.language, agent.time_zone = language, zone
        db.session.commit()
        announce_preferences(agent)
        if agent.id == current_user.id:
            refresh()  # this answer already speaks the new language
        flash(gettext("Switchboard speaks %(language)s and shows times in %(zone)s.",
                      language=i18n.locale_name(language), zone=i18n.time_zone_label(zone)), "ok")
    return redirect(url_for("profile.show", agent_id=agent.id) + "#language")


def announce_preferences(agent: Agent) -> None:
    """Tell the agent's open consoles and widgets (the Agent App's frame too) to switch."""
    from host.realtime import push
    from host.rooms import agent_room

    push("agent:preferences", {"language": agent.language, "time_zone": agent.time_zone}, [agent_room(agent.id)])


@bp.post("/profile/<int:agent_id>/tokens")
@about(access.OWN, "agent_id")
def create_token(agent_id: int):
    agent = managed_agent_or_abort(agent_id)
    name = request.form.get("name", "").strip()
    days = request.form.get("expires_in_days", "")
    if agent.id == current_user.id and not credentials.verify_password(agent, request.form.get("current_password", "")):
        flash(gettext("Type your current password to create a token."), "error")
    elif not name or len(name) > 80:
        flash(gettext("Give the token a name of up to 80 characters (what will use it?)."), "error")
    elif days not in {str(d) if d else "" for d, _ in TOKEN_LIFETIMES}:
        flash(gettext("Choose how long the token should work."), "error")
    elif not agent.is_active:
        flash(gettext("%(email)s is deactivated; activate the agent before creating tokens.", email=agent.email), "error")
    else:
        _, secret = credentials.issue_token(agent, name, credentials.expiry_in(int(days) if days else None))
        db.session.commit()
        flash(gettext("Copy the new token now, it won't be shown again: %(secret)s", secret=secret), "token")
    return redirect(url_for("profile.show", agent_id=agent.id) + "#tokens")


@bp.post("/profile/<int:agent_id>/tokens/<int:token_id>/revoke")
@about(access.OWN, "token_id")
def revoke_token(agent_id: int, token_id: int):
    agent = managed_agent_or_abort(agent_id)
    token = db.session.get(ApiToken, token_id)
    if token is None or token.agent_id != agent.id:
        abort(404, description=gettext("There is no such token."))
    if credentials.revoke_token(token):
        db.session.commit()
        flash(gettext("The token “%(name)s” was revoked; it stops working at once.", name=token.name or token.id), "ok")
    return redirect(url_for("profile.show", agent_id=agent.id) + "#tokens")


@bp.post("/profile/<int:agent_id>/sign-ins/<int:sign_in_id>/end")
@about(access.OWN, "sign_in_id")
def end_sign_in(agent_id: int, sign_in_id: int):
    agent = managed_agent_or_abort(agent_id)
    row = db.session.get(AgentSession, sign_in_id)
    if row is None or row.agent_id != agent.id:
        abort(404, description=gettext("That sign-in has ended already."))
    this = row.id == getattr(current_sign_in(), "id", None)
    credentials.end_session(row)
    db.session.commit()
    if this:
        return redirect(url_for("auth.login"))
    flash(gettext("That sign-in ended: the browser is signed out."), "ok")
    return redirect(url_for("profile.show", agent_id=agent.id) + "#sign-ins")


@bp.post("/profile/<int:agent_id>/sign-ins/end-others")
@about(access.OWN, "agent_id")
def end_other_sign_ins(agent_id: int):
    agent = managed_agent_or_abort(agent_id)
    ended = credentials.end_sessions(agent, keep=current_sign_in() if agent.id == current_user.id else None)
    db.session.commit()
    flash(ngettext("%(num)d sign-in ended.", "%(num)d sign-ins ended.", ended) if ended
          else gettext("There were no other sign-ins."), "ok")
    return redirect(url_for("profile.show", agent_id=agent.id) + "#sign-ins")


@bp.app_template_filter("when")
def when(value, now=None) -> str:
    """A stored (naive UTC) time for people: "just now", "5 minutes ago", "in 30 days"."""
    if value is None:
        return gettext("never")
    seconds = ((now or utcnow()) - value).total_seconds()
    if abs(seconds) < 60:
        return gettext("in a moment") if seconds < 0 else gettext("just now")
    # Babel words the distance in the request's language ("hace 5 minutos", "za 29 dni").
    # Between a day and two months it counts days: a token that "expires in 4 weeks" may
    # have 31 days left, and people plan by the day.
    delta = -timedelta(seconds=seconds)
    if timedelta(days=1) <= abs(delta) < timedelta(days=60):
        return format_timedelta(delta, add_direction=True, granularity="day", threshold=60)
    return format_timedelta(delta, add_direction=True, threshold=1)


@bp.app_template_filter("browser")
def browser(user_agent: str) -> str:
    """A short name for a browser's User-Agent ("Chrome on Mac OS X"), by ua-parser."""
    from ua_parser import parse

    result = parse(user_agent or "")
    name = result.user_agent.family if result.user_agent and result.user_agent.family != "Other" else ""
    system = result.os.family if result.os and result.os.family != "Other" else ""
    if name and system:
        return gettext("%(browser)s on %(system)s", browser=name, system=system)
    return name or system or gettext("Unknown browser")
