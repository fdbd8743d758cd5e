"""Demo data for ``make run``: agents, groups and a few conversations to work."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app

from host import chats
from host.contracts import AddressFormat, InboundMessage
from host.extensions import db
from host.models import Agent, Group, Message, utcnow

DEMO_EMAIL = "admin@example.com"
DEMO_PASSWORD = "switchboard-demo"
DEMO_LOGIN = f"{DEMO_EMAIL} / {DEMO_PASSWORD}"

# Customers' numbers and what they wrote; each conversation goes by the next text channel
# that takes phone numbers, in the order the plugins registered them.
CONVERSATIONS = [
    ("+14155550101", "Maria Lopez", ["Hi, my order #4411 hasn't arrived yet.", "Can you check?"]),
    ("+447911123456", "Tom Becker", ["Hello! Do you ship to Germany?"]),
    ("+14155550199", "", ["Is the store open on Sunday?"]),
]
OUR_NUMBER = "+14155550000"


def phone_text_channels() -> list[tuple[str, AddressFormat]]:
    """(key, address format) of the registered text channels that take phone numbers."""
    descriptions = current_app.extensions["switchboard"].descriptions.values()
    return [(d.key, d.address) for d in descriptions if d.text and d.address.kind == "phone"]


def has_demo() -> bool:
    return db.session.execute(db.select(Agent).where(Agent.email == DEMO_EMAIL)).scalar_one_or_none() is not None


def load_demo(force: bool = False) -> bool:
    if not force and db.session.execute(db.select(db.func.count(Agent.id))).scalar():
        return False
    support = Group(name="Support", is_default=True)
    sales = Group(name="Sales")
    admin = Agent(email=DEMO_EMAIL, name="Alex Admin", role="admin", groups=[support, sales])
    admin.set_password(DEMO_PASSWORD)
    agent = Agent(email="sam@example.com", name="Sam Agent", role="agent", groups=[support])
    agent.set_password(DEMO_PASSWORD)
    db.session.add_all([support, sales, admin, agent])
    db.session.commit()
    # Through the same path as a real webhook, so the plugins see the conversations
    # too (a plugin keeping contact records makes their profiles) — then backdated, for a
    # lived-in list.
    now = utcnow()
    channels = phone_text_channels()
    for index, (number, name, lines) in enumerate(CONVERSATIONS if channels else []):
        channel, address_format = channels[index % len(channels)]
        address, sender = address_format.prefix + number, address_format.prefix + OUR_NUMBER
        started = now - timedelta(minutes=30 - index * 10)
        for offset, line in enumerate(lines):
            stored = chats.receive(InboundMessage(
                channel=channel, external_id=f"SMdemo{index:02d}{offset:02d}{'0' * 26}", from_address=address,
                to_address=sender, body=line, profile={"name": name} if name else {}))
            message = db.session.get(Message, stored.message_id)
            message.created_at = started + timedelta(seconds=offset * 20)
            chat = message.chat
            chat.created_at = min(chat.created_at, message.created_at)
            chat.last_message_at = chat.last_inbound_at = message.created_at
        db.session.commit()
    return True
