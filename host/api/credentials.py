"""An agent's API tokens, sign-ins and password (the agent themself, or an admin)."""
from __future__ import annotations

from flask_babel import gettext, lazy_gettext
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields, validate

from host import access, credentials
from host.access import about
from host.auth import renew_sign_in
from host.extensions import db
from host.models import Agent, AgentSession, ApiToken
from host.profile import MIN_PASSWORD, current_sign_in, may_manage
from host.schemas import UtcDateTime

blp = Blueprint("credentials", __name__, url_prefix="/api/v1", description="API tokens, sign-ins and passwords")

PASSWORD = validate.Length(min=MIN_PASSWORD, error=lazy_gettext("Use at least 10 characters for the password."))


class ApiTokenSchema(Schema):
    id = fields.Int(dump_only=True)
    agent_id = fields.Int(dump_only=True)
    name = fields.Str(dump_only=True)
    state = fields.Str(dump_only=True, metadata={"description": "active, expired or revoked"})
    created_at = UtcDateTime(dump_only=True)
    last_used_at = UtcDateTime(dump_only=True, allow_none=True,
                               metadata={"description": "updated at most once a minute"})
    expires_at = UtcDateTime(dump_only=True, allow_none=True)
    revoked_at = UtcDateTime(dump_only=True, allow_none=True)


class ApiTokenCreateSchema(Schema):
    name = fields.Str(required=True, validate=validate.Length(
        min=1, max=80, error=lazy_gettext("Give the token a name of up to 80 characters.")))
    expires_in_days = fields.Int(load_default=None, allow_none=True, strict=True, validate=validate.Range(
        min=1, max=3650, error=lazy_gettext("A token can work for 1 to 3650 days, or leave this out for no expiry.")))
    current_password = fields.Str(load_default="", load_only=True, metadata={
        "description": "your password, needed to create a token for yourself"})


class NewApiTokenSchema(ApiTokenSchema):
    secret = fields.Str(dump_only=True, metadata={"description": "shown this once, never again"})


class SignInSchema(Schema):
    id = fields.Int(dump_only=True)
    agent_id = fields.Int(dump_only=True)
    remember = fields.Bool(dump_only=True)
    user_agent = fields.Str(dump_only=True)
    ip_address = fields.Str(dump_only=True)
    created_at = UtcDateTime(dump_only=True)
    last_seen_at = UtcDateTime(dump_only=True)
    current = fields.Method("_current", dump_only=True)

    def _current(self, row):
        return row.id == getattr(current_sign_in(), "id", None)


class PasswordChangeSchema(Schema):
    current_password = fields.Str(required=True, load_only=True)
    new_password = fields.Str(required=True, load_only=True, validate=PASSWORD)


def _managed(agent_id: int) -> Agent:
    agent = db.session.get(Agent, agent_id)
    if agent is None:
        abort(404, message=gettext("There is no such agent."))
    if not may_manage(current_user, agent):
        abort(403, message=gettext("You can manage only your own tokens and sign-ins."))
    return agent


@blp.route("/agents/<int:agent_id>/tokens")
class AgentTokens(MethodView):
    @blp.response(200, ApiTokenSchema(many=True))
    @about(access.OWN, "agent_id")
    def get(self, agent_id):
        """The agent's API tokens, newest first (the agent themself or an admin)."""
        return credentials.tokens_of(_managed(agent_id))

    @blp.arguments(ApiTokenCreateSchema)
    @blp.response(201, NewApiTokenSchema)
    @about(access.OWN, "agent_id")
    def post(self, data, agent_id):
        """Create a token. For yourself, send your ``current_password``; admins may create
        them for any active agent."""
        agent = _managed(agent_id)
        if agent.id == current_user.id and not credentials.verify_password(agent, data["current_password"]):
            abort(422, errors={"json": {"current_password": [gettext("Type your current password to create a token.")]}})
        if not agent.is_active:
            abort(409, message=gettext("%(email)s is deactivated; activate the agent before creating tokens.", email=agent.email))
        token, secret = credentials.issue_token(agent, data["name"], credentials.expiry_in(data["expires_in_days"]))
        db.session.commit()
        token.secret = secret
        return token


@blp.route("/tokens/<int:token_id>")
class Token(MethodView):
    @blp.response(204)
    @about(access.OWN, "token_id")
    def delete(self, token_id):
        """Revoke a token: it stops working at once, its open realtime connections close
        within seconds, and it stays listed as revoked."""
        token = db.session.get(ApiToken, token_id)
        if token is None or not may_manage(current_user, token.agent):
            abort(404, message=gettext("There is no such token."))
        credentials.revoke_token(token)
        db.session.commit()


@blp.route("/agents/<int:agent_id>/sign-ins")
class AgentSignIns(MethodView):
    @blp.response(200, SignInSchema(many=True))
    @about(access.OWN, "agent_id")
    def get(self, agent_id):
        """The browsers the agent is signed in with, most recently active first."""
        return credentials.sessions_of(_managed(agent_id))


@blp.route("/sign-ins/<int:sign_in_id>")
class SignIn(MethodView):
    @blp.response(204)
    @about(access.OWN, "sign_in_id")
    def delete(self, sign_in_id):
        """Sign that browser out (its session and "keep me signed in" cookies stop working)."""
        row = db.session.get(AgentSession, sign_in_id)
        if row is None or not may_manage(current_user, row.agent):
            abort(404, message=gettext("That sign-in has ended already."))
        credentials.end_session(row)
        db.session.commit()


@blp.route("/me/password", methods=["POST"])
@blp.arguments(PasswordChangeSchema)
@blp.response(204)
@about(access.AGENT, reason="changes the signed-in agent's own password")
def change_own_password(data):
    """Change your password: every other sign-in of yours ends; called from a browser,
    that one stays signed in with new cookies (copies of the old ones end). API tokens
    keep working; revoke them separately."""
    agent = current_user._get_current_object()
    if not credentials.verify_password(agent, data["current_password"]):
        abort(422, errors={"json": {"current_password": [gettext("That is not your current password.")]}})
    this = current_sign_in()
    credentials.change_password(agent, data["new_password"], keep=this)
    db.session.commit()
    if this is not None:
        renew_sign_in(this)
