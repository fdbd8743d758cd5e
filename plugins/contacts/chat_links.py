"""The contacts plugin's only writes to a host table: ``chats.contact_id`` and
``chats.customer_name`` (the contact's name, as chat lists show it).

``Chat.contact_id`` has no foreign key (the host does not know this plugin's tables);
the contacts plugin owns that column and keeps it true when contacts are created,
merged or deleted. Everything else about chats stays the host's: these functions
never change a chat's status, group, agent or channel, and they run inside the
caller's transaction so a merge or a delete moves the chats in the same commit.
"""
from __future__ import annotations

from collections.abc import Iterable

from flask_login import current_user
from sqlalchemy import func, select, update

from host.plugin_api import access, db, Chat


from .normalize import phone_identities, phone_of

MAX_EVENT_CHATS = 500  # rooms one contact_changed is pushed to, most recent chats first


def chat_ids(contact_id: int, limit: int = MAX_EVENT_CHATS) -> tuple[int, ...]:
    """Ids of the contact's chats, open ones and the most recent first."""
    rows = db.session.execute(
        select(Chat.id).where(Chat.contact_id == contact_id)
        .order_by((Chat.status == "archived").asc(), Chat.id.desc()).limit(limit)).scalars()
    return tuple(rows)


def chats_of(contact_id: int, limit: int = 200) -> list[Chat]:
    """The contact's chats the signed-in agent may see: open first, then newest."""
    query = select(Chat).where(Chat.contact_id == contact_id, access.chat_filter(current_user))
    last = func.coalesce(Chat.last_message_at, Chat.created_at)
    return list(db.session.execute(query.order_by((Chat.status == "archived").asc(), last.desc(), Chat.id.desc())
                                   .limit(limit)).scalars())


def chat_addresses(kind: str, address: str) -> list[str]:
    """How chats of an identity store the customer's address (SMS ⇄ WhatsApp share a number)."""
    number = phone_of(kind, address)
    if number:
        return [a for _, a in phone_identities(number)]
    return [address]


def orphans(addresses: Iterable[str]) -> list[int]:
    """Ids of the chats of these addresses that have no contact (what :func:`adopt` takes)."""
    addresses = sorted(set(addresses))
    if not addresses:
        return []
    return list(db.session.execute(select(Chat.id).where(
        Chat.contact_id.is_(None), Chat.customer_address.in_(addresses))).scalars())


def adopt(contact_id: int, addresses: Iterable[str]) -> list[int]:
    """Give chats of these addresses that have no contact yet to ``contact_id``.

    Chats started before the contact existed (or while the plugin was off, or after
    their contact was deleted) then join the profile the next message resolves to.
    """
    addresses = sorted(set(addresses))
    if not addresses:
        return []
    where = (Chat.contact_id.is_(None), Chat.customer_address.in_(addresses))
    ids = list(db.session.execute(select(Chat.id).where(*where)).scalars())
    if ids:
        _set(Chat.id.in_(ids), contact_id)
    return ids


def link(chat_id: int, contact_id: int) -> None:
    _set(Chat.id == chat_id, contact_id)


def move(from_contact_id: int, to_contact_id: int) -> list[int]:
    """A merge: every chat of one contact now belongs to the other."""
    ids = list(db.session.execute(select(Chat.id).where(Chat.contact_id == from_contact_id)).scalars())
    if ids:
        _set(Chat.contact_id == from_contact_id, to_contact_id)
    return ids


def unlink(contact_id: int) -> list[int]:
    """A delete: the contact's chats stay, as chats without a contact."""
    ids = list(db.session.execute(select(Chat.id).where(Chat.contact_id == contact_id)).scalars())
    if ids:
        _set(Chat.contact_id == contact_id, None)
    return ids


def rename(contact_id: int, name: str) -> None:
    """Chats show their contact's name: lists read ``chats.customer_name``, so a rename
    reaches them after a reload too (consoles already open rename on ``contact:updated``)."""
    if name:
        db.session.execute(update(Chat).where(Chat.contact_id == contact_id, Chat.customer_name != name)
                           .values(customer_name=name).execution_options(synchronize_session="fetch"))


def _set(where, contact_id: int | None) -> None:
    db.session.execute(update(Chat).where(where).values(contact_id=contact_id)
                       .execution_options(synchronize_session="fetch"))
