"""Helpers for the contacts plugin tests: inbound messages straight through the host."""
from __future__ import annotations

import itertools

import pytest

from host.chats import receive
from host.contracts import InboundMessage
from host.extensions import db
from host.models import Chat, Message

_ids = itertools.count(1)


@pytest.fixture
def switchboard_plugins():
    """Only the contacts plugin of the entry points (plus the host's and the test plugins):
    channel plugins' own hooks are not what these tests are about."""
    return "contacts"


@pytest.fixture
def inbound(app):
    """``inbound(channel, from_address, body="hi", profile=None, opt_out=None)`` → the Message.

    Calls ``host.chats.receive`` as a channel's webhook would (the loopback webhook
    cannot carry ``opt_out``, and the sms/whatsapp keys are what identities map).
    """
    def send(channel, address, body="hi", profile=None, opt_out=None):
        stored = receive(InboundMessage(channel=channel, external_id=f"ct-{next(_ids)}", from_address=address,
                                        to_address="+14155550000", body=body, profile=profile or {},
                                        opt_out=opt_out))
        return db.session.get(Message, stored.message_id)
    return send


def chats():
    return db.session.execute(db.select(Chat).order_by(Chat.id)).scalars().all()
