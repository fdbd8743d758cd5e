"""Admin pages: agents, groups, plugins and plugin settings, the inbox (server-rendered forms)."""
from __future__ import annotations

from flask_babel import gettext
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy.orm import selectinload

from host import access, credentials, inbox, plugin_overview
from host import settings as settings_store
from host import settings_form
from host.extensions import db
from host.models import Agent, Group
from host.plugins import PluginError
from host.profile import password_problem
from host.validation_messages import translated

bp = Blueprint("admin", __name__, url_prefix="/admin")
access.about_blueprint("admin", access.ADMIN)  # every page: see only_admins


@bp.before_request
def only_admins():
    if current_user.is_authenticated and not current_user.is_admin:
        abort(403, description=gettext("Only administrators can open the admin pages."))


def _sb():
    return current_app.extensions["switchboard"]


@bp.route("/")
def index():
    return redirect(url_for("admin.agents"))


@bp.route("/agents", methods=["GET", "POST"])
def agents():
    if request.method == "POST":
        email = request.form.get("email", "").strip().lower()
        password = request.form.get("password", "")
        role = request.form.get("role", "agent")
        group_ids = [int(g) for g in request.form.getlist("group_ids") if g.isdigit()]
        errors = []
        if "@" not in email:
            errors.append(gettext("Enter the agent's email address."))
        if len(password) < 10:
            errors.append(gettext("Use at least 10 characters for the password."))
        if role not in ("agent", "admin"):
            errors.append(gettext("Choose a role: agent or admin."))
        if db.session.execute(db.select(Agent).where(Agent.email == email)).scalar_one_or_none():
            errors.append(gettext("An agent with the email %(email)s already exists.", email=email))
        if errors:
            for error in errors:
                flash(error, "error")
        else:
            agent = Agent(email=email, name=request.form.get("name", "").strip(), role=role)
            agent.set_password(password)
            agent.groups = db.session.execute(db.select(Group).where(Group.id.in_(group_ids))).scalars().all()
            db.session.add(agent)
            db.session.commit()
            flash(gettext("%(email)s can now sign in.", email=email), "ok")
            return redirect(url_for("admin.agents"))
    return render_template("admin/agents.html", page="admin", section="agents",
                           agents=db.session.execute(db.select(Agent).order_by(Agent.email)).scalars().all(),
                           groups=db.session.execute(db.select(Group).order_by(Group.name)).scalars().all())


@bp.route("/agents/<int:agent_id>", methods=["POST"])
def update_agent(agent_id):
    agent = db.get_or_404(Agent, agent_id)
    action = request.form.get("action")
    if agent.id == current_user.id and action in ("deactivate", "make_agent"):
        flash(gettext("You can't remove your own admin role or deactivate yourself."), "error")
    elif action == "deactivate":
        credentials.deactivate(agent)
        flash(gettext("%(email)s is deactivated: signed out everywhere, API tokens revoked.", email=agent.email), "ok")
    elif action == "activate":
        agent.is_active_agent = True
    elif action == "make_admin":
        agent.role = "admin"
    elif action == "make_agent":
        agent.role = "agent"
    elif action == "groups":
        ids = [int(g) for g in request.form.getlist("group_ids") if g.isdigit()]
        agent.groups = db.session.execute(db.select(Group).where(Group.id.in_(ids))).scalars().all()
    elif action == "password":
        problem = password_problem(request.form.get("password", ""))
        if problem:
            flash(problem, "error")
        else:
            credentials.change_password(agent, request.form["password"])
            flash(gettext("%(email)s has a new password and was signed out everywhere.", email=agent.email), "ok")
    elif action == "token":
        if not agent.is_active_agent:
            flash(gettext("%(email)s is deactivated; activate the agent before creating tokens.", email=agent.email), "error")
            return redirect(url_for("admin.agents"))
        _, secret = credentials.issue_token(agent, request.form.get("name", "console"), credentials.expiry_in(90))
        db.session.commit()
        flash(gettext("New API token for %(email)s, valid for 90 days (copy it now, it won't be shown again): %(secret)s",
                      email=agent.email, secret=secret),
              "token")
        return redirect(url_for("admin.agents"))
    db.session.commit()
    return redirect(url_for("admin.agents"))


