"""LiveChat customer identities: one per contact (or address), token refreshed before expiry.

LiveChat's route for external channels is a customer identity per phone number, minted
with the agent-token grant. The identity (``entity_id``) is kept for good; its customer
token lives 8 hours and is re-minted for the same identity when it has less than
:data:`REFRESH_MARGIN` left, so a call never goes out with a token about to expire.
"""
from __future__ import annotations

from datetime import datetime, timedelta, UTC
from typing import Any
from collections.abc import Mapping

from host.plugin_api import db, utcnow
from host.plugin_api.signin import register_secret
from plugins.livechat.client import CustomerToken, LiveChatApi, LiveChatError
from plugins.livechat.models import LiveChatChat, LiveChatCustomer

REFRESH_MARGIN = timedelta(minutes=10)


def identity_key(chat: Mapping[str, Any]) -> str:
    if chat.get("contact_id"):
        return f"contact:{chat['contact_id']}"
    address = str(chat.get("customer_address") or "").removeprefix("whatsapp:")
    return f"address:{address}"


def customer_for(chat: Mapping[str, Any]) -> LiveChatCustomer:
    """The identity row for a chat snapshot (created empty when new; no API call)."""
    key = identity_key(chat)
    customer = db.session.execute(
        db.select(LiveChatCustomer).where(LiveChatCustomer.identity_key == key)).scalar_one_or_none()
    if customer is None:
        customer = LiveChatCustomer(identity_key=key)
        db.session.add(customer)
        db.session.flush()
    return customer


def token_for(api: LiveChatApi, customer: LiveChatCustomer, now: datetime | None = None) -> CustomerToken:
    """A customer token with at least :data:`REFRESH_MARGIN` to live, minting one if needed."""
    now = now or utcnow()
    if customer.access_token and customer.entity_id and customer.expires_at and \
            customer.expires_at - REFRESH_MARGIN > now:
        register_secret(customer.access_token)
        return CustomerToken(customer.access_token, customer.entity_id,
                             customer.expires_at.replace(tzinfo=UTC))
    try:
        token = api.customer_token(entity_id=customer.entity_id)
    except LiveChatError as exc:
        if not customer.entity_id or exc.retryable:
            raise
        # The identity is gone on LiveChat's side: start a new one, and new chats with it.
        token = api.customer_token()
        for link in db.session.execute(
                db.select(LiveChatChat).where(LiveChatChat.customer_id == customer.id)).scalars():
            link.lc_chat_id, link.lc_thread_id, link.active = None, None, False
    register_secret(token.access_token)
    customer.entity_id = token.entity_id
    customer.access_token = token.access_token
    customer.expires_at = token.expires_at.astimezone(UTC).replace(tzinfo=None)
    db.session.commit()
    return token


def refresh_expiring(api: LiveChatApi, within: timedelta = REFRESH_MARGIN * 2, limit: int = 20) -> int:
    """Re-mint tokens expiring soon of identities with an active chat (the worker calls this)."""
    soon = utcnow() + within
    in_use = db.select(LiveChatChat.customer_id).where(LiveChatChat.active.is_(True))
    rows = db.session.execute(
        db.select(LiveChatCustomer).where(LiveChatCustomer.entity_id.is_not(None),
                                          LiveChatCustomer.expires_at.is_not(None),
                                          LiveChatCustomer.expires_at < soon,
                                          LiveChatCustomer.id.in_(in_use))
        .order_by(LiveChatCustomer.expires_at).limit(limit)).scalars().all()
    refreshed = 0
    for customer in rows:
        customer.expires_at = None  # force a new token
        try:
            token_for(api, customer)
            refreshed += 1
        except LiveChatError:
            db.session.rollback()
    return refreshed
