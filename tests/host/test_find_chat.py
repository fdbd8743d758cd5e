"""Which chat a customer's message continues: the open one, else the latest archived one
(one query; its ordering must hold on SQLite and PostgreSQL alike)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from host import chats
from host.contracts import ContactRef
from host.extensions import db
from host.models import Chat, utcnow

ADDRESS = "+14155550123"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def switchboard_config(request):
    return {"DATABASE_URL": request.getfixturevalue("postgres_url")} if request.param == "postgresql" else {}


@pytest.fixture
def switchboard_plugins():
    return ""


def add(**fields):
    chat = Chat(channel="sms", customer_address=ADDRESS, **fields)
    db.session.add(chat)
    db.session.commit()
    return chat


def test_the_open_chat_wins_then_the_most_recently_archived_one(app):
    nobody = ContactRef(id=None)
    assert chats.find_chat_for(nobody, ADDRESS) is None
    now = utcnow()
    older = add(status="archived", archived_at=now - timedelta(days=2))
    latest = add(status="archived", archived_at=now - timedelta(days=1))
    add(status="archived", archived_at=now - timedelta(days=3))
    assert chats.find_chat_for(nobody, ADDRESS) is latest

    older.status, older.archived_at = "active", None
    db.session.commit()
    assert chats.find_chat_for(nobody, ADDRESS) is older
    # an open chat keeps an old archive time after a reopen elsewhere: still open, and newer
    newest_open = add(status="queued", archived_at=now)
    assert chats.find_chat_for(nobody, ADDRESS) is newest_open
    assert chats.find_chat_for(nobody, "+10000000000") is None


def test_a_contacts_chat_is_found_by_contact_not_address(app):
    mine = add(status="queued", contact_id=7)
    add(status="active")  # same address, no contact
    assert chats.find_chat_for(ContactRef(id=7), "+19999999999") is mine
    assert chats.find_chat_for(ContactRef(id=8), ADDRESS) is None
