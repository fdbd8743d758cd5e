"""``/api/v1/contacts``: the REST API the Customer and Contacts tabs use (flask-smorest).

Every route needs a signed-in agent (the host's guard) and follows the contacts rule
(:mod:`.visibility`): another group's contact answers 404; merge, import and export are
for admins. Refusals: 422 with field errors (``errors.json.<field>``: sentences), 409
for an address another contact has, with ``errors.existing`` = ``{id, name, url}`` of
that contact (null when it belongs to a group you're not in), 403 with a sentence for
what the rule forbids. Writes are all or nothing and emit ``contact_changed`` after
the commit.
"""
from __future__ import annotations

from flask import Response, stream_with_context
from flask.views import MethodView
from flask_babel import gettext
from flask_login import current_user
from flask_smorest import Blueprint, abort
from sqlalchemy import select

from host.plugin_api import access, bus, db
from host.plugin_api.access import about, chat_or_404
from host.plugin_api.web import require_admin, ChatSchema

from . import chat_links, consent, csv_io, service, visibility
from .models import Contact, ContactNote
from .resolve import resolve
from .schemas import (ChannelConsentSchema, ClearOptOutSchema, ContactCreateSchema, ContactListQuerySchema, ContactPageSchema, ContactSchema,
                      ContactUpdateSchema, ForChatSchema, ImportResultSchema, ImportSchema, MergeSchema,
                      NoteCreateSchema, NoteSchema)
from .search import browse, search_contacts
from .settings import default_region

blp = Blueprint("contacts_api", __name__, url_prefix="/api/v1/contacts",
                description="Contacts: customer profiles, notes, search, merge, CSV")


def contact_or_404(contact_id: int) -> Contact:
    return visibility.contact_or_404(contact_id, current_user)


REFUSALS = (service.InvalidContact, service.DuplicateContact, service.Forbidden)


def _refused(exc: Exception):
    db.session.rollback()
    if isinstance(exc, service.Forbidden):
        abort(403, message=str(exc))
    if isinstance(exc, service.DuplicateContact):
        if visibility.may_see(current_user, exc.existing):
            message, existing = exc.message, exc.pointer()
        else:  # say that it is taken, not by whom
            message = (f"{exc.shown} already belongs to a customer of a group you're not in. "
                       "Ask an admin to look at it.")
            existing = None
        abort(409, message=message, errors={"json": {exc.field: [message]}, "existing": existing})
    abort(422, errors={"json": exc.errors})


@blp.route("")
class Contacts(MethodView):
    @blp.arguments(ContactListQuerySchema, location="query")
    @blp.response(200, ContactPageSchema)
    @about(access.AGENT, reason="lists and searches only the contacts the rule lets this agent see")
    def get(self, args):
        """Browse (by name or most recent) or search as you type: name, phone digits, email.

        Only contacts you may see: those with a chat you may see, and those without a
        chat whose group override is yours (or unset)."""
        page, per_page = args["page"], args["per_page"]
        visible = None if current_user.is_admin else visibility.condition(current_user)
        if args["q"].strip():
            found = search_contacts(db.session, args["q"], limit=per_page + 1, offset=(page - 1) * per_page,
                                    visible=visible)
            items, has_next = found[:per_page], len(found) > per_page
        else:
            result = browse(db.session, sort=args["sort"], page=page, per_page=per_page, visible=visible)
            items, has_next = result.items, result.has_next
        return {"items": items, "page": page, "per_page": per_page, "has_next": has_next,
                "q": args["q"], "sort": args["sort"]}

    @blp.arguments(ContactCreateSchema)
    @blp.response(201, ContactSchema)
    @blp.alt_response(409, description="Another contact has this address; errors.existing points to it")
    @about(access.AGENT, reason="adds a new contact; a number another group's customer has is refused")
    def post(self, data):
        """Add a contact. A phone, WhatsApp number or email another contact has is refused (409);
        a number whose chats belong to a group you're not in is refused (403)."""
        try:
            contact = service.create_contact(data, current_user, default_region())
        except REFUSALS as exc:
            _refused(exc)
        bus.commit()
        return contact


@blp.route("/<int:contact_id>")
class ContactDetail(MethodView):
    @blp.response(200, ContactSchema)
    @about(access.CONTACT, "contact_id")
    def get(self, contact_id):
        """One contact, with its identities and their opt-out state."""
        return contact_or_404(contact_id)

    @blp.arguments(ContactUpdateSchema)
    @blp.response(200, ContactSchema)
    @blp.alt_response(409, description="Another contact has this address; errors.existing points to it")
    @about(access.CONTACT, "contact_id")
    def patch(self, data, contact_id):
        """Edit: given fields change, empty ones are cleared. Agents' edits beat channel data.

        Moving the contact to another group (``group_id``) needs an admin or a member of
        the contact's current group (403 otherwise)."""
        contact = contact_or_404(contact_id)
        try:
            service.update_contact(contact, data, current_user, default_region())
        except REFUSALS as exc:
            _refused(exc)
        bus.commit()
        return contact

    @blp.response(204)
    @about(access.CONTACT, "contact_id")
    def delete(self, contact_id):
        """Delete the contact with its identities and notes; its chats stay, without a contact.

        Admins, or agents who may see every chat of the contact (403 otherwise)."""
        contact = contact_or_404(contact_id)
        refusal = visibility.delete_refusal(current_user, contact)
        if refusal:
            abort(403, message=refusal)
        service.delete_contact(contact, current_user)
        bus.commit()


