"""REST for the Agent App bridge and the LiveChat tab (signed-in agents; the host guards).

* ``GET /api/v1/livechat/resolve?chat_id=&customer_id=`` — which Switchboard chat mirrors a
  LiveChat chat (or, failing that, the customer's most recent one);
* ``GET /api/v1/livechat/chats/<id>/sync`` — the chat's mirror and waiting/failed calls;
* ``POST /api/v1/livechat/chats/<id>/sync/retry`` — make them due now (and mirror a chat
  that never was);
* ``GET /api/v1/livechat/widget`` — what the details widget needs to start (the page's
  bootstrap data), for the Agent App widget signed in with a token instead of a cookie;
* ``POST /api/v1/livechat/widget/token`` — that widget exchanges its token for a fresh one
  before it expires (the old one ends a minute later), so an open widget stays signed in.
"""
from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext
from flask_login import current_user
from flask_smorest import Blueprint, abort
from marshmallow import Schema, fields

from host.plugin_api import access, db, Chat
from host.plugin_api.access import about
from plugins.livechat import settings, sync_queue
from plugins.livechat.models import LiveChatChat, LiveChatCustomer
from plugins.livechat.sync_state import summary

# How long a renewed widget token keeps working: long enough for the answer to reach the
# widget and its realtime connection to be made again, on the slowest network.
RENEWAL_OVERLAP = timedelta(minutes=1)


class ResolveQuerySchema(Schema):
    chat_id = fields.Str(load_default=None, metadata={"description": "LiveChat chat id"})
    customer_id = fields.Str(load_default=None, metadata={"description": "LiveChat customer id (entity id)"})


class ResolvedSchema(Schema):
    chat_id = fields.Int(metadata={"description": "Switchboard chat id"})
    lc_chat_id = fields.Str(allow_none=True)
    status = fields.Str()
    customer_name = fields.Str()
    customer_address = fields.Str()


class SyncItemSchema(Schema):
    id = fields.Int()
    action = fields.Str()
    label = fields.Str(metadata={"description": "The action in words, in the request's language"})
    state = fields.Str()
    attempts = fields.Int()
    last_error = fields.Str(allow_none=True)
    next_attempt_at = fields.Str(allow_none=True)
    created_at = fields.Str(allow_none=True)


class SyncStateSchema(Schema):
    as_of = fields.Float(metadata={"description": "When the state was read (Unix seconds): keep the newest."})
    chat_id = fields.Int()
    configured = fields.Bool()
    mirrored = fields.Bool()
    lc_chat_id = fields.Str(allow_none=True)
    lc_thread_id = fields.Str(allow_none=True)
    lc_group_id = fields.Int(allow_none=True)
    active = fields.Bool()
    pending = fields.Int()
    failed = fields.Int()
    delayed = fields.Bool()
    status_code = fields.Str(metadata={"description": "failed, delayed, not_configured, syncing, in_sync or "
                                                      "not_mirrored"})
    status_error = fields.Str(allow_none=True, metadata={"description": "What LiveChat said, when failed or delayed"})
    status = fields.Str(metadata={"description": "The state in a sentence, in the request's language"})
    items = fields.List(fields.Nested(SyncItemSchema))


class WidgetTokenSchema(Schema):
    widget_token = fields.Str(metadata={"description": "The new token; the one that asked is revoked"})
    expires_in = fields.Int(metadata={"description": "Seconds until the new token expires"})


class WidgetStartSchema(Schema):
    agent = fields.Dict(metadata={"description": "The signed-in agent"})
    isAdmin = fields.Bool()
    csrfToken = fields.Str(metadata={"description": "For cookie-signed requests; empty with a token"})
    tabs = fields.List(fields.Dict(), metadata={"description": "The widget's tabs"})
    channels = fields.List(fields.Dict(), metadata={"description": "Enabled channels"})
    channelCatalogue = fields.List(fields.Dict(), metadata={
        "description": "Every registered channel's description, for drawing chats of any channel"})
    plugins = fields.List(fields.Str(), metadata={"description": "Enabled plugins"})
    language = fields.Str(metadata={"description": "The interface language, e.g. es"})
    timeZone = fields.Str(allow_none=True, metadata={"description": "The agent's IANA time zone; null: the browser's"})
    messages = fields.Dict(keys=fields.Str(), values=fields.Dict(keys=fields.Str(), values=fields.Str()),
                           metadata={"description": "ICU message catalogs by namespace (host, plugins)"})


def _visible(chat: Chat | None) -> Chat:
    if not access.may_see_chat(current_user, chat):
        abort(404, message=gettext("Switchboard has no chat for this LiveChat conversation that you can see."))
    return chat


