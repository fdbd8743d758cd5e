"""The Twilio plugin's JSON API under /api/v1/twilio (agents; admin actions say so)."""
from __future__ import annotations

from urllib.parse import unquote, urlsplit

from flask_babel import gettext, ngettext
from flask_login import current_user
from flask_smorest import Blueprint, abort
from sqlalchemy import or_

from host.plugin_api import access, db, Agent, Call, Chat, Message
from host.plugin_api.access import about, chat_or_404
from host.plugin_api.chats import failure_sentence
from host.plugin_api.web import require_admin

from plugins.twilio_channel.messaging import templates as content_templates
from plugins.twilio_channel.schemas import (ChatQuerySchema, CredentialsResultSchema, LogEntrySchema, LogsQuerySchema,
                      SendersSchema, TemplateItemSchema, TemplateListQuerySchema, WebhookUrlsSchema,
                      WindowSchema)
from plugins.twilio_channel.settings import load_config
from plugins.twilio_channel.account.checks import check_credentials, webhook_urls
from plugins.twilio_channel.messaging.whatsapp_window import window_for

blp = Blueprint("twilio", __name__, url_prefix="/api/v1/twilio", description="Twilio messaging")

@blp.route("/whatsapp/window")
@blp.arguments(ChatQuerySchema, location="query")
@blp.response(200, WindowSchema)
@about(access.CHAT, "query:chat_id")
def whatsapp_window(args):
    """Whether WhatsApp's 24-hour window is open for the chat's customer, and until when."""
    chat = chat_or_404(args["chat_id"])
    state = window_for(chat, "whatsapp" if chat.channel in ("sms", "whatsapp") else chat.channel)
    return {"chat_id": chat.id, "channel": chat.channel, "sender": state.sender, "applies": state.applies,
            "open": state.open,
            "last_inbound_at": state.last_inbound_at, "closes_at": state.closes_at,
            "seconds_left": state.seconds_left, "message": state.refusal}


@blp.route("/templates")
@blp.arguments(TemplateListQuerySchema, location="query")
@blp.response(200, TemplateItemSchema(many=True))
@about(access.CHAT, "query:chat_id")  # optional: the chat whose (sub)account's templates to offer
def templates(args):
    """Templates approved for WhatsApp (Twilio Content API, every page), for the picker.

    Kept as a catalogue for ten minutes; ``refresh=true`` reads Twilio again.
    """
    return [content_templates.describe(t) for t in _templates(content_templates.approved_for_whatsapp, args)]


def _templates(read, args):
    """``read(fresh, account)`` for the account whose templates the chat may use (a
    subaccount's own for its senders), errors as sentences."""
    from plugins.twilio_channel.account.subaccounts import AccountUnavailable
    from plugins.twilio_channel.messaging.channels import template_account

    try:
        chat = chat_or_404(args["chat_id"]) if args.get("chat_id") else None
        return read(args["refresh"], template_account(chat))
    except content_templates.TemplatesUnavailable as exc:
        abort(exc.status, message=str(exc))
    except AccountUnavailable as exc:
        abort(502, message=gettext("Twilio could not be reached for this subaccount's templates (%(error)s).",
                                    error=exc))


@blp.route("/templates/all")
@blp.arguments(TemplateListQuerySchema, location="query")
@blp.response(200, TemplateItemSchema(many=True))
@about(access.ADMIN)
def all_templates(args):
    """Every template of the account with its WhatsApp approval status and rejection reason (admins only)."""
    require_admin()
    return [content_templates.describe(t) for t in _templates(content_templates.catalogue, args)]


@blp.route("/logs")
@blp.arguments(LogsQuerySchema, location="query")
@blp.response(200, LogEntrySchema(many=True))
@about(access.CHAT, "query:chat_id")
def logs(args):
    """Everything sent to the open chat's customer, and every call with them (both ways),
    across their active and archived chats.

    Same contact when the chat has one, else the same phone number (SMS and WhatsApp
    forms). Only chats this agent may see are included. Newest first.
    """
    chat = chat_or_404(args["chat_id"])
    chats = {c.id: c for c in db.session.execute(
        _related_chats(chat).where(access.chat_filter(current_user))).scalars()}
    channel = args["channel"]
    rows = []
    if channel != "voice":
        # A call's transcript line is not a send: the call is listed once, from its own record.
        query = db.select(Message).where(Message.chat_id.in_(list(chats)), Message.direction == "out",
                                         Message.kind != "call")
        if channel:
            query = query.where(Message.channel == channel)
        for m in db.session.execute(query.order_by(Message.id.desc()).limit(args["limit"])).scalars():
            rows.append(_message_row(m, chats[m.chat_id]))
    if channel in (None, "voice"):
        calls = db.session.execute(db.select(Call).where(Call.chat_id.in_(list(chats)))
                                   .order_by(Call.id.desc()).limit(args["limit"])).scalars()
        rows.extend(_call_row(c, chats[c.chat_id]) for c in calls)
    rows.sort(key=lambda r: r["time"], reverse=True)
    return rows[: args["limit"]]


