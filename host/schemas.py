"""Marshmallow schemas: the API's shapes, and the snapshots carried by events."""
from __future__ import annotations

from datetime import UTC

from flask_babel import gettext, lazy_gettext
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from host.i18n import LANGUAGES, valid_time_zone
from host.send_failures import failure_sentence


class UtcDateTime(fields.AwareDateTime):
    """Stored times are naive UTC; the API always says so (RFC 3339 with an offset)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, default_timezone=UTC, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


ROW_ID = validate.Range(min=1, max=2**31 - 1, error=lazy_gettext("There is no row with this id."))


def RowId(**kwargs):
    """An id sent by a client: in range for every database we run on."""
    return fields.Int(validate=ROW_ID, strict=True, **kwargs)


class GroupSchema(Schema):
    id = fields.Int(dump_only=True)
    name = fields.Str(required=True, validate=validate.Length(min=1, max=80))
    is_default = fields.Bool(load_default=False)


class AgentSchema(Schema):
    id = fields.Int(dump_only=True)
    email = fields.Email(required=True)
    name = fields.Str(load_default="", validate=validate.Length(max=120))
    role = fields.Str(load_default="agent", validate=validate.OneOf(["agent", "admin"]))
    active = fields.Bool(attribute="is_active_agent", load_default=True)
    group_ids = fields.Method("_group_ids", deserialize="_load_group_ids", load_default=list)
    online = fields.Method("_online", dump_only=True)

    def _online(self, agent):
        from host.presence import is_online

        return is_online(agent)

    def _group_ids(self, agent):
        return sorted(g.id for g in agent.groups)

    def _load_group_ids(self, value):
        if not isinstance(value, list) or not all(isinstance(v, int) and 0 < v < 2**31 for v in value):
            raise ValidationError(gettext("Give a list of group ids, for example [1, 2]."))
        return value


class PreferencesSchema(Schema):
    """An agent's interface language and IANA time zone (``null``: the browser's again)."""

    language = fields.Str(allow_none=True, validate=validate.OneOf(
        list(LANGUAGES), error=lazy_gettext("Choose one of the languages Switchboard speaks: en, es or pl.")))
    time_zone = fields.Str(allow_none=True, validate=lambda zone: valid_time_zone(zone) or _bad_zone())


def _bad_zone():
    raise ValidationError(gettext("Give an IANA time zone such as Europe/Madrid."))


class AgentCreateSchema(AgentSchema):
    password = fields.Str(required=True, load_only=True, validate=validate.Length(
        min=10, error=lazy_gettext("Use at least 10 characters for the password.")))


class AgentUpdateSchema(Schema):
    name = fields.Str(validate=validate.Length(max=120))
    role = fields.Str(validate=validate.OneOf(["agent", "admin"]))
    active = fields.Bool()
    group_ids = fields.List(RowId())
    password = fields.Str(load_only=True, validate=validate.Length(
        min=10, error=lazy_gettext("Use at least 10 characters for the password.")))


class MediaSchema(Schema):
    url = fields.Url(required=True, require_tld=False)
    content_type = fields.Str(load_default="application/octet-stream")
    filename = fields.Str(dump_only=True, metadata={"description": "attachments agents sent"})
    size = fields.Int(dump_only=True, metadata={"description": "bytes, when known"})


class TemplateSchema(Schema):
    sid = fields.Str(required=True, validate=validate.Regexp(
        r"^HX[0-9a-fA-F]{32}$", error=lazy_gettext("A template id looks like HX followed by 32 hex characters.")))
    variables = fields.Dict(keys=fields.Str(), values=fields.Str(), load_default=dict)
    name = fields.Str(load_default="")


class FailureSentence(fields.Str):
    """A message's ``error_message``: :func:`failure_sentence`, made when it is dumped."""

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(failure_sentence(obj), attr, obj, **kwargs)