@blp.route("/<int:contact_id>/merge", methods=["POST"])
@blp.arguments(MergeSchema)
@blp.response(200, ContactSchema)
@about(access.ADMIN)
def merge(data, contact_id):
    """Merge another contact into this one: identities, notes and chats move here; it is
    deleted (admins only)."""
    require_admin()
    survivor = contact_or_404(contact_id)
    other = db.session.get(Contact, data["other_id"])
    if other is None:
        abort(422, errors={"json": {"other_id": [gettext("There is no contact with this id.")]}})
    try:
        service.merge_contacts(survivor, other, current_user)
    except service.InvalidContact as exc:
        _refused(exc)
    bus.commit()
    return survivor


@blp.route("/<int:contact_id>/notes")
class Notes(MethodView):
    @blp.response(200, NoteSchema(many=True))
    @about(access.CONTACT, "contact_id")
    def get(self, contact_id):
        """The contact's notes, newest first, with author and time."""
        contact = contact_or_404(contact_id)
        return list(db.session.scalars(select(ContactNote).where(ContactNote.contact_id == contact.id)
                                       .order_by(ContactNote.id.desc()).limit(500)))

    @blp.arguments(NoteCreateSchema)
    @blp.response(201, NoteSchema)
    @about(access.CONTACT, "contact_id")
    def post(self, data, contact_id):
        """Add a note (signed with the agent's name)."""
        note = service.add_note(contact_or_404(contact_id), data["body"], current_user)
        bus.commit()
        return note


@blp.route("/<int:contact_id>/consent")
@blp.response(200, ChannelConsentSchema(many=True))
@about(access.ADMIN)
def consent_history(contact_id):
    """Consent per channel with its history: keyword messages, refusals, admins' clearings (admins only)."""
    require_admin()
    return consent.channels(contact_or_404(contact_id))


@blp.route("/<int:contact_id>/consent/<int:identity_id>/clear", methods=["POST"])
@blp.arguments(ClearOptOutSchema)
@blp.response(200, ChannelConsentSchema)
@about(access.ADMIN)
def clear_opt_out(data, contact_id, identity_id):
    """Clear an opt-out, with a reason kept in the history (admins only).

    Only our record changes: a provider that keeps its own block (Twilio, per number or
    Messaging Service) refuses sends until the customer texts START, and that refusal
    opts them out here again.
    """
    require_admin()
    try:
        return consent.clear(contact_or_404(contact_id), identity_id, data["reason"], current_user)
    except consent.ConsentError as exc:
        db.session.rollback()
        abort(exc.status, message=str(exc))


@blp.route("/<int:contact_id>/chats")
@blp.response(200, ChatSchema(many=True))
@about(access.CONTACT, "contact_id")
def chats(contact_id):
    """The contact's chats this agent may see: open ones first, then archived, newest first."""
    return chat_links.chats_of(contact_or_404(contact_id).id)


@blp.route("/for-chat/<int:chat_id>")
class ForChat(MethodView):
    @blp.response(200, ForChatSchema)
    @about(access.CHAT, "chat_id")
    def get(self, chat_id):
        """The contact of a chat (null when the chat has none)."""
        chat = chat_or_404(chat_id)
        contact = db.session.get(Contact, chat.contact_id) if chat.contact_id else None
        return {"chat_id": chat.id, "contact": contact}

    @blp.response(200, ForChatSchema)
    @about(access.CHAT, "chat_id")
    def post(self, chat_id):
        """Give a chat without a contact one, from its customer address (idempotent)."""
        chat = chat_or_404(chat_id)
        contact = db.session.get(Contact, chat.contact_id) if chat.contact_id else None
        if contact is None:
            ref = resolve(chat.channel, chat.customer_address, {"name": chat.customer_name})
            if ref is None:
                db.session.rollback()
                abort(409, message=f"“{chat.customer_address}” can't be saved as a contact: it isn't a "
                                   "phone number or address Switchboard can recognise again.")
            chat = chat_or_404(chat_id)
            chat_links.link(chat.id, ref.id)
            contact = db.session.get(Contact, ref.id)
            service.announce(contact, current_user)
            bus.commit()
        return {"chat_id": chat.id, "contact": contact}


@blp.route("/import", methods=["POST"])
@blp.arguments(ImportSchema)
@blp.response(200, ImportResultSchema)
@about(access.ADMIN)
def import_csv(data):
    """Import CSV rows; bad rows come back as {row, field, message} and are not saved (admins only).

    Big files: send chunks of records, each with the header line and ``first_row``.
    """
    require_admin()
    return csv_io.import_csv(data["csv"], current_user, default_region(), data["first_row"],
                             data["on_duplicate"])


@blp.route("/export.csv")
@blp.response(200, {"type": "string"}, content_type="text/csv", description="Every contact as CSV")
@about(access.ADMIN)
def export_csv():
    """Every contact: name, email, phone, whatsapp, preferred channel, group, notes, created and
    last message (ISO 8601 in the agent's time zone), headers in the agent's language (admins only)."""
    require_admin()
    return Response(stream_with_context(csv_io.export_rows()), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="contacts.csv"'})