def api_blueprint() -> Blueprint:
    blp = Blueprint("livechat_api", __name__, url_prefix="/api/v1/livechat",
                    description="LiveChat sync: Agent App bridge and sync state")

    @blp.route("/resolve")
    @blp.arguments(ResolveQuerySchema, location="query")
    @blp.response(200, ResolvedSchema)
    @about(access.CHAT, "query:chat_id")  # a LiveChat chat id, mapped to its mirrored chat
    def resolve(args):
        """The Switchboard chat behind a LiveChat chat or customer."""
        if not args["chat_id"] and not args["customer_id"]:
            abort(422, message=gettext("Give a LiveChat chat_id or customer_id."))
        link = None
        if args["chat_id"]:
            link = db.session.execute(db.select(LiveChatChat).where(
                LiveChatChat.lc_chat_id == args["chat_id"])).scalar_one_or_none()
        if link is None and args["customer_id"]:
            link = db.session.execute(
                db.select(LiveChatChat).join(LiveChatCustomer, LiveChatChat.customer_id == LiveChatCustomer.id)
                .where(LiveChatCustomer.entity_id == args["customer_id"])
                .order_by(LiveChatChat.updated_at.desc(), LiveChatChat.id.desc())).scalars().first()
        chat = _visible(db.session.get(Chat, link.chat_id) if link else None)
        return {"chat_id": chat.id, "lc_chat_id": link.lc_chat_id, "status": chat.status,
                "customer_name": chat.customer_name, "customer_address": chat.customer_address}

    @blp.route("/chats/<int:chat_id>/sync")
    @blp.response(200, SyncStateSchema)
    @about(access.CHAT, "chat_id")
    def sync_state(chat_id):
        """The chat's LiveChat mirror and the LiveChat calls still waiting or failed."""
        _visible(db.session.get(Chat, chat_id))
        configured = settings.current().configured
        return {**summary(chat_id, configured), "configured": configured}

    @blp.route("/chats/<int:chat_id>/sync/retry", methods=["POST"])
    @blp.response(200, SyncStateSchema)
    @about(access.CHAT, "chat_id")
    def retry(chat_id):
        """Retry the chat's failed or waiting LiveChat calls now (mirror it if it never was)."""
        chat = _visible(db.session.get(Chat, chat_id))
        config = settings.current()
        if not config.configured:
            abort(409, message=gettext("LiveChat is not configured yet: %(missing)s.", missing=", ".join(config.missing)))
        link = db.session.execute(db.select(LiveChatChat).where(LiveChatChat.chat_id == chat.id)).scalar_one_or_none()
        if sync_queue.retry(chat.id) == 0 and (link is None or not link.lc_chat_id) and chat.status != "archived":
            sync_queue.enqueue(chat.id, "open")
            db.session.commit()
            sync_queue.sync().kick()
        return {**summary(chat_id, True), "configured": True}

    @blp.route("/widget")
    @blp.response(200, WidgetStartSchema)
    @about(access.AGENT, reason="the signed-in agent's own start data for the widget (their name, the tabs)")
    def widget_start():
        """The widget's start data for the signed-in agent (as the widget page embeds it)."""
        import json

        from flask import jsonify

        from host.plugin_api.signin import bootstrap

        return jsonify(json.loads(bootstrap()))  # as the page embeds it, keys the schema does not list too

    @blp.route("/widget/token", methods=["POST"])
    @blp.response(200, WidgetTokenSchema)
    @about(access.AGENT, reason="exchanges the agent's own widget token for a new one; no customer data")
    def renew_widget_token():
        """A fresh widget token for the one this request carries, which ends a minute later.

        Only a token the Agent App widget was given renews itself this way: other API tokens
        keep the expiry their owner chose, and a cookie-signed page has no token to renew."""
        from host.plugin_api import signin, utcnow
        from host.plugin_api.signin import ApiToken
        from plugins.livechat.agent_app import WIDGET_TOKEN_NAME, widget_token_lifetime

        old = getattr(current_user, "credential", None)
        if not isinstance(old, ApiToken) or old.name != WIDGET_TOKEN_NAME:
            abort(403, message=gettext("Only the LiveChat widget's own sign-in token can be renewed here."))
        lifetime = widget_token_lifetime()
        _, secret = signin.issue_token(current_user, WIDGET_TOKEN_NAME, utcnow() + lifetime)
        # Not revoked at once: the widget's calls and its realtime connection still carry
        # the old token until the answer reaches it and it reconnects.
        signin.retire_token(old, RENEWAL_OVERLAP)
        db.session.commit()
        return {"widget_token": secret, "expires_in": int(lifetime.total_seconds())}

    return blp
