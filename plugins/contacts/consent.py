"""Consent history per channel, and admins clearing an opt-out with a recorded reason.

Every change of an identity's ``opted_out`` is kept as a :class:`ConsentChange`: the
customer's keyword message (STOP, START …), a provider refusing a send because they
opted out (Twilio's 21610), or an admin clearing the opt-out. Agents see the current
state on the contact; the history and the clearing are for admins only.

Clearing records our side only: a provider that keeps its own block (Twilio does, per
number or Messaging Service) keeps refusing until the customer opts back in there, and
the next refusal opts them out again, with its own line in the history.
"""
from __future__ import annotations

from host.plugin_api import bus, db, utcnow, Agent

from .models import ConsentChange, Contact, ContactIdentity

CUSTOMER, PROVIDER, ADMIN = "customer", "provider", "admin"
# Email addresses and LiveChat ids carry no consent of their own unless they opted out.
MESSAGING_KINDS_ONLY_WHEN_OUT = ("email", "livechat")


class ConsentError(Exception):
    def __init__(self, message: str, status: int = 409):
        super().__init__(message)
        self.status = status


def record(identity: ContactIdentity, opted_out: bool, source: str, detail: str = "",
           agent: Agent | None = None) -> bool:
    """Change the identity's consent and keep the change; False when nothing changed."""
    if identity.opted_out == opted_out:
        return False
    identity.set_opted_out(opted_out)
    db.session.add(ConsentChange(contact_id=identity.contact_id, kind=identity.kind, address=identity.address,
                                 opted_out=opted_out, source=source, detail=(detail or "")[:2000],
                                 agent_id=agent.id if agent else None))
    return True


def sentence(change: ConsentChange) -> str:
    """The change in words, for the admin's view."""
    if change.source == CUSTOMER:
        verb = "Opted out" if change.opted_out else "Opted back in"
        return f"{verb}: the customer texted “{change.detail}”."
    if change.source == PROVIDER:
        return f"Opted out: a message was refused because the customer opted out ({change.detail})."
    who = (change.agent.name or change.agent.email) if change.agent else "an admin"
    if change.opted_out:
        return f"Opted out by {who}: {change.detail}"
    return f"Opt-out cleared by {who}: {change.detail}"


def channels(contact: Contact) -> list[dict]:
    """Each identity that carries consent, with its current state and history (newest first)."""
    changes = db.session.execute(db.select(ConsentChange).where(ConsentChange.contact_id == contact.id)
                                 .order_by(ConsentChange.id.desc())).scalars().all()
    result = []
    for identity in contact.identities:
        history = [c for c in changes if (c.kind, c.address) == (identity.kind, identity.address)]
        if identity.kind in MESSAGING_KINDS_ONLY_WHEN_OUT and not identity.opted_out and not history:
            continue
        result.append({"identity_id": identity.id, "kind": identity.kind, "address": identity.address,
                       "opted_out": identity.opted_out, "opted_out_at": identity.opted_out_at,
                       "history": [_change(c) for c in history]})
    return result


def _change(change: ConsentChange) -> dict:
    return {"id": change.id, "opted_out": change.opted_out, "source": change.source, "detail": change.detail,
            "agent_name": (change.agent.name or change.agent.email) if change.agent else None,
            "created_at": change.created_at, "sentence": sentence(change)}


def clear(contact: Contact, identity_id: int, reason: str, agent: Agent) -> dict:
    """An admin clears an opt-out, with a reason that stays in the history; commits."""
    from .service import announce

    identity = next((i for i in contact.identities if i.id == identity_id), None)
    if identity is None:
        raise ConsentError("This contact has no such address.", 404)
    if not identity.opted_out:
        raise ConsentError("This address is not opted out: there is nothing to clear.")
    record(identity, False, ADMIN, reason.strip(), agent)
    contact.updated_at = utcnow()
    db.session.flush()
    announce(contact, agent)
    bus.commit()
    return next(c for c in channels(contact) if c["identity_id"] == identity.id)
