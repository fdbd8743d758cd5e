"""Chats and their messages."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_babel import gettext
from flask_login import current_user
from flask_smorest import Blueprint, abort
from sqlalchemy import and_, func

from host import access, attachments
from host import chats as service
from host.access import about, chat_or_404
from host.extensions import db
from host.models import Agent, Chat, ChatRead, Group, Message
from host.schemas import (ChatListItemSchema, ChatListQuerySchema, ChatSchema, ChatStartSchema,
                          MessageCreateSchema, MessageSchema, ReopenSchema, TransferSchema)

blp = Blueprint("chats", __name__, url_prefix="/api/v1/chats", description="Chats and messages")


def list_chats(view: str, limit: int) -> list[Chat]:
    query = db.select(Chat).where(access.chat_filter(current_user))
    if view == "queued":
        query = query.where(Chat.status == "queued")
    elif view == "mine":
        query = query.where(Chat.status == "active", Chat.agent_id == current_user.id)
    elif view == "active":
        query = query.where(Chat.status == "active")
    elif view == "archived":
        query = query.where(Chat.status == "archived")
    chats = db.session.execute(query.order_by(func.coalesce(Chat.last_message_at, Chat.created_at).desc())
                               .limit(limit)).scalars().all()
    return decorate(chats)


def decorate(chats) -> list[Chat]:
    """Add the last message and this agent's unread count to each chat."""
    if not chats:
        return []
    ids = [c.id for c in chats]
    last_ids = dict(db.session.execute(db.select(Message.chat_id, func.max(Message.id))
                                       .where(Message.chat_id.in_(ids)).group_by(Message.chat_id)).all())
    last = {m.chat_id: m for m in db.session.execute(
        db.select(Message).where(Message.id.in_(list(last_ids.values())))).scalars()}
    unread = dict(db.session.execute(
        db.select(Message.chat_id, func.count(Message.id))
        .outerjoin(ChatRead, and_(ChatRead.chat_id == Message.chat_id, ChatRead.agent_id == current_user.id))
        .where(Message.chat_id.in_(ids), Message.direction == "in",
               Message.id > func.coalesce(ChatRead.last_read_message_id, 0))
        .group_by(Message.chat_id)).all())
    for chat in chats:
        # Transient attributes, read by ChatListItemSchema; never persisted.
        chat.last_message = last.get(chat.id)
        chat.unread = unread.get(chat.id, 0)
    return chats


@blp.route("")
class ChatList(MethodView):
    @blp.arguments(ChatListQuerySchema, location="query")
    @blp.response(200, ChatListItemSchema(many=True))
    @about(access.AGENT, reason="lists only the chats the rule lets this agent see")
    def get(self, args):
        """Chats this agent can see: queued, mine, active, archived or all."""
        return list_chats(args["view"], args["limit"])

    @blp.arguments(ChatStartSchema)
    @blp.response(201, ChatSchema)
    @blp.alt_response(403, description="The customer belongs to a group you're not in; the message says "
                                       "which and what to do")
    @about(access.CUSTOMER, "json:to")
    def post(self, data):
        """Write to a customer first: continues their open chat or starts a new one.

        Only for customers of your groups (or nobody's yet): another group's customer is
        refused with 403 and a sentence naming the group, and nothing changes."""
        refusal = current_app.extensions["switchboard"].channel_refusal(data["channel"])
        if refusal:  # unknown, switched off, or not set up (naming the missing settings)
            abort(422, errors={"json": {"channel": [refusal]}})
        if not data["body"].strip() and not data["template"] and not data["media"]:
            abort(422, errors={"json": {"body": [gettext("Write a message or pick a template.")]}})
        try:
            attachments.check_message(data["channel"], data["media"])
        except attachments.AttachmentRefused as exc:
            abort(422, message=str(exc), errors={"json": {"media": [str(exc)]}})
        address = normalise_address(data["channel"], data["to"])
        try:
            chat, _ = service.start_outbound(current_user, data["channel"], address, body=data["body"],
                                             media=data["media"], template=data["template"])
        except access.CustomerElsewhere as exc:
            db.session.rollback()
            abort(403, message=str(exc))
        except service.ChatError as exc:
            db.session.rollback()  # the chat opened for this message must not stay behind
            abort(409, message=str(exc))
        return chat


