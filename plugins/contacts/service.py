"""What agents do to contacts: create, edit, delete, merge, notes — validated, all or nothing.

Functions here change the session and queue ``contact_changed`` events; the caller
commits with ``host.emit.commit()`` (so the events go out only once the data is
durable) or rolls back. Nothing is written before every field has been checked, so
a refused request leaves no trace.

Errors:

* :class:`InvalidContact` — field → sentences, for a 422;
* :class:`DuplicateContact` — an address (or email) another contact already has, with
  that contact, for a 409 that points at it;
* :class:`Forbidden` — the agent may not do this to this customer (:mod:`.visibility`),
  for a 403 with the sentence.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import update

from host.plugin_api import bus, db, utcnow, Agent, ContactChanged, Group

from . import chat_links, visibility
from .models import ConsentChange, Contact, ContactIdentity, ContactNote, find_identity
from .normalize import InvalidAddress, normalize_email, normalize_phone, normalize_whatsapp
from .schemas import ContactSchema
from .search import search_contacts

PREFERRED = {"sms": "sms", "whatsapp": "whatsapp"}  # channels a chat can be reopened on
CHANNEL_NAMES = {"sms": "SMS", "whatsapp": "WhatsApp"}
EDITABLE = ("name", "email", "phone", "whatsapp", "preferred_channel", "group_id")
FIELD_KIND = {"phone": "phone", "whatsapp": "whatsapp"}


class InvalidContact(ValueError):
    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


class DuplicateContact(ValueError):
    def __init__(self, field: str, message: str, existing: Contact, shown: str = ""):
        super().__init__(message)
        self.field = field
        self.message = message
        self.existing = existing
        self.shown = shown  # the address as the agent typed it, for a refusal that names nobody

    def pointer(self) -> dict:
        return {"id": self.existing.id, "name": self.existing.name,
                "url": f"/api/v1/contacts/{self.existing.id}"}


def label(contact: Contact) -> str:
    return contact.name or contact.email or next((i.address for i in contact.identities), f"#{contact.id}")


# --- validation ------------------------------------------------------------------------

def clean(data: dict, region: str) -> dict:
    """Normalise the editable fields present in ``data``; every problem at once.

    Empty strings mean "clear". Returns only the keys given.
    """
    errors: dict[str, list[str]] = {}
    out: dict = {}

    def blank(value) -> bool:
        return value is None or (isinstance(value, str) and not value.strip())

    if "name" in data:
        out["name"] = " ".join((data["name"] or "").split())
        if len(out["name"]) > 200:
            errors["name"] = ["Use at most 200 characters for the name."]
    for field, normalise in (("email", lambda v: normalize_email(v)),
                             ("phone", lambda v: normalize_phone(v, region)),
                             ("whatsapp", lambda v: normalize_whatsapp(v, region))):
        if field not in data:
            continue
        if blank(data[field]):
            out[field] = None
            continue
        try:
            out[field] = normalise(str(data[field]))
        except InvalidAddress as exc:
            errors[field] = [exc.message]
    if "preferred_channel" in data:
        value = data["preferred_channel"]
        if blank(value):
            out["preferred_channel"] = None
        elif str(value).strip().lower() in PREFERRED:
            out["preferred_channel"] = PREFERRED[str(value).strip().lower()]
        else:
            errors["preferred_channel"] = [f"“{value}” is not a channel a chat can be reopened on; "
                                           "choose SMS or WhatsApp, or leave it empty."]
    if "group_id" in data:
        value = data["group_id"]
        if value is None:
            out["group_id"] = None
        elif db.session.get(Group, value) is None:
            errors["group_id"] = ["There is no group with this id."]
        else:
            out["group_id"] = value
    if errors:
        raise InvalidContact(errors)
    return out


def _check_whole(state: dict, identities_left: bool) -> None:
    """Rules about the contact as a whole, after the change."""
    errors: dict[str, list[str]] = {}
    if not (state.get("name") or state.get("email") or state.get("phone") or state.get("whatsapp")
            or identities_left):
        errors["name"] = ["Give the contact at least a name, a phone number, a WhatsApp number or an email."]
    preferred = state.get("preferred_channel")
    if preferred and not (state.get("phone") or state.get("whatsapp") or state.get("other_numbers")):
        errors["preferred_channel"] = [f"Add a phone or WhatsApp number before choosing "
                                       f"{CHANNEL_NAMES[preferred]} as the preferred channel."]
    if errors:
        raise InvalidContact(errors)


def contacts_with_email(email: str, exclude_id: int | None = None) -> list[Contact]:
    """Contacts whose profile email (or an email identity) is ``email``.

    Read through the search index (an exact start token), then checked, so it costs
    an index lookup rather than a scan of every contact.
    """
    found = []
    for contact in search_contacts(db.session, email, limit=20):
        if contact.id == exclude_id:
            continue
        if contact.email == email or any(i.kind == "email" and i.address == email for i in contact.identities):
            found.append(contact)
    return found


def check_duplicates(values: dict, exclude_id: int | None = None) -> None:
    """Refuse an address that another contact already has (SMS and WhatsApp share a number)."""
    for field in ("phone", "whatsapp"):
        address = values.get(field)
        if not address:
            continue
        identity = find_identity(db.session, FIELD_KIND[field], address)
        if identity is not None and identity.contact_id != exclude_id:
            other = identity.contact
            shown = address.removeprefix("whatsapp:")
            raise DuplicateContact(field, f"{shown} already belongs to {label(other)} (contact #{other.id}). "
                                          "Open that contact, or merge the two.", other, shown)
    email = values.get("email")
    if email:
        others = contacts_with_email(email, exclude_id)
        if others:
            other = others[0]
            raise DuplicateContact("email", f"{email} already belongs to {label(other)} "
                                            f"(contact #{other.id}). Open that contact, or merge the two.", other,
                                   email)


# --- changes ---------------------------------------------------------------------------

def snapshot(contact: Contact) -> dict:
    return ContactSchema().dump(contact)


def announce(contact: Contact, agent: Agent | None, deleted: bool = False,
             chat_ids: tuple[int, ...] | None = None) -> None:
    """Queue ``contact_changed``: the host pushes ``contact:updated`` to the contact's chats."""
    ids = chat_ids if chat_ids is not None else chat_links.chat_ids(contact.id)
    bus.emit(ContactChanged(contact=snapshot(contact), chat_ids=tuple(ids),
                            by_agent_id=agent.id if agent else None, deleted=deleted))


