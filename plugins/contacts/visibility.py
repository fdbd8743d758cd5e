"""Which contacts an agent may see and change, through the host's rule (:mod:`host.access`).

* **See** (list, search, read, notes, chats, edit): an admin; or an agent who may see one
  of the contact's chats; or, for a contact with no chat yet, an agent of its group
  override (a contact with neither chat nor override is every agent's). Another
  group's contact answers 404, like another group's chat.
* **Move to another group** (change the group override): an admin, or a member of the
  contact's current group — its override, else the group of its current chat (open,
  else the last archived one). Nobody moves a customer out of a group they are not in.
* **Claim chats**: a contact created or edited with an address adopts that address's
  chats that have no contact yet; an agent may not do that to chats they cannot see
  (403 naming their group), or the contact's override would pull that customer's next
  conversation away from its group.
* **Delete**: an admin, or an agent who may see every chat of the contact (notes are
  shared by every group that talks to the customer).
* **Merge, import, export**: admins only (they move or read customers in bulk).
"""
from __future__ import annotations

from flask_smorest import abort
from sqlalchemy import select

from host.plugin_api import access, db, Agent, Chat, Group

from .models import Contact

NOT_FOUND = "There is no such contact; it may have been deleted or merged, or it belongs to a group you're not in."


def condition(agent: Agent):
    """The rule as a condition on contacts (for lists and searches)."""
    return access.contact_filter(agent, Contact.id, Contact.group_id)


def may_see(agent: Agent, contact: Contact | None) -> bool:
    return contact is not None and access.may_see_contact(agent, contact.id, contact.group_id)


def contact_or_404(contact_id: int, agent: Agent) -> Contact:
    contact = db.session.get(Contact, contact_id)
    if not may_see(agent, contact):
        abort(404, message=NOT_FOUND)
    return contact


def current_group_id(contact: Contact) -> int | None:
    """The group a contact belongs to now: its override, else its current chat's."""
    if contact.group_id is not None:
        return contact.group_id
    return db.session.execute(
        select(Chat.group_id).where(Chat.contact_id == contact.id)
        .order_by((Chat.status == "archived").asc(), Chat.archived_at.desc(), Chat.id.desc()).limit(1)).scalar()


def _name(group_id: int | None) -> str:
    group = db.session.get(Group, group_id) if group_id is not None else None
    return group.name if group is not None else "another group"


def group_change_refusal(agent: Agent, contact: Contact, new_group_id) -> str | None:
    """Why ``agent`` may not set the contact's override to ``new_group_id`` (None: they may)."""
    if new_group_id == contact.group_id or agent.is_admin:
        return None
    current = current_group_id(contact)
    if current is None or current in agent.group_ids():
        return None
    name = _name(current)
    return (f"This customer belongs to {name}: only a {name} agent or an admin can move them to another "
            "group.")


def adoption_refusal(agent: Agent, chat_ids) -> str | None:
    """Why ``agent`` may not give these contact-less chats a contact (None: they may)."""
    hidden = access.hidden_chats(agent, chat_ids)
    if not hidden:
        return None
    name = access.hidden_group_name(hidden)
    return (f"This number is a customer of {name}: only a {name} agent or an admin can create or edit "
            "their contact.")


def delete_refusal(agent: Agent, contact: Contact) -> str | None:
    ids = db.session.execute(select(Chat.id).where(Chat.contact_id == contact.id)).scalars().all()
    hidden = access.hidden_chats(agent, ids)
    if not hidden:
        return None
    name = access.hidden_group_name(hidden)
    return f"This contact also talks to {name}. Ask an admin to delete it."


def _named_contact_visible(agent: Agent, contact_id) -> bool:
    try:
        contact = db.session.get(Contact, int(contact_id))
    except (TypeError, ValueError):
        return False
    return may_see(agent, contact)


# Routes that name a contact in their path are refused before they run (host.access.install).
access.register_check(access.CONTACT, _named_contact_visible)
