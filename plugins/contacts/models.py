"""Contacts: the people behind customer addresses, their identities and agents' notes.

A contact's ``search_text`` is derived data (see :mod:`plugins.contacts.search`); it is
recomputed on every flush that touches the contact or one of its identities, and the
search index follows it (SQLite triggers, PostgreSQL expression index).
"""
from __future__ import annotations

from sqlalchemy import UniqueConstraint, and_, bindparam, or_, select
from sqlalchemy.orm import Session, joinedload

from host.plugin_api import db, utcnow
from plugins.contacts.normalize import fold_name, phone_identities, phone_of, search_text_for

# Who set a profile field. Channel data (a WhatsApp profile name, a LiveChat email) may
# fill an empty field or refresh its own earlier value, never replace an agent's edit.
AGENT = "agent"
CHANNEL = "channel"
SOURCES = (AGENT, CHANNEL)


class Contact(db.Model):
    __tablename__ = "contacts"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(200), nullable=False, default="")
    name_source = db.Column(db.String(10))  # agent | channel | None while empty
    email = db.Column(db.String(254))  # the profile email; email identities live below
    email_source = db.Column(db.String(10))
    preferred_channel = db.Column(db.String(40))
    group_id = db.Column(db.Integer, db.ForeignKey("groups.id", ondelete="SET NULL"), index=True)
    # Folded name for case- and accent-insensitive "sort by name" (browse).
    sort_name = db.Column(db.String(200), nullable=False, default="", index=True)
    search_text = db.Column(db.Text, nullable=False, default="")
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow, index=True)

    group = db.relationship("Group")
    # ORM cascades as well as ON DELETE CASCADE: SQLite enforces foreign keys only on
    # connections that turned them on, and a contact's rows are few.
    identities = db.relationship("ContactIdentity", back_populates="contact", lazy="selectin",
                                 cascade="all, delete-orphan", order_by="ContactIdentity.id")
    notes = db.relationship("ContactNote", back_populates="contact", lazy="dynamic",
                            cascade="all, delete-orphan", order_by="ContactNote.id.desc()")
    consent_changes = db.relationship("ConsentChange", back_populates="contact", lazy="dynamic",
                                      cascade="all, delete-orphan", order_by="ConsentChange.id.desc()")

    def set_by_agent(self, *, name: str | None = None, email: str | None = None) -> None:
        """An agent's edit: always wins and pins the field against channel data."""
        if name is not None:
            self.name, self.name_source = name.strip(), AGENT if name.strip() else None
        if email is not None:
            self.email, self.email_source = (email or None), AGENT if email else None

    def apply_channel_profile(self, *, name: str | None = None,
                              email: str | None = None) -> bool:
        """Take a name/email a channel reported unless an agent set that field.

        Returns whether anything changed, so callers know to emit ``contact_changed``.
        """
        changes = channel_profile_changes(self, name=name, email=email)
        for key, value in changes.items():
            setattr(self, key, value)
        return bool(changes)

    def identity(self, kind: str) -> ContactIdentity | None:
        return next((i for i in self.identities if i.kind == kind), None)

    def phone_numbers(self) -> list[str]:
        """Distinct E.164 numbers of this contact (SMS and WhatsApp count once)."""
        seen: dict[str, None] = {}
        for ident in self.identities:
            number = phone_of(ident.kind, ident.address)
            if number:
                seen.setdefault(number)
        return list(seen)

    def __repr__(self) -> str:
        return f"<Contact {self.id} {self.name!r}>"


def channel_profile_changes(current, *, name: str | None = None, email: str | None = None) -> dict:
    """The fields a channel's name/email would change on a contact (``current`` has
    ``name``, ``name_source``, ``email`` and ``email_source``): agents' edits are kept."""
    changes = {}
    if name and name.strip() and current.name_source != AGENT and current.name != name.strip():
        changes.update(name=name.strip(), name_source=CHANNEL)
    if email and current.email_source != AGENT and current.email != email:
        changes.update(email=email, email_source=CHANNEL)
    return changes


