"""Profiles kept up to date by the channels: ``resolve_contact`` (and its batch form
``resolve_contacts``), consent and opt-outs.

Identity
    A channel key and the address it reported map to an identity ``(kind, address)``
    through :func:`plugins.contacts.normalize.identity_for_channel` with the default
    region (:mod:`.settings`). A channel outside that table may say which kind its
    addresses are with an optional ``contact_kind`` attribute on its adapter (e.g.
    ``"phone"`` for an SMS gateway); otherwise its addresses are kept verbatim under
    the channel key as kind, so every chat that starts through a channel gets a
    contact. An address that cannot be normalised (a short code, an alphanumeric
    sender) gets no contact: the host's anonymous default answers.

Same person
    SMS and WhatsApp from one number are one contact (``find_identity`` finds the
    twin); the missing identity is added so consent is kept per channel.

Profile
    A channel's ``profile`` name/email fills the contact's fields unless an agent set
    them (``Contact.apply_channel_profile``).

Events
    A contact created here is announced by the ``chat_started`` that always follows
    (the host is writing that chat in this very transaction); later changes a channel
    makes (a new name, a twin identity, STOP/START) emit ``contact_changed``.

Races
    Two first messages from one new address can race; the loser's insert violates the
    identity's unique constraint, the session is rolled back (``resolve_contact`` runs
    before the host has written anything in that request) and the winner's contact is
    used.
"""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from host.plugin_api import bus, db, ContactRef, enabled_channels

from . import chat_links
from .models import (Contact, ContactIdentity, channel_profile_changes, find_identity, identity_rows,
                     identity_rows_among)
from .normalize import CHANNEL_KINDS, KINDS, InvalidAddress, normalize, normalize_email
from .service import announce
from .settings import default_region

log = logging.getLogger(__name__)
MAX_ADDRESS = 254


def channel_kind(channel: str) -> str:
    """Which kind of identity a channel's addresses are (see *Identity* above)."""
    kind = CHANNEL_KINDS.get(channel)
    if kind is None:
        adapter = enabled_channels().get(channel)
        kind = getattr(adapter, "contact_kind", None) or channel
    return kind


def channel_identity(channel: str, address: str | None, region: str | None = None,
                     kind: str | None = None) -> tuple[str, str]:
    """The identity behind a channel address; raises ``InvalidAddress`` when there is none.
    ``region`` and ``kind``, when given, are what :func:`default_region` and
    :func:`channel_kind` answer (a batch asks them once)."""
    region = region or default_region()
    address = (address or "").replace("\x00", "")
    kind = kind or channel_kind(channel)
    if kind in KINDS:
        return kind, normalize(kind, address, region)
    text = (address or "").strip()
    if not text or len(text) > MAX_ADDRESS:
        raise InvalidAddress("address", f"“{text[:40]}” is not an address a contact can have.")
    return kind[:16], text


def _profile(profile) -> tuple[str | None, str | None]:
    profile = profile or {}
    name = " ".join(str(profile.get("name") or "").replace("\x00", "").split())[:200] or None
    email = None
    if profile.get("email"):
        try:
            email = normalize_email(str(profile["email"]))
        except InvalidAddress:
            email = None
    return name, email


def resolve(channel: str, address: str, profile) -> ContactRef | None:
    asked = _asked(channel, address, profile)
    if asked is None:
        return None
    kind, normalised, name, email = asked
    for attempt in range(2):
        try:
            # Most messages come from a known identity whose profile says nothing new:
            # read it as a plain row and load no objects.
            rows = identity_rows(db.session, kind, normalised)
            unchanged = _unchanged(rows, *asked)
            if unchanged is not None:
                return unchanged
            contact = _update(kind, normalised, name, email) if rows else _create(kind, normalised, name, email)
            break
        except IntegrityError:
            db.session.rollback()  # another request created this identity first
            if attempt:
                raise
    return ContactRef(id=contact.id, name=contact.name, group_id=contact.group_id,
                      preferred_channel=contact.preferred_channel)


