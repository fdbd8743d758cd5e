"""One search over the inbox: customers and message text, with filters."""
from __future__ import annotations

from flask_babel import lazy_gettext
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from host import access
from host import search as service
from host.access import about
from host.api.chats import decorate
from host.schemas import ROW_ID, ChatListItemSchema, UtcDateTime

blp = Blueprint("search", __name__, url_prefix="/api/v1/search",
                description="Find customers and messages across the chats you may see")


class SearchQuerySchema(Schema):
    q = fields.Str(load_default="", validate=validate.Length(max=200, error=lazy_gettext("Search for at most 200 characters.")),
                   metadata={"description": "words (all must occur; the last may be a word's start) or digits "
                                            "of a number"})
    channel = fields.Str(load_default=None, validate=validate.Length(max=40))
    group_id = fields.Int(load_default=None, validate=ROW_ID)
    status = fields.Str(load_default=None, validate=validate.OneOf(
        ["queued", "active", "archived"], error=lazy_gettext("Status is one of queued, active or archived.")))
    unread = fields.Bool(load_default=False, metadata={"description": "only chats with customer messages you haven't read"})
    limit = fields.Int(load_default=20, validate=validate.Range(min=1, max=50))


class MessageHitSchema(Schema):
    id = fields.Int()
    chat_id = fields.Int()
    direction = fields.Str()
    kind = fields.Str()
    channel = fields.Str()
    snippet = fields.Str(metadata={"description": "the text around the first word found"})
    created_at = UtcDateTime()
    chat = fields.Nested(ChatListItemSchema)


class SearchResultSchema(Schema):
    customers = fields.List(fields.Nested(ChatListItemSchema),
                            metadata={"description": "chats whose customer matches (or, without q, every chat "
                                                     "the filters keep), newest activity first"})
    messages = fields.List(fields.Nested(MessageHitSchema), metadata={"description": "newest first"})


@blp.route("", methods=["GET"])
@blp.arguments(SearchQuerySchema, location="query")
@blp.response(200, SearchResultSchema)
@about(access.AGENT, reason="searches only the chats the rule lets this agent see (chat_filter in the statement)")
def search(args):
    """Customers and messages matching ``q`` in the chats you may see, narrowed by the filters."""
    filters = service.Filters(channel=args["channel"], group_id=args["group_id"], status=args["status"],
                              unread=args["unread"])
    found = service.search(current_user, args["q"], filters, args["limit"])
    chats = {c.id: c for c in decorate(list({c.id: c for c in
                                            [*found.customers, *(m.chat for m in found.messages)]}.values()))}
    terms = service.words(args["q"])
    return {
        "customers": [chats[c.id] for c in found.customers],
        "messages": [{"id": m.id, "chat_id": m.chat_id, "direction": m.direction, "kind": m.kind,
                      "channel": m.channel, "snippet": service.snippet(m.body, terms), "created_at": m.created_at,
                      "chat": chats[m.chat_id]} for m in found.messages],
    }