class ContactIdentity(db.Model):
    """One normalised address of a contact (see :mod:`plugins.contacts.normalize`)."""

    __tablename__ = "contact_identities"
    __table_args__ = (UniqueConstraint("kind", "address", name="uq_contact_identities_kind_address"),)
    id = db.Column(db.Integer, primary_key=True)
    contact_id = db.Column(db.Integer, db.ForeignKey("contacts.id", ondelete="CASCADE"),
                           nullable=False, index=True)
    kind = db.Column(db.String(16), nullable=False)  # phone | whatsapp | email | livechat
    address = db.Column(db.String(254), nullable=False)
    opted_out = db.Column(db.Boolean, nullable=False, default=False)
    opted_out_at = db.Column(db.DateTime)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    contact = db.relationship("Contact", back_populates="identities")

    def set_opted_out(self, opted_out: bool) -> None:
        """Record STOP/START; the timestamp is when consent last changed."""
        if self.opted_out != opted_out:
            self.opted_out, self.opted_out_at = opted_out, utcnow()

    def __repr__(self) -> str:
        return f"<ContactIdentity {self.kind}:{self.address}>"


class ConsentChange(db.Model):
    """One change of a contact identity's consent: who or what changed it, and why.

    ``source`` is ``customer`` (their keyword message; ``detail`` is its text),
    ``provider`` (a send refused because they opted out; ``detail`` is the error) or
    ``admin`` (an opt-out cleared; ``detail`` is the reason the admin gave). Kept by
    kind and address rather than identity id, so it outlives an identity that is
    removed and re-added.
    """

    __tablename__ = "contact_consent_changes"
    id = db.Column(db.Integer, primary_key=True)
    contact_id = db.Column(db.Integer, db.ForeignKey("contacts.id", ondelete="CASCADE"),
                           nullable=False, index=True)
    kind = db.Column(db.String(16), nullable=False)
    address = db.Column(db.String(254), nullable=False)
    opted_out = db.Column(db.Boolean, nullable=False)
    source = db.Column(db.String(16), nullable=False)  # customer | provider | admin
    detail = db.Column(db.Text, nullable=False, default="")
    agent_id = db.Column(db.Integer, db.ForeignKey("agents.id", ondelete="SET NULL"))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    contact = db.relationship("Contact", back_populates="consent_changes")
    agent = db.relationship("Agent")