class MessageSchema(Schema):
    id = fields.Int(dump_only=True)
    chat_id = fields.Int(dump_only=True)
    direction = fields.Str(dump_only=True)
    kind = fields.Str(dump_only=True)
    channel = fields.Str(dump_only=True)
    body = fields.Str(dump_only=True)
    media = fields.List(fields.Nested(MediaSchema), dump_only=True)
    template = fields.Dict(dump_only=True, allow_none=True)
    sender = fields.Str(dump_only=True, allow_none=True)
    recipient = fields.Str(dump_only=True, allow_none=True)
    agent_id = fields.Int(dump_only=True, allow_none=True)
    agent_name = fields.Function(lambda m: m.agent.name or m.agent.email if m.agent else None, dump_only=True)
    external_id = fields.Str(dump_only=True, allow_none=True)
    status = fields.Str(dump_only=True)
    error_code = fields.Str(dump_only=True, allow_none=True)
    error_message = FailureSentence(dump_only=True, allow_none=True)
    created_at = UtcDateTime(dump_only=True)


class MessageCreateSchema(Schema):
    body = fields.Str(load_default="", validate=validate.Length(
        max=1600, error=lazy_gettext("A message can be at most 1,600 characters.")))
    media = fields.List(fields.Nested(MediaSchema), load_default=list, validate=validate.Length(max=10))
    attachment_ids = fields.List(RowId(), load_default=list, validate=validate.Length(
        max=10, error=lazy_gettext("Attach at most 10 files to a message.")), metadata={
        "description": "files uploaded to this chat (POST /api/v1/chats/{chat_id}/attachments)"})
    template = fields.Nested(TemplateSchema, load_default=None, allow_none=True)

    @validates_schema
    def _has_content(self, data, **kwargs):
        if (not data.get("body", "").strip() and not data.get("media") and not data.get("template")
                and not data.get("attachment_ids")):
            raise ValidationError(gettext("Write a message, attach media or pick a template."), "body")


class LastMessageSchema(Schema):
    body = fields.Str()
    direction = fields.Str()
    kind = fields.Str()
    created_at = UtcDateTime()


class ChatSchema(Schema):
    id = fields.Int(dump_only=True)
    status = fields.Str(dump_only=True)
    channel = fields.Str(dump_only=True)
    customer_address = fields.Str(dump_only=True)
    customer_name = fields.Str(dump_only=True)
    contact_id = fields.Int(dump_only=True, allow_none=True)
    sender = fields.Str(dump_only=True, allow_none=True)
    group_id = fields.Int(dump_only=True, allow_none=True)
    group_name = fields.Function(lambda c: c.group.name if c.group else None, dump_only=True)
    agent_id = fields.Int(dump_only=True, allow_none=True)
    agent_name = fields.Function(lambda c: (c.agent.name or c.agent.email) if c.agent else None, dump_only=True)
    created_at = UtcDateTime(dump_only=True)
    updated_at = UtcDateTime(dump_only=True)
    last_message_at = UtcDateTime(dump_only=True, allow_none=True)
    last_inbound_at = UtcDateTime(dump_only=True, allow_none=True)
    archived_at = UtcDateTime(dump_only=True, allow_none=True)


class ChatListItemSchema(ChatSchema):
    last_message = fields.Nested(LastMessageSchema, dump_only=True, allow_none=True)
    unread = fields.Int(dump_only=True)


class ChatListQuerySchema(Schema):
    view = fields.Str(load_default="mine", validate=validate.OneOf(["queued", "mine", "active", "archived", "all"]))
    limit = fields.Int(load_default=100, validate=validate.Range(min=1, max=500))


class ChatStartSchema(Schema):
    channel = fields.Str(required=True)
    to = fields.Str(required=True, validate=validate.Length(min=3, max=254))
    body = fields.Str(load_default="", validate=validate.Length(max=1600))
    template = fields.Nested(TemplateSchema, load_default=None, allow_none=True)
    media = fields.List(fields.Nested(MediaSchema), load_default=list)


class TransferSchema(Schema):
    agent_id = RowId(load_default=None, allow_none=True)
    group_id = RowId(load_default=None, allow_none=True)

    @validates_schema
    def _one_target(self, data, **kwargs):
        if not data.get("agent_id") and not data.get("group_id"):
            raise ValidationError(gettext("Choose an agent or a group to transfer the chat to."), "agent_id")