def _set_identity(contact: Contact, kind: str, address: str | None) -> bool:
    """Make ``address`` the contact's first identity of ``kind`` (None removes it)."""
    current = contact.identity(kind)
    if current is not None and current.address == address:
        return False
    if current is not None:
        contact.identities.remove(current)  # a new number starts with fresh consent
    if address is not None:
        already = next((i for i in contact.identities if i.kind == kind and i.address == address), None)
        if already is None:
            contact.identities.insert(0, ContactIdentity(kind=kind, address=address))
        else:  # it was a second number of this kind: it becomes the first
            contact.identities.remove(already)
            contact.identities.insert(0, already)
    return True


def apply(contact: Contact, values: dict) -> list[tuple[str, str]]:
    """Write cleaned values onto the contact as an agent's edit; returns added identities."""
    if "name" in values:
        contact.set_by_agent(name=values["name"])
    if "email" in values:
        contact.set_by_agent(email=values["email"] or "")
    added = []
    for field in ("phone", "whatsapp"):
        if field in values and _set_identity(contact, FIELD_KIND[field], values[field]) and values[field]:
            added.append((FIELD_KIND[field], values[field]))
    if "preferred_channel" in values:
        contact.preferred_channel = values["preferred_channel"]
    if "group_id" in values:
        contact.group_id = values["group_id"]
    contact.updated_at = utcnow()
    return added


def _state_after(contact: Contact | None, values: dict) -> tuple[dict, bool]:
    state = {}
    if contact is not None:
        whatsapp = contact.identity("whatsapp")
        state = {"name": contact.name, "email": contact.email, "preferred_channel": contact.preferred_channel,
                 "phone": contact.identity("phone").address if contact.identity("phone") else None,
                 "whatsapp": whatsapp.address if whatsapp else None}
    state.update(values)
    others = []
    if contact is not None:
        firsts = {contact.identity("phone"), contact.identity("whatsapp")}
        others = [i for i in contact.identities if i not in firsts]
    state["other_numbers"] = any(i.kind in ("phone", "whatsapp") for i in others)
    return state, bool(others)


@dataclass
class Prepared:
    values: dict


def check_new(values: dict) -> None:
    """The whole-contact rules for cleaned values of a new contact (not duplicates)."""
    state, _ = _state_after(None, values)
    _check_whole(state, identities_left=False)


def prepare_create(data: dict, region: str) -> Prepared:
    """Everything a new contact needs checked, before anything is written."""
    values = clean({k: data[k] for k in EDITABLE if k in data}, region)
    check_new(values)
    check_duplicates(values)
    return Prepared(values)