class ContactNote(db.Model):
    __tablename__ = "contact_notes"
    id = db.Column(db.Integer, primary_key=True)
    contact_id = db.Column(db.Integer, db.ForeignKey("contacts.id", ondelete="CASCADE"),
                           nullable=False, index=True)
    author_id = db.Column(db.Integer, db.ForeignKey("agents.id", ondelete="SET NULL"))
    body = db.Column(db.Text, nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    contact = db.relationship("Contact", back_populates="notes")
    author = db.relationship("Agent")


def _match(pairs: int):
    identities = ContactIdentity.__table__.c
    return or_(*(and_(identities.kind == bindparam(f"kind{n}"),
                      identities.address == bindparam(f"address{n}")) for n in range(pairs)))


def _identities_query(pairs: int):
    """Identities matching any of ``pairs`` (kind, address) pairs, each with its contact."""
    return select(ContactIdentity).options(joinedload(ContactIdentity.contact)).where(_match(pairs))


def _identity_rows(where):
    """The identities ``where`` picks as plain rows (table columns, no ORM entities:
    reading builds no objects), with just what resolving a known customer needs."""
    identities, contacts = ContactIdentity.__table__, Contact.__table__
    return (select(identities.c.kind, identities.c.address, identities.c.contact_id, contacts.c.name,
                   contacts.c.name_source, contacts.c.email, contacts.c.email_source, contacts.c.group_id,
                   contacts.c.preferred_channel)
            .select_from(identities.join(contacts, contacts.c.id == identities.c.contact_id))
            .where(where))


def _identity_rows_query(pairs: int):
    return _identity_rows(_match(pairs))


# Every inbound message asks for its identity: the statements are built once per size
# (and the batch form once: its lists are expanded when it runs).
_QUERIES: dict[tuple, object] = {}
# Kinds and addresses apart rather than as (kind, address) pairs: half the parameters
# (a batch has one kind or two), and still the unique (kind, address) index.
_IDENTITY_ROWS_AMONG = _identity_rows(and_(ContactIdentity.__table__.c.kind.in_(bindparam("kinds", expanding=True)),
                                           ContactIdentity.__table__.c.address.in_(bindparam("addresses",
                                                                                             expanding=True))))


def _lookup(build, kind: str, address: str):
    """``build(n)``'s statement for the address and (a phone number) its twins, its
    parameters, and the (kind, address) pairs asked for, the exact one first."""
    wanted = [(kind, address)]
    number = phone_of(kind, address)
    if number is not None:
        wanted += [(k, a) for k, a in phone_identities(number) if k != kind]
    query = _QUERIES.get((build, len(wanted)))
    if query is None:
        query = _QUERIES[(build, len(wanted))] = build(len(wanted))
    params = {}
    for n, (k, a) in enumerate(wanted):
        params[f"kind{n}"], params[f"address{n}"] = k, a
    return query, params, wanted


def find_identity(session: Session, kind: str, address: str) -> ContactIdentity | None:
    """The identity for a normalised address; a phone number also finds its WhatsApp twin.

    An exact ``(kind, address)`` match wins; otherwise an SMS number finds the contact
    who wrote from the same number on WhatsApp, and vice versa. One statement for the
    address and its twin, with the contact joined in (the caller always reads it next).
    """
    query, params, wanted = _lookup(_identities_query, kind, address)
    found = {(i.kind, i.address): i for i in session.scalars(query, params)}
    return next((found[key] for key in wanted if key in found), None)


def identity_rows(session: Session, kind: str, address: str) -> dict:
    """Like :func:`find_identity` but read-only: every matching identity (the exact one
    and twins) as a plain row with its contact's profile fields, keyed by (kind, address)."""
    query, params, _ = _lookup(_identity_rows_query, kind, address)
    return {(row.kind, row.address): row for row in session.execute(query, params)}


def identity_rows_among(session: Session, identities: list[tuple[str, str]]) -> dict:
    """Like :func:`identity_rows` for several (kind, address) pairs in one statement, but
    exact: the known ones among them (no twins), keyed by (kind, address)."""
    wanted = set(identities)
    if not wanted:
        return {}
    rows = session.execute(_IDENTITY_ROWS_AMONG, {"kinds": sorted({kind for kind, _ in wanted}),
                                                  "addresses": sorted({address for _, address in wanted})})
    return {(row.kind, row.address): row for row in rows if (row.kind, row.address) in wanted}


def find_contact(session: Session, kind: str, address: str) -> Contact | None:
    identity = find_identity(session, kind, address)
    return identity.contact if identity is not None else None


def refresh_derived_fields(session: Session, flush_context, instances) -> None:
    """Keep ``search_text``/``sort_name`` true to the name, email and identities."""
    touched: set[Contact] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Contact) and obj not in session.deleted:
            touched.add(obj)
        elif isinstance(obj, ContactIdentity):
            contact = obj.contact
            if contact is None and obj.contact_id is not None:
                contact = session.get(Contact, obj.contact_id)
            if contact is not None and contact not in session.deleted:
                touched.add(contact)
    deleted = set(session.deleted)
    for contact in touched:
        identities = [(i.kind, i.address) for i in contact.identities if i not in deleted]
        text = search_text_for(contact.name, contact.email, identities)
        if contact.search_text != text:
            contact.search_text = text
        sort_name = fold_name(contact.name)[:200]
        if contact.sort_name != sort_name:
            contact.sort_name = sort_name
