"""The LiveChat plugin's own tables (Alembic branch ``livechat``).

* :class:`LiveChatCustomer` — one LiveChat customer identity per Switchboard contact (or,
  without a contacts plugin, per customer address), with its customer token and expiry.
* :class:`LiveChatChat` — which LiveChat chat (and current thread) mirrors a Switchboard chat.
* :class:`LiveChatEvent` — LiveChat event ids of mirrored messages, both directions: used to
  recognise our own events when they come back, and to write delivery status back.
* :class:`LiveChatWebhookKey` — webhooks already processed (LiveChat redelivers).
* :class:`LiveChatSyncItem` — the LiveChat outbox: API calls waiting to be made, in order
  per chat, with attempts, next attempt and the last error in words.
"""
from __future__ import annotations

from sqlalchemy import UniqueConstraint

from host.plugin_api import db, utcnow


class LiveChatCustomer(db.Model):
    __tablename__ = "livechat_customers"
    id = db.Column(db.Integer, primary_key=True)
    # "contact:<id>" when a contacts plugin knows the customer, else "address:<bare address>"
    # (SMS and WhatsApp of one number share an identity).
    identity_key = db.Column(db.String(300), nullable=False, unique=True)
    entity_id = db.Column(db.String(64), index=True)
    access_token = db.Column(db.String(600))  # customer token: a secret, never shown or logged
    expires_at = db.Column(db.DateTime)
    pushed_name = db.Column(db.String(200))   # what update_customer last sent
    pushed_email = db.Column(db.String(254))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:  # the token stays out of reprs and tracebacks
        return f"<LiveChatCustomer {self.id} {self.identity_key} entity={self.entity_id}>"


class LiveChatChat(db.Model):
    __tablename__ = "livechat_chats"
    id = db.Column(db.Integer, primary_key=True)
    chat_id = db.Column(db.Integer, db.ForeignKey("chats.id", ondelete="CASCADE"), nullable=False, unique=True)
    customer_id = db.Column(db.Integer, db.ForeignKey("livechat_customers.id", ondelete="SET NULL"), index=True)
    lc_chat_id = db.Column(db.String(64), unique=True)  # None until start_chat succeeded
    lc_thread_id = db.Column(db.String(64))
    active = db.Column(db.Boolean, nullable=False, default=False)  # our belief about the LiveChat thread
    lc_group_id = db.Column(db.Integer)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    customer = db.relationship("LiveChatCustomer")


class LiveChatEvent(db.Model):
    __tablename__ = "livechat_events"
    __table_args__ = (UniqueConstraint("lc_chat_id", "lc_event_id", name="uq_livechat_events_chat_event"),)
    id = db.Column(db.Integer, primary_key=True)
    lc_chat_id = db.Column(db.String(64), nullable=False)
    lc_thread_id = db.Column(db.String(64))
    lc_event_id = db.Column(db.String(100), nullable=False)
    message_id = db.Column(db.Integer, db.ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    direction = db.Column(db.String(3), nullable=False)  # in: customer → LiveChat; out: LiveChat agent → customer
    delivered = db.Column(db.Boolean, nullable=False, default=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)


class LiveChatWebhookKey(db.Model):
    __tablename__ = "livechat_webhook_keys"
    key = db.Column(db.String(200), primary_key=True)
    action = db.Column(db.String(40), nullable=False)
    outcome = db.Column(db.String(300))
    received_at = db.Column(db.DateTime, nullable=False, default=utcnow, index=True)


class LiveChatSyncItem(db.Model):
    __tablename__ = "livechat_outbox"
    id = db.Column(db.Integer, primary_key=True)
    chat_id = db.Column(db.Integer, db.ForeignKey("chats.id", ondelete="CASCADE"), nullable=False, index=True)
    action = db.Column(db.String(30), nullable=False)
    payload = db.Column(db.JSON, nullable=False, default=dict)
    state = db.Column(db.String(10), nullable=False, default="pending", index=True)  # pending | done | failed
    attempts = db.Column(db.Integer, nullable=False, default=0)
    next_attempt_at = db.Column(db.DateTime, nullable=False, default=utcnow, index=True)
    locked_until = db.Column(db.DateTime)
    last_error = db.Column(db.String(300))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)
