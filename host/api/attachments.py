"""Attachments: upload a file to send in a chat, read one back, and the public signed
link providers fetch it from (see :mod:`host.attachments`)."""
from __future__ import annotations

from flask_babel import gettext
from flask import Blueprint as FlaskBlueprint, Response, abort as flask_abort, request
from flask_login import current_user
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields

from host import access
from host import attachments as service
from host.access import about, chat_or_404
from host.extensions import db
from host.models import Attachment

blp = Blueprint("attachments", __name__, url_prefix="/api/v1", description="Files attached to replies")
public = FlaskBlueprint("attachment_links", __name__)


class UploadedFileSchema(Schema):
    id = fields.Int()
    filename = fields.Str()
    content_type = fields.Str()
    size = fields.Int(metadata={"description": "bytes"})
    url = fields.Function(lambda a: f"/api/v1/attachments/{a.id}", metadata={"description": "for agents"})


def _visible(agent, attachment_id) -> bool:
    try:
        attachment = db.session.get(Attachment, int(attachment_id))
    except (TypeError, ValueError):
        return False
    return attachment is not None and access.may_see_chat(agent, attachment.chat)


access.register_check(access.MEDIA, _visible, where="attachment_id")


@blp.route("/chats/<int:chat_id>/attachments", methods=["POST"])
@blp.response(201, UploadedFileSchema)
@blp.alt_response(422, description="The chat's channel doesn't take this file; the message says why")
@about(access.CHAT, "chat_id")
def upload(chat_id):
    """Upload a file (multipart field ``file``) to attach to a reply in this chat; send it
    by listing its id in the reply's ``attachment_ids``."""
    chat = chat_or_404(chat_id)
    file = request.files.get("file")
    if file is None or not file.filename:
        abort(422, message=gettext("Choose a file to attach."), errors={"files": {"file": [gettext("Choose a file to attach.")]}})
    data = file.read()
    if not data:
        empty = gettext("%(name)s is empty.", name=file.filename)
        abort(422, message=empty, errors={"files": {"file": [empty]}})
    try:
        return service.store(chat, current_user, file.filename, file.mimetype, data)
    except service.AttachmentRefused as exc:
        db.session.rollback()
        abort(422, message=str(exc), errors={"files": {"file": [str(exc)]}})


@blp.route("/attachments/<int:attachment_id>", methods=["GET"])
@about(access.MEDIA, "attachment_id")
def read(attachment_id):
    """The file, for agents who may see its chat (``?download=1`` saves it)."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or not access.may_see_chat(current_user, attachment.chat):
        abort(404, message=gettext("There is no such attachment, or its chat belongs to a group you're not in."))
    return _file(attachment, "attachment" if request.args.get("download") else "inline")


@public.get("/media/<token>/<path:filename>")
def link(token, filename):
    """The signed link a provider fetches (no sign-in: the token is the credential)."""
    attachment = service.from_token(token)
    if attachment is None:
        flask_abort(404)
    return _file(attachment, "inline")


def _file(attachment: Attachment, disposition: str) -> Response:
    response = Response(attachment.data, mimetype=attachment.content_type)
    response.headers["Content-Disposition"] = f'{disposition}; filename="{attachment.filename}"'
    response.headers["Content-Length"] = str(attachment.size)
    response.headers["X-Content-Type-Options"] = "nosniff"
    # Uploaded HTML or SVG must never run as a page of ours.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