class ReopenSchema(Schema):
    channel = fields.Str(load_default=None, allow_none=True)


class CallSchema(Schema):
    id = fields.Int(dump_only=True)
    chat_id = fields.Int(dump_only=True)
    call_sid = fields.Str(dump_only=True)
    direction = fields.Str(dump_only=True)
    status = fields.Str(dump_only=True)
    from_address = fields.Str(dump_only=True)
    to_address = fields.Str(dump_only=True)
    answered_by_id = fields.Int(dump_only=True, allow_none=True)
    muted = fields.Bool(dump_only=True)
    duration = fields.Int(dump_only=True, allow_none=True)
    recording_url = fields.Str(dump_only=True, allow_none=True)
    started_at = UtcDateTime(dump_only=True)
    answered_at = UtcDateTime(dump_only=True, allow_none=True)
    ended_at = UtcDateTime(dump_only=True, allow_none=True)


class PluginSchema(Schema):
    name = fields.Str(dump_only=True)
    enabled = fields.Bool(required=True)
    essential = fields.Bool(dump_only=True)
    source = fields.Str(dump_only=True)
    version = fields.Str(dump_only=True)
    hooks = fields.List(fields.Str(), dump_only=True)


class PluginUpdateSchema(Schema):
    enabled = fields.Bool(required=True)


class ChannelColourSchema(Schema):
    background = fields.Str(metadata={"description": "The badge's tint, #rrggbb."})
    text = fields.Str(metadata={"description": "The badge's text colour, #rrggbb."})


class AddressFormatSchema(Schema):
    kind = fields.Str(metadata={"description": "phone (E.164), email or text."})
    prefix = fields.Str(metadata={"description": "What the channel writes before a phone number."})
    example = fields.Str()


class CallEventsSchema(Schema):
    ringing = fields.Str(metadata={"description": "The Socket.IO event pushed while a call waits for an agent."})
    answered = fields.Str(metadata={"description": "The Socket.IO event pushed when an agent took the call."})
    answer_tab = fields.Str(metadata={"description": "The key of the widget tab where agents answer."})


class CarriesSchema(Schema):
    text = fields.Bool()
    media = fields.Dict(allow_none=True, metadata={"description": "types, max_total (bytes), max_files."})
    templates = fields.Bool()
    calls = fields.Nested(CallEventsSchema, allow_none=True)


class ChannelSchema(Schema):
    """A channel as it describes itself (``host.channel_descriptions``)."""

    key = fields.Str()
    label = fields.Str()
    plugin = fields.Str()
    colour = fields.Nested(ChannelColourSchema, allow_none=True)
    address = fields.Nested(AddressFormatSchema)
    carries = fields.Nested(CarriesSchema)
    text_refusal = fields.Str(allow_none=True, metadata={
        "description": "Set when the channel never carries text (a phone call): why, in words."})
    takes_files = fields.Bool()
    usable = fields.Bool(metadata={
        "description": "Whether agents can use the channel now: its plugin is enabled and it is set up. Only "
                       "``all=true`` lists channels that are not."})


class ChannelListQuerySchema(Schema):
    all = fields.Bool(load_default=False, metadata={
        "description": "Also list the channels agents can't use now (their plugin is switched off or they are "
                       "not set up), so that older chats on them can be drawn with their names in the reader's "
                       "language."})


class WidgetTabSchema(Schema):
    key = fields.Str()
    title = fields.Str()
    script = fields.Str()
    order = fields.Int()
    icon = fields.Str()
    background = fields.Bool()
    stylesheet = fields.Str()
    plugin = fields.Str()


# Snapshots are taken for every event: build each schema once (dumping is stateless).
_CHAT = ChatSchema()
_MESSAGE = MessageSchema()
_CALL = CallSchema()


def snapshot_chat(chat) -> dict:
    return _CHAT.dump(chat)


def snapshot_message(message) -> dict:
    return _MESSAGE.dump(message)


def snapshot_call(call) -> dict:
    return _CALL.dump(call)
