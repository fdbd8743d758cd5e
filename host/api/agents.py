"""Agents and groups. Reading is for every agent; changes are for admins."""
from __future__ import annotations

from flask_babel import gettext
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint, abort

from host import access, credentials
from host.access import about
from host.api import require_admin
from host.extensions import db
from host.models import Agent, Group
from host.schemas import AgentCreateSchema, AgentSchema, AgentUpdateSchema, GroupSchema, PreferencesSchema

blp = Blueprint("agents", __name__, url_prefix="/api/v1", description="Agents and groups")


def _groups(ids) -> list[Group]:
    groups = db.session.execute(db.select(Group).where(Group.id.in_(ids or []))).scalars().all()
    missing = set(ids or []) - {g.id for g in groups}
    if missing:
        abort(422, errors={"json": {"group_ids": [gettext("There is no group with id %(id)s.", id=sorted(missing)[0])]}})
    return list(groups)


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, AgentSchema)
    @about(access.AGENT, reason="the signed-in agent's own profile")
    def get(self):
        """The signed-in agent."""
        return current_user

    @blp.arguments(PreferencesSchema)
    @blp.response(200, AgentSchema)
    @about(access.AGENT, reason="changes only the signed-in agent's own language and time zone")
    def patch(self, data):
        """Change your interface language and time zone; open consoles and widgets follow at once."""
        from host.profile import announce_preferences

        for key in ("language", "time_zone"):
            if key in data:
                setattr(current_user, key, data[key])
        db.session.commit()
        announce_preferences(current_user)
        return current_user


@blp.route("/agents")
class Agents(MethodView):
    @blp.response(200, AgentSchema(many=True))
    @about(access.AGENT, reason="the team directory (names, emails, groups) for transfers; no customer data")
    def get(self):
        """Every agent (for transfers and assignment)."""
        return db.session.execute(db.select(Agent).order_by(Agent.name, Agent.email)).scalars().all()

    @blp.arguments(AgentCreateSchema)
    @blp.response(201, AgentSchema)
    @about(access.ADMIN)
    def post(self, data):
        """Create an agent (admins only)."""
        require_admin()
        email = data["email"].strip().lower()
        if db.session.execute(db.select(Agent).where(Agent.email == email)).scalar_one_or_none():
            abort(409, message=gettext("An agent with the email %(email)s already exists.", email=email))
        agent = Agent(email=email, name=data["name"], role=data["role"], is_active_agent=data["is_active_agent"])
        agent.set_password(data["password"])
        agent.groups = _groups(data["group_ids"])
        db.session.add(agent)
        db.session.commit()
        return agent


@blp.route("/agents/<int:agent_id>")
class AgentDetail(MethodView):
    @blp.response(200, AgentSchema)
    @about(access.AGENT, reason="a colleague from the team directory; no customer data")
    def get(self, agent_id):
        """One agent."""
        return db.get_or_404(Agent, agent_id, description=gettext("There is no such agent."))

    @blp.arguments(AgentUpdateSchema)
    @blp.response(200, AgentSchema)
    @about(access.ADMIN)
    def patch(self, data, agent_id):
        """Change an agent's name, role, groups, password or active state (admins only).

        Deactivating signs the agent out everywhere and revokes their API tokens for good;
        a new password signs them out everywhere. Open realtime connections follow
        within seconds."""
        require_admin()
        agent = db.get_or_404(Agent, agent_id, description=gettext("There is no such agent."))
        if agent.id == current_user.id and (data.get("role") == "agent" or data.get("active") is False):
            abort(409, message=gettext("You can't remove your own admin role or deactivate yourself."))
        for field in ("name", "role"):
            if field in data:
                setattr(agent, field, data[field])
        if "active" in data:
            credentials.set_active(agent, data["active"])
        if "group_ids" in data:
            agent.groups = _groups(data["group_ids"])
        if data.get("password"):
            credentials.change_password(agent, data["password"])
        db.session.commit()
        return agent


@blp.route("/groups")
class Groups(MethodView):
    @blp.response(200, GroupSchema(many=True))
    @about(access.AGENT, reason="group names, to transfer chats to; no customer data")
    def get(self):
        """Every group."""
        return db.session.execute(db.select(Group).order_by(Group.name)).scalars().all()

    @blp.arguments(GroupSchema)
    @blp.response(201, GroupSchema)
    @about(access.ADMIN)
    def post(self, data):
        """Create a group (admins only)."""
        require_admin()
        if db.session.execute(db.select(Group).where(Group.name == data["name"])).scalar_one_or_none():
            abort(409, message=gettext("A group called “%(name)s” already exists.", name=data["name"]))
        group = Group(name=data["name"], is_default=data["is_default"])
        if group.is_default:
            for other in db.session.execute(db.select(Group)).scalars():
                other.is_default = False
        db.session.add(group)
        db.session.commit()
        return group


def issue_token(agent: Agent, name: str = "", expires_in_days: int | None = None) -> str:
    _, secret = credentials.issue_token(agent, name, credentials.expiry_in(expires_in_days))
    db.session.commit()
    return secret
