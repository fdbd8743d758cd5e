"""The contacts API's shapes; the tabs, the CSV import and ``contact_changed`` use them too."""
from __future__ import annotations

from flask_babel import gettext, lazy_gettext
from marshmallow import Schema, ValidationError, fields, validate, validates

from host.plugin_api.web import RowId, UtcDateTime

from .normalize import WHATSAPP_PREFIX, phone_of

MAX_CSV = 5_000_000  # characters per import request; the tab sends big files in chunks
MAX_CSV_TEXT = f"{MAX_CSV:,}"


class Text(fields.Str):
    """A string without NUL characters (PostgreSQL cannot store them; nobody types them)."""

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).replace("\x00", "")


def _first(contact, kind):
    identity = contact.identity(kind)
    return identity.address if identity is not None else None


class IdentitySchema(Schema):
    id = fields.Int(dump_only=True)
    kind = fields.Str(dump_only=True, metadata={"description": "phone, whatsapp, email, livechat or a channel key"})
    address = fields.Str(dump_only=True, metadata={"description": "Normalised: +E.164, whatsapp:+E.164, …"})
    opted_out = fields.Bool(dump_only=True)
    opted_out_at = UtcDateTime(dump_only=True, allow_none=True)


class ContactSchema(Schema):
    id = fields.Int(dump_only=True)
    name = fields.Str(dump_only=True)
    email = fields.Str(dump_only=True, allow_none=True)
    phone = fields.Function(lambda c: _first(c, "phone"), dump_only=True, allow_none=True,
                            metadata={"description": "The first phone number, E.164"})
    whatsapp = fields.Function(lambda c: (lambda a: phone_of("whatsapp", a) if a else None)(_first(c, "whatsapp")),
                               dump_only=True, allow_none=True,
                               metadata={"description": f"The first WhatsApp number, E.164 (without “{WHATSAPP_PREFIX}”)"})
    preferred_channel = fields.Str(dump_only=True, allow_none=True)
    group_id = fields.Int(dump_only=True, allow_none=True)
    group_name = fields.Function(lambda c: c.group.name if c.group else None, dump_only=True, allow_none=True)
    name_source = fields.Str(dump_only=True, allow_none=True,
                             metadata={"description": "agent (typed by an agent) or channel (reported by a channel)"})
    email_source = fields.Str(dump_only=True, allow_none=True)
    identities = fields.List(fields.Nested(IdentitySchema), dump_only=True)
    created_at = UtcDateTime(dump_only=True)
    updated_at = UtcDateTime(dump_only=True)
    url = fields.Function(lambda c: f"/api/v1/contacts/{c.id}", dump_only=True)


def _text(max_length: int, **kwargs):
    return Text(allow_none=True, validate=validate.Length(
        max=max_length, error=lazy_gettext("Use at most %(max)s characters.", max=max_length)), **kwargs)


class ContactUpdateSchema(Schema):
    """Fields an agent can set; absent fields keep their value, empty ones clear it."""

    name = _text(200)
    email = _text(254)
    phone = _text(64)
    whatsapp = _text(80)
    preferred_channel = _text(40, metadata={"description": "sms or whatsapp; empty for the chat's own channel"})
    group_id = RowId(allow_none=True, metadata={"description": "Group override: this contact's chats always go there"})


class ContactCreateSchema(ContactUpdateSchema):
    note = Text(load_default=None, allow_none=True, validate=validate.Length(
        max=5000, error=lazy_gettext("A note can be at most 5,000 characters.")))


class ContactListQuerySchema(Schema):
    q = Text(load_default="",
             validate=validate.Length(max=200, error=lazy_gettext("Search for at most 200 characters.")),
             metadata={"description": "Name, phone digits in any format, or email; empty to browse"})
    page = fields.Int(load_default=1, validate=validate.Range(min=1, max=10_000))
    per_page = fields.Int(load_default=25, validate=validate.Range(min=1, max=100))
    sort = fields.Str(load_default="name", validate=validate.OneOf(["name", "recent"]),
                      metadata={"description": "Browse order; search results are ranked by relevance"})


