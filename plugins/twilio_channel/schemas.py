"""Marshmallow shapes of the Twilio plugin's JSON API (they join /api/v1/openapi.json)."""
from __future__ import annotations

from flask_babel import lazy_gettext
from marshmallow import Schema, fields, validate

from host.plugin_api.web import UtcDateTime


CHAT_ID = validate.Range(min=1, max=2**31 - 1, error=lazy_gettext("Give the id of a chat (a positive number)."))


class ChatQuerySchema(Schema):
    chat_id = fields.Int(required=True, validate=CHAT_ID, metadata={"description": "The open chat."})


class WindowSchema(Schema):
    chat_id = fields.Int()
    channel = fields.Str()
    sender = fields.Str(allow_none=True, metadata={
        "description": "Our WhatsApp sender the window is counted for (WhatsApp counts it per customer and sender)"})
    applies = fields.Bool(metadata={"description": "False for channels without a 24-hour window."})
    open = fields.Bool()
    last_inbound_at = UtcDateTime(allow_none=True)
    closes_at = UtcDateTime(allow_none=True)
    seconds_left = fields.Int()
    message = fields.Str(allow_none=True, metadata={"description": "Why free-form text is refused."})


class TemplateListQuerySchema(Schema):
    refresh = fields.Bool(load_default=False, metadata={"description": "Read the catalogue from Twilio again."})
    chat_id = fields.Int(load_default=None, allow_none=True, validate=CHAT_ID, metadata={
        "description": "The templates this chat may use (a subaccount's own for its senders)."})


class TemplateItemSchema(Schema):
    sid = fields.Str()
    friendly_name = fields.Str()
    language = fields.Str()
    variables = fields.Dict(keys=fields.Str(), values=fields.Str())
    body = fields.Str(metadata={"description": "The text with {{1}}-style placeholders"})
    types = fields.List(fields.Str())
    status = fields.Str(metadata={"description": "WhatsApp approval: approved, pending, received, rejected, "
                                                 "paused, disabled or unsubmitted"})
    status_label = fields.Str(metadata={"description": "The status in words"})
    category = fields.Str(metadata={"description": "WhatsApp's category (UTILITY, MARKETING, AUTHENTICATION)"})
    rejection_reason = fields.Str()


class LogsQuerySchema(Schema):
    chat_id = fields.Int(required=True, validate=CHAT_ID)
    channel = fields.Str(load_default=None, allow_none=True,
                         validate=validate.OneOf(["sms", "whatsapp", "voice"],
                                                 error=lazy_gettext("Choose sms, whatsapp or voice.")))
    limit = fields.Int(load_default=200, validate=validate.Range(min=1, max=1000))


class AttachmentSchema(Schema):
    name = fields.Str()
    content_type = fields.Str()


class LogEntrySchema(Schema):
    id = fields.Int()
    chat_id = fields.Int()
    chat_status = fields.Str()
    time = UtcDateTime()
    sender = fields.Str(allow_none=True)
    recipient = fields.Str(allow_none=True)
    channel = fields.Str()
    kind = fields.Str()
    body = fields.Str(metadata={"description": "The text, or the template's name for templates."})
    template_name = fields.Str(allow_none=True)
    attachments = fields.List(fields.Nested(AttachmentSchema), metadata={
        "description": "The files sent with the message, by name."})
    status = fields.Str(metadata={"description": "Twilio's raw status, e.g. undelivered."})
    display_status = fields.Str(metadata={"description": "For display: undelivered shows as failed."})
    error_code = fields.Str(allow_none=True)
    error_message = fields.Str(allow_none=True)
    agent_name = fields.Str(allow_none=True)
    external_id = fields.Str(allow_none=True)


class SubaccountResultSchema(Schema):
    account_sid = fields.Str()
    ok = fields.Bool()
    numbers = fields.List(fields.Str(), metadata={"description": "Its phone numbers (they send as the subaccount)"})
    message = fields.Str()


class CredentialsResultSchema(Schema):
    ok = fields.Bool()
    subaccounts = fields.List(fields.Nested(SubaccountResultSchema), load_default=list)
    mode = fields.Str(metadata={"description": "live, simulator or incomplete"})
    account_sid = fields.Str(allow_none=True)
    friendly_name = fields.Str(allow_none=True)
    status = fields.Str(allow_none=True)
    message = fields.Str()


class WebhookUrlsSchema(Schema):
    mode = fields.Str()
    messaging = fields.Str()
    status = fields.Str()
    voice = fields.Str()
    voice_status = fields.Str()
    voice_outbound = fields.Str(metadata={"description": "The TwiML App's voice URL (calls from the browser)."})
    warnings = fields.List(fields.Str())


class SendersSchema(Schema):
    mode = fields.Str()
    numbers = fields.List(fields.Str())
    whatsapp_senders = fields.List(fields.Str())
    messaging_service_sids = fields.List(fields.Str())
