"""The host's own answers to the question hooks; any plugin may answer first."""
from __future__ import annotations

from flask import current_app

from host import hookimpl
from host.contracts import ContactRef, SendError
from host.send_failures import NOT_SET_UP


@hookimpl(trylast=True)
def resolve_contact(channel, address, profile):
    """Without a plugin keeping contact records, a customer is just their address."""
    return ContactRef(id=None, name=(profile or {}).get("name", ""))


@hookimpl(trylast=True)
def resolve_contacts(customers):
    """No plugin answers for a whole batch: each customer is asked about on their own."""
    from host.chats import resolve

    return [resolve(customer.channel, customer.address, customer.profile) for customer in customers]


@hookimpl(trylast=True)
def route_chat(chat, contact, to_address):
    from host.models import Group
    from host.extensions import db

    group = db.session.execute(db.select(Group).order_by(Group.is_default.desc(), Group.id)).scalars().first()
    return group.id if group else None


@hookimpl(trylast=True)
def check_consent(channel, address):
    return None


@hookimpl(trylast=True)
def send_message(message):
    """Hand the message to the adapter registered for its channel."""
    sb = current_app.extensions["switchboard"]
    adapter = sb.enabled_channels().get(message.channel)
    if adapter is None:  # switched off, or not set up (the sentence names the missing settings)
        refusal = sb.channel_refusal(message.channel) or f"No enabled channel can send {message.channel!r} messages."
        raise SendError(refusal, code=NOT_SET_UP, retryable=False)
    return adapter.send(message)