@bp.route("/groups", methods=["GET", "POST"])
def groups():
    if request.method == "POST":
        name = request.form.get("name", "").strip()
        if not name:
            flash(gettext("Give the group a name."), "error")
        elif db.session.execute(db.select(Group).where(Group.name == name)).scalar_one_or_none():
            flash(gettext("A group called “%(name)s” already exists.", name=name), "error")
        else:
            db.session.add(Group(name=name))
            db.session.commit()
            flash(gettext("Group %(name)s created.", name=name), "ok")
            return redirect(url_for("admin.groups"))
    rows = db.session.execute(db.select(Group).options(selectinload(Group.agents))
                              .order_by(Group.name)).scalars().all()
    return render_template("admin/groups.html", page="admin", section="groups", groups=rows)


@bp.route("/groups/<int:group_id>/default", methods=["POST"])
def default_group(group_id):
    target = db.get_or_404(Group, group_id)
    for group in db.session.execute(db.select(Group)).scalars():
        group.is_default = group.id == target.id
    db.session.commit()
    flash(gettext("New chats with no other route now go to %(name)s.", name=target.name), "ok")
    return redirect(url_for("admin.groups"))


@bp.route("/plugins")
def plugins():
    return render_template("admin/plugins.html", page="admin", section="plugins", plugins=plugin_overview.cards())


@bp.route("/plugins/<name>", methods=["POST"])
def toggle_plugin(name):
    enabled = request.form.get("enabled") == "1"
    if enabled:
        problems = settings_store.problems(name)
        if problems:
            for problem in problems:
                flash(f"{name}: {problem}", "error")
            flash(gettext("%(name)s was not enabled: fix its settings first.", name=name), "error")
            return redirect(url_for("admin.plugin_settings", name=name))
    try:
        _sb().plugins.set_enabled(name, enabled)
        title, _ = plugin_overview.describe(name)
        flash(gettext("%(name)s is now on: open consoles follow within seconds.", name=title) if enabled
              else gettext("%(name)s is now off: open consoles follow within seconds.", name=title), "ok")
    except PluginError as exc:
        flash(str(exc), "error")
    return redirect(url_for("admin.plugins"))


@bp.route("/plugins/<name>/settings", methods=["GET", "POST"])
def plugin_settings(name):
    sb = _sb()
    registered = sb.settings.get(name)
    if registered is None:
        abort(404, description=gettext("This plugin has no settings."))
    errors, submitted = {}, None
    if request.method == "POST":
        try:
            settings_store.save_form(name, request.form)
            flash(gettext("Settings saved."), "ok")
            return redirect(url_for("admin.plugin_settings", name=name))
        except ValidationError as exc:
            errors = {k: settings_form.flat(v) for k, v in exc.messages.items()}
            submitted = exc.data
            flash(gettext("Some settings need attention: %(problems)s", problems=" ".join(settings_store.explain(name, errors))), "error")
    return render_template("admin/settings.html", page="admin", section="plugins", name=name,
                           registered=registered, fields=settings_store.form_fields(name, submitted),
                           errors=translated(errors))


@bp.route("/inbox")
def inbox_page():
    """The inbox's backlog and its dead letters: webhooks that could not be processed."""
    sb = _sb()
    dead = [(event, inbox.describe(sb, event)) for event in inbox.dead_letters()]
    return render_template("admin/inbox.html", page="admin", section="inbox", backlog=inbox.backlog(),
                           max_age=current_app.config["SWITCHBOARD_INBOX_MAX_AGE_SECONDS"], dead=dead)


@bp.route("/inbox/<int:event_id>/reprocess", methods=["POST"])
def inbox_reprocess(event_id):
    if _sb().inbox.reprocess(event_id):
        flash(gettext("The event is back in line; the inbox worker processes it in a moment."), "ok")
    else:
        flash(gettext("That event is no longer a dead letter (it was reprocessed already)."), "error")
    return redirect(url_for("admin.inbox_page"))