def _related_chats(chat: Chat):
    if chat.contact_id is not None:
        return db.select(Chat).where(Chat.contact_id == chat.contact_id)
    bare = chat.customer_address.removeprefix("whatsapp:")
    return db.select(Chat).where(Chat.contact_id.is_(None),
                                 or_(Chat.customer_address == bare, Chat.customer_address == "whatsapp:" + bare))


def attachment_name(url: str) -> str:
    """A file's name as people know it: the last part of its address, decoded."""
    path = urlsplit(url or "").path
    return unquote(path.rstrip("/").rsplit("/", 1)[-1]) or "attachment"


def _message_row(m: Message, chat: Chat) -> dict:
    template_name = (m.template or {}).get("name") or ((m.template or {}).get("sid") if m.template else None)
    attachments = [{"name": item.get("name") or attachment_name(item.get("url")),
                    "content_type": item.get("content_type") or "application/octet-stream"}
                   for item in (m.media or [])]
    body = m.body or (gettext("Template: %(name)s", name=template_name) if template_name else "")
    if not body and attachments:
        body = ngettext("Attachment: %(names)s", "Attachments: %(names)s", len(attachments),
                        names=", ".join(a["name"] for a in attachments))
    return {"id": m.id, "chat_id": m.chat_id, "chat_status": chat.status, "time": m.created_at,
            "sender": m.sender, "recipient": m.recipient, "channel": m.channel, "kind": m.kind,
            "body": body, "attachments": attachments,
            "template_name": template_name, "status": m.status,
            "display_status": "failed" if m.status == "undelivered" else m.status,
            "error_code": m.error_code,
            # worded as the console words it: in the reader's language where the code is known
            "error_message": failure_sentence(m),
            "agent_name": (m.agent.name or m.agent.email) if m.agent else None, "external_id": m.external_id}


def _call_row(c: Call, chat: Chat) -> dict:
    agent = db.session.get(Agent, c.answered_by_id) if c.answered_by_id else None
    incoming = c.direction == "in"
    if c.ended_at and not c.answered_at:
        body = gettext("Missed incoming call") if incoming else gettext("Missed outgoing call")
    elif c.duration:
        duration = f"{c.duration // 60}:{c.duration % 60:02d}"
        body = (gettext("Incoming call (%(duration)s)", duration=duration) if incoming
                else gettext("Outgoing call (%(duration)s)", duration=duration))
    else:
        body = gettext("Incoming call") if incoming else gettext("Outgoing call")
    return {"id": c.id, "chat_id": c.chat_id, "chat_status": chat.status, "time": c.started_at,
            "sender": c.from_address, "recipient": c.to_address, "channel": "voice", "kind": "call",
            "body": body, "attachments": [], "template_name": None, "status": c.status,
            "display_status": c.status, "error_code": None, "error_message": None,
            "agent_name": (agent.name or agent.email) if agent else None, "external_id": c.call_sid}


@blp.route("/senders")
@blp.response(200, SendersSchema)
@about(access.AGENT, reason="our own numbers and senders, no customer data")
def senders():
    """Our numbers and WhatsApp senders (for the SMS and WhatsApp tabs)."""
    config = load_config()
    return {"mode": config.account.mode, "numbers": list(config.numbers),
            "whatsapp_senders": list(config.whatsapp_senders),
            "messaging_service_sids": list(config.messaging_service_sids)}


@blp.route("/webhook-urls")
@blp.response(200, WebhookUrlsSchema)
@about(access.ADMIN)
def urls():
    """The URLs to paste into Twilio's console (admins only)."""
    require_admin()
    return webhook_urls()


@blp.route("/credentials/test", methods=["POST"])
@blp.response(200, CredentialsResultSchema)
@about(access.ADMIN)
def credentials_test():
    """Fetch the Twilio account with the configured credentials (admins only)."""
    require_admin()
    return check_credentials()