def create(prepared: Prepared, agent: Agent | None, note: str | None = None,
           announce_it: bool = True) -> Contact:
    contact = Contact(name="")
    added = apply(contact, prepared.values)
    db.session.add(contact)
    if note and note.strip():
        db.session.add(ContactNote(contact=contact, author_id=agent.id if agent else None, body=note.strip()))
    db.session.flush()
    for kind, address in added:
        chat_links.adopt(contact.id, chat_links.chat_addresses(kind, address))
    chat_links.rename(contact.id, contact.name)
    if announce_it:
        announce(contact, agent)
    return contact


class Forbidden(Exception):
    """The agent may not do this to this customer; the sentence says why and what to do."""


def _check_claims(agent: Agent | None, values: dict) -> None:
    """Refuse numbers whose contact-less chats the agent cannot see (before any write)."""
    if agent is None:
        return
    addresses = [a for field in ("phone", "whatsapp") if values.get(field)
                 for a in chat_links.chat_addresses(FIELD_KIND[field], values[field])]
    refusal = visibility.adoption_refusal(agent, chat_links.orphans(addresses))
    if refusal:
        raise Forbidden(refusal)


def create_contact(data: dict, agent: Agent | None, region: str) -> Contact:
    prepared = prepare_create(data, region)
    _check_claims(agent, prepared.values)
    return create(prepared, agent, note=data.get("note"))


def prepare_update(contact: Contact, data: dict, region: str) -> Prepared:
    values = clean({k: data[k] for k in EDITABLE if k in data}, region)
    state, others = _state_after(contact, values)
    _check_whole(state, identities_left=others)
    check_duplicates({k: v for k, v in values.items() if k != "email" or v != contact.email},
                     exclude_id=contact.id)
    return Prepared(values)


def update_contact(contact: Contact, data: dict, agent: Agent | None, region: str,
                   announce_it: bool = True) -> Contact:
    prepared = prepare_update(contact, data, region)
    if agent is not None and "group_id" in prepared.values:
        refusal = visibility.group_change_refusal(agent, contact, prepared.values["group_id"])
        if refusal:
            raise Forbidden(refusal)
    _check_claims(agent, prepared.values)
    added = apply(contact, prepared.values)
    db.session.flush()
    for kind, address in added:
        chat_links.adopt(contact.id, chat_links.chat_addresses(kind, address))
    if added or "name" in prepared.values:
        chat_links.rename(contact.id, contact.name)
    if announce_it:
        announce(contact, agent)
    return contact


def delete_contact(contact: Contact, agent: Agent | None) -> None:
    """Delete the contact, its identities and notes; its chats stay, without a contact."""
    data = snapshot(contact)
    ids = chat_links.unlink(contact.id)
    db.session.delete(contact)
    db.session.flush()
    bus.emit(ContactChanged(contact=data, chat_ids=tuple(ids), by_agent_id=agent.id if agent else None,
                            deleted=True))


def merge_contacts(survivor: Contact, other: Contact, agent: Agent | None) -> Contact:
    """Move ``other``'s identities, notes, consent history and chats to ``survivor``, then delete ``other``.

    The survivor keeps its own name, email, preferred channel and group override and
    takes ``other``'s where it has none. One transaction: the caller commits.
    """
    if survivor.id == other.id:
        raise InvalidContact({"other_id": ["Choose a different contact to merge with."]})
    for field in ("name", "email"):
        if not getattr(survivor, field) and getattr(other, field):
            setattr(survivor, field, getattr(other, field))
            setattr(survivor, f"{field}_source", getattr(other, f"{field}_source"))
    survivor.preferred_channel = survivor.preferred_channel or other.preferred_channel
    survivor.group_id = survivor.group_id or other.group_id
    for identity in list(other.identities):
        other.identities.remove(identity)
        survivor.identities.append(identity)
    db.session.flush()
    for model in (ContactNote, ConsentChange):
        db.session.execute(update(model).where(model.contact_id == other.id)
                           .values(contact_id=survivor.id).execution_options(synchronize_session="fetch"))
    moved = chat_links.move(other.id, survivor.id)
    chat_links.rename(survivor.id, survivor.name)
    gone = snapshot(other)
    db.session.delete(other)
    survivor.updated_at = utcnow()
    db.session.flush()
    announce(survivor, agent)
    bus.emit(ContactChanged(contact=gone, chat_ids=tuple(moved), by_agent_id=agent.id if agent else None,
                            deleted=True))
    return survivor


def add_note(contact: Contact, body: str, agent: Agent | None) -> ContactNote:
    note = ContactNote(contact=contact, author_id=agent.id if agent else None, body=body.strip())
    db.session.add(note)
    contact.updated_at = utcnow()
    db.session.flush()
    announce(contact, agent)
    return note