def resolve_many(customers) -> list[ContactRef | None]:
    """``resolve_contacts``: known customers whose profile changes nothing — most of a busy
    inbox — are read in one statement; the others (new, a new twin, a new name) and any
    customer of a contact one of them changed go the way of :func:`resolve`, one by one."""
    # The settings behind an identity (the region, a channel's kind) are read once for the batch.
    region = default_region()
    kinds = {channel: channel_kind(channel) for channel in {customer.channel for customer in customers}}
    asked = [_asked(customer.channel, customer.address, customer.profile, region, kinds[customer.channel])
             for customer in customers]
    rows = identity_rows_among(db.session, [question[:2] for question in asked if question is not None])
    changed: set[int] = set()
    answers: list[ContactRef | None] = []
    for customer, question in zip(customers, asked, strict=True):
        known = _unchanged(rows, *question) if question is not None else None
        if known is not None and known.id not in changed:
            answers.append(known)
        elif question is None:
            answers.append(None)
        else:
            answers.append(resolve(customer.channel, customer.address, customer.profile))
            changed.add(answers[-1].id)
    return answers


def _asked(channel: str, address: str, profile, region: str | None = None, kind: str | None = None) -> tuple | None:
    """(kind, normalised address, name, email) of a channel's message; None for an
    address that isn't one of that channel's."""
    try:
        kind, normalised = channel_identity(channel, address, region, kind)
    except InvalidAddress:
        return None
    return (kind, normalised, *_profile(profile))


def _unchanged(rows: dict, kind: str, address: str, name, email) -> ContactRef | None:
    """The contact of the exact identity among ``rows`` if the profile changes nothing on it."""
    row = rows.get((kind, address))
    if row is None or channel_profile_changes(row, name=name, email=email):
        return None
    return ContactRef(id=row.contact_id, name=row.name, group_id=row.group_id,
                      preferred_channel=row.preferred_channel)


def _create(kind: str, address: str, name: str | None, email: str | None) -> Contact:
    contact = Contact(name="")
    contact.apply_channel_profile(name=name, email=email)
    contact.identities.append(ContactIdentity(kind=kind, address=address))
    db.session.add(contact)
    db.session.flush()
    chat_links.adopt(contact.id, chat_links.chat_addresses(kind, address))
    return contact


def _update(kind: str, address: str, name: str | None, email: str | None) -> Contact:
    """A known contact whose profile changes, or the twin of a known identity."""
    identity = find_identity(db.session, kind, address)
    contact = identity.contact
    changed = False
    if (identity.kind, identity.address) != (kind, address):  # the SMS/WhatsApp twin
        contact.identities.append(ContactIdentity(kind=kind, address=address))
        changed = True
    changed = contact.apply_channel_profile(name=name, email=email) or changed
    if changed:
        db.session.flush()
        announce(contact, None)
    return contact


# --- consent -------------------------------------------------------------------------------

def _exact_identity(channel: str, address: str | None) -> ContactIdentity | None:
    try:
        kind, normalised = channel_identity(channel, address)
    except InvalidAddress:
        return None
    return db.session.scalar(select(ContactIdentity).filter_by(kind=kind, address=normalised))


def _channel_label(channel: str) -> str:
    adapter = enabled_channels().get(channel)
    return getattr(adapter, "label", None) or {"sms": "SMS", "whatsapp": "WhatsApp"}.get(channel, channel)


def consent_refusal(channel: str, address: str) -> str | None:
    """``check_consent``: a sentence when this identity opted out, else None."""
    identity = _exact_identity(channel, address)
    if identity is None or not identity.opted_out:
        return None
    label = _channel_label(channel)
    return (f"This customer opted out of {label} messages (they replied STOP), so nothing was sent. "
            f"They can opt back in by sending START.")


def set_consent(channel: str, address: str | None, opted_out: bool, source: str, detail: str = "") -> bool:
    """Record STOP/START (or a provider's opt-out refusal) for the identity, with its
    history line; commits and announces a change."""
    from .consent import record

    identity = _exact_identity(channel, address)
    if identity is None or not record(identity, opted_out, source, detail):
        return False
    db.session.flush()
    announce(identity.contact, None)
    bus.commit()
    return True


def on_message_received(event) -> None:
    if event.opt_out not in ("stop", "start"):
        return
    message = event.message
    address = message.get("sender") or event.chat.get("customer_address")
    set_consent(message.get("channel") or event.chat.get("channel"), address, event.opt_out == "stop",
                "customer", (message.get("body") or "").strip()[:200])


def on_status_changed(event) -> None:
    if not event.opted_out:
        return
    message = event.message
    address = message.get("recipient") or event.chat.get("customer_address")
    code = message.get("error_code")
    detail = f"error {code}" if code else (message.get("error_message") or "opted out")
    set_consent(message.get("channel") or event.chat.get("channel"), address, True, "provider", detail)