class ContactPageSchema(Schema):
    items = fields.List(fields.Nested(ContactSchema))
    page = fields.Int()
    per_page = fields.Int()
    has_next = fields.Bool()
    q = fields.Str()
    sort = fields.Str()


class MergeSchema(Schema):
    other_id = RowId(required=True, metadata={"description": "The contact merged into this one, then deleted"})


class NoteSchema(Schema):
    id = fields.Int(dump_only=True)
    contact_id = fields.Int(dump_only=True)
    body = fields.Str(dump_only=True)
    author_id = fields.Int(dump_only=True, allow_none=True)
    author_name = fields.Function(lambda n: (n.author.name or n.author.email) if n.author else None,
                                  dump_only=True, allow_none=True)
    created_at = UtcDateTime(dump_only=True)


class NoteCreateSchema(Schema):
    body = Text(required=True, validate=validate.Length(
        min=1, max=5000, error=lazy_gettext("A note has 1 to 5,000 characters.")))

    @validates("body")
    def _not_blank(self, value, **kwargs):
        if not value.strip():
            raise ValidationError(gettext("Write something in the note."))


class ConsentChangeSchema(Schema):
    id = fields.Int()
    opted_out = fields.Bool(metadata={"description": "The state after this change"})
    source = fields.Str(metadata={"description": "customer (their keyword message), provider (a send refused "
                                                 "because they opted out) or admin (cleared by an admin)"})
    detail = fields.Str(metadata={"description": "The customer's message, the provider's error or the admin's reason"})
    agent_name = fields.Str(allow_none=True)
    created_at = UtcDateTime()
    sentence = fields.Str(metadata={"description": "The change in words"})


class ChannelConsentSchema(Schema):
    identity_id = fields.Int()
    kind = fields.Str()
    address = fields.Str()
    opted_out = fields.Bool()
    opted_out_at = UtcDateTime(allow_none=True)
    history = fields.List(fields.Nested(ConsentChangeSchema), metadata={"description": "Newest first"})


class ClearOptOutSchema(Schema):
    reason = Text(required=True, validate=validate.Length(
        min=1, max=500, error=lazy_gettext("Give a reason of 1 to 500 characters.")),
        metadata={"description": "Why the opt-out is cleared (kept in the consent history)"})

    @validates("reason")
    def _not_blank(self, value, **kwargs):
        if not value.strip():
            raise ValidationError(gettext("Say why the opt-out is cleared; the reason stays in the consent history."))


class ForChatSchema(Schema):
    chat_id = fields.Int()
    contact = fields.Nested(ContactSchema, allow_none=True)


class ImportSchema(Schema):
    csv = Text(required=True, validate=validate.Length(
        max=MAX_CSV, error=lazy_gettext("Send at most %(max)s characters at a time; split bigger files.",
                                        max=MAX_CSV_TEXT)),
        metadata={"description": "CSV text with the header name,email,phone,whatsapp,preferred_channel,group,notes"})
    first_row = fields.Int(load_default=2, validate=validate.Range(min=2, max=100_000_000), metadata={
        "description": "File row number of the first record after the header (for chunks of a big file)"})
    on_duplicate = fields.Str(load_default="report", validate=validate.OneOf(["report", "skip", "update"]),
                              metadata={"description": "What to do with a row matching an existing contact"})


class RowErrorSchema(Schema):
    row = fields.Int()
    field = fields.Str()
    message = fields.Str()
    existing_id = fields.Int(allow_none=True)


class ImportResultSchema(Schema):
    rows = fields.Int()
    created = fields.Int()
    updated = fields.Int()
    skipped = fields.Int()
    errors = fields.List(fields.Nested(RowErrorSchema))
