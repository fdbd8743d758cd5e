"""Canned replies: list the ones an agent may insert, create, edit and delete them."""
from __future__ import annotations

from flask_babel import gettext, lazy_gettext
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields, validate

from host import access
from host import canned_replies as service
from host.access import about
from host.extensions import db
from host.models import CannedReply, Group
from host.schemas import RowId, UtcDateTime

blp = Blueprint("canned_replies", __name__, url_prefix="/api/v1/canned-replies",
                description="Saved answers, personal or shared with a group, inserted with / in the reply box")


class CannedReplySchema(Schema):
    id = fields.Int(dump_only=True)
    shortcut = fields.Str(dump_only=True)
    title = fields.Str(dump_only=True)
    body = fields.Str(dump_only=True, metadata={"description": "may hold {{customer.name}}, "
                                                "{{customer.first_name}}, {{agent.name}}, {{agent.first_name}}"})
    group_id = fields.Int(dump_only=True, allow_none=True, metadata={"description": "null: personal"})
    group_name = fields.Function(lambda r: r.group.name if r.group else None, dump_only=True)
    updated_at = UtcDateTime(dump_only=True)


class CannedReplyCreateSchema(Schema):
    shortcut = fields.Str(required=True, validate=validate.Length(max=41))
    title = fields.Str(load_default="", validate=validate.Length(max=120, error=lazy_gettext("Keep the title under 120 characters.")))
    body = fields.Str(required=True)
    group_id = RowId(load_default=None, allow_none=True, metadata={
        "description": "share with this group (one of yours); leave out for a personal reply"})


class CannedReplyUpdateSchema(Schema):
    shortcut = fields.Str(validate=validate.Length(max=41))
    title = fields.Str(validate=validate.Length(max=120, error=lazy_gettext("Keep the title under 120 characters.")))
    body = fields.Str()


def _refuse(problem: service.ReplyProblem):
    db.session.rollback()
    abort(422, errors={"json": {problem.field: [str(problem)]}})


@blp.route("")
class CannedReplies(MethodView):
    @blp.response(200, CannedReplySchema(many=True))
    @about(access.AGENT, reason="lists only the agent's own personal replies and their groups' shared ones")
    def get(self):
        """The replies you may insert: your personal ones, then your groups' shared ones."""
        return service.visible(current_user)

    @blp.arguments(CannedReplyCreateSchema)
    @blp.response(201, CannedReplySchema)
    @about(access.GROUP, "json:group_id")
    def post(self, data):
        """Save a reply: personal, or shared with one of your groups (admins: any group)."""
        group_id = data["group_id"]
        if group_id is not None:
            group = db.session.get(Group, group_id)
            if group is None or not access.may_use_group(current_user, group_id):
                abort(403, message=gettext("You can share replies only with groups you're in."))
        try:
            return service.create(current_user, data["shortcut"], data["body"], data["title"], group_id)
        except service.ReplyProblem as problem:
            _refuse(problem)


def reply_or_404(reply_id: int) -> CannedReply:
    reply = db.session.get(CannedReply, reply_id)
    if not access.may_see_reply(current_user, reply):
        abort(404, message=gettext("There is no such canned reply, or it isn't yours to see."))
    return reply


@blp.route("/<int:reply_id>")
class CannedReplyDetail(MethodView):
    @blp.arguments(CannedReplyUpdateSchema)
    @blp.response(200, CannedReplySchema)
    @about(access.REPLY, "reply_id")
    def patch(self, data, reply_id):
        """Change a reply's shortcut, title or text."""
        reply = reply_or_404(reply_id)
        try:
            return service.update(reply, data.get("shortcut"), data.get("body"), data.get("title"))
        except service.ReplyProblem as problem:
            _refuse(problem)

    @blp.response(204)
    @about(access.REPLY, "reply_id")
    def delete(self, reply_id):
        """Delete a reply (for everyone it was shared with)."""
        service.delete(reply_or_404(reply_id))