def normalise_address(channel: str, value: str) -> str:
    """Ask the channel adapter to normalise a typed address, when it knows how."""
    adapter = current_app.extensions["switchboard"].enabled_channels()[channel]
    normalise = getattr(adapter, "normalise_address", None)
    if normalise is None:
        return value.strip()
    try:
        return normalise(value)
    except ValueError as exc:
        abort(422, errors={"json": {"to": [str(exc)]}})


@blp.route("/<int:chat_id>")
class ChatDetail(MethodView):
    @blp.response(200, ChatListItemSchema)
    @about(access.CHAT, "chat_id")
    def get(self, chat_id):
        """One chat."""
        return decorate([chat_or_404(chat_id)])[0]


@blp.route("/<int:chat_id>/messages")
class ChatMessages(MethodView):
    @blp.response(200, MessageSchema(many=True))
    @about(access.CHAT, "chat_id")
    def get(self, chat_id):
        """The transcript, oldest first."""
        chat = chat_or_404(chat_id)
        return db.session.execute(db.select(Message).where(Message.chat_id == chat.id)
                                  .order_by(Message.id)).scalars().all()

    @blp.arguments(MessageCreateSchema)
    @blp.response(201, MessageSchema)
    @about(access.CHAT, "chat_id")
    def post(self, data, chat_id):
        """Reply. The message is stored in the outbox first, then sent."""
        chat = chat_or_404(chat_id)
        try:
            media = data["media"] + attachments.for_reply(chat, data["attachment_ids"])
        except attachments.AttachmentRefused as exc:
            abort(422, message=str(exc), errors={"json": {"attachment_ids": [str(exc)]}})
        try:
            attachments.check_message(chat.channel, media)
        except attachments.AttachmentRefused as exc:
            field = "media" if data["media"] else "attachment_ids"
            abort(422, message=str(exc), errors={"json": {field: [str(exc)]}})
        try:
            return service.reply(chat, current_user, body=data["body"], media=media, template=data["template"])
        except service.ChatError as exc:
            abort(409, message=str(exc))


def _action(chat_id, fn, *args, **kwargs):
    chat = chat_or_404(chat_id)
    try:
        fn(chat, *args, **kwargs)
    except access.CustomerElsewhere as exc:
        db.session.rollback()
        abort(403, message=str(exc))
    except service.ChatError as exc:
        db.session.rollback()
        abort(409, message=str(exc))
    db.session.refresh(chat)
    return decorate([chat])[0]


@blp.route("/<int:chat_id>/accept", methods=["POST"])
@blp.response(200, ChatListItemSchema)
@about(access.CHAT, "chat_id")
def accept(chat_id):
    """Take a queued chat."""
    return _action(chat_id, service.accept, current_user)


@blp.route("/<int:chat_id>/archive", methods=["POST"])
@blp.response(200, ChatListItemSchema)
@about(access.CHAT, "chat_id")
def archive(chat_id):
    """Close the chat; it moves to the archive."""
    return _action(chat_id, service.archive, current_user)


@blp.route("/<int:chat_id>/reopen", methods=["POST"])
@blp.arguments(ReopenSchema)
@blp.response(200, ChatListItemSchema)
@about(access.CHAT, "chat_id")
def reopen(data, chat_id):
    """Reopen an archived chat on the contact's preferred channel (or the one given)."""
    refusal = data["channel"] and current_app.extensions["switchboard"].channel_refusal(data["channel"])
    if refusal:
        abort(422, errors={"json": {"channel": [refusal]}})
    return _action(chat_id, service.reopen, current_user, channel=data["channel"])


@blp.route("/<int:chat_id>/transfer", methods=["POST"])
@blp.arguments(TransferSchema)
@blp.response(200, ChatListItemSchema)
@about(access.CHAT, "chat_id")
def transfer(data, chat_id):
    """Hand the chat to another agent or group."""
    to_agent = db.session.get(Agent, data["agent_id"]) if data["agent_id"] else None
    to_group = db.session.get(Group, data["group_id"]) if data["group_id"] else None
    if data["agent_id"] and to_agent is None:
        abort(422, errors={"json": {"agent_id": [gettext("There is no agent with this id.")]}})
    if data["group_id"] and to_group is None:
        abort(422, errors={"json": {"group_id": [gettext("There is no group with this id.")]}})
    return _action(chat_id, service.transfer, current_user, to_agent=to_agent, to_group=to_group)


@blp.route("/<int:chat_id>/read", methods=["POST"])
@blp.response(204)
@about(access.CHAT, "chat_id")
def read(chat_id):
    """Mark everything in the chat as read by me."""
    service.mark_read(chat_or_404(chat_id), current_user)
