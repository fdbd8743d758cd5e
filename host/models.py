"""The host's nouns: agents, groups, chats, messages, transfers, calls and the outbox."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, UTC

from flask_login import UserMixin
from sqlalchemy import UniqueConstraint
from werkzeug.security import check_password_hash, generate_password_hash

from host.extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


agent_groups = db.Table(
    "agent_groups",
    db.Column("agent_id", db.Integer, db.ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True),
    db.Column("group_id", db.Integer, db.ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
)


class Group(db.Model):
    __tablename__ = "groups"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(80), nullable=False, unique=True)
    is_default = db.Column(db.Boolean, nullable=False, default=False)


class Agent(UserMixin, db.Model):
    __tablename__ = "agents"
    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(254), nullable=False, unique=True)
    name = db.Column(db.String(120), nullable=False, default="")
    password_hash = db.Column(db.String(256), nullable=False, default="")
    role = db.Column(db.String(10), nullable=False, default="agent")  # agent | admin
    is_active_agent = db.Column(db.Boolean, nullable=False, default=True)
    # New chats and ringing calls play a sound in this agent's console (the profile page).
    sound_alerts = db.Column(db.Boolean, nullable=False, default=True, server_default=db.true())
    # The interface language ("es") and IANA time zone ("Europe/Madrid") the agent picked on
    # their profile; None until then: the browser's Accept-Language and zone apply.
    language = db.Column(db.String(10))
    time_zone = db.Column(db.String(64))
    last_seen_at = db.Column(db.DateTime)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    # An agent's groups come with the agent (access checks need them). A group's agents
    # load only when asked for: loading a chat's group must not pull in every member.
    groups = db.relationship("Group", secondary=agent_groups, lazy="selectin",
                             backref=db.backref("agents", lazy="select"))

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_active(self) -> bool:  # Flask-Login: deactivated agents cannot sign in
        return self.is_active_agent

    #: The credential this agent object was loaded with in this request: an
    #: ``AgentSession`` (cookie) or an ``ApiToken`` (bearer); None outside requests.
    credential = None

    def get_id(self) -> str:
        """Flask-Login's id, stored in the session and "remember me" cookies: the key of
        the sign-in (``AgentSession``), so ending that sign-in ends both cookies at once.

        An agent object that was not signed in through ``host.auth.sign_in`` has no key;
        its id then names no sign-in and a cookie carrying it loads nobody."""
        key = getattr(self.credential, "key", None)
        return key or f"agent-{self.id}-without-sign-in"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """Compare in constant time, and as slowly for an agent without a password as
        for one with (a refusal must not tell which emails exist)."""
        return check_password_hash(self.password_hash or unusable_hash(), password) and bool(self.password_hash)

    def group_ids(self) -> set[int]:
        return {g.id for g in self.groups}


_UNUSABLE_HASH: list[str] = []


def unusable_hash() -> str:
    """A hash of a random password, made once per process: what a sign-in for an unknown
    email (or an agent without a password) is checked against, so it costs the same."""
    if not _UNUSABLE_HASH:
        _UNUSABLE_HASH.append(generate_password_hash(secrets.token_urlsafe(24)))
    return _UNUSABLE_HASH[0]


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiToken(db.Model):
    """Bearer tokens; only a SHA-256 of the secret is stored.

    A token works until it expires (``expires_at``, optional) or is revoked
    (``revoked_at``; the row stays, so the agent's list still shows what it was).
    """

    __tablename__ = "api_tokens"
    id = db.Column(db.Integer, primary_key=True)
    agent_id = db.Column(db.Integer, db.ForeignKey("agents.id", ondelete="CASCADE"), nullable=False, index=True)
    name = db.Column(db.String(80), nullable=False, default="")
    token_hash = db.Column(db.String(64), nullable=False, unique=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    last_used_at = db.Column(db.DateTime)
    expires_at = db.Column(db.DateTime)
    revoked_at = db.Column(db.DateTime)
    agent = db.relationship("Agent")

    hash = staticmethod(secret_hash)

    @property
    def state(self) -> str:
        """``active``, ``expired`` or ``revoked``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= utcnow():
            return "expired"
        return "active"


class AgentSession(db.Model):
    """One sign-in of an agent in one browser: what its session cookie and "keep me
    signed in" cookie both carry (as ``Agent.get_id()``). Deleting the row ends both.

    Only a SHA-256 of the key is stored, like API tokens.
    """

    __tablename__ = "agent_sessions"
    id = db.Column(db.Integer, primary_key=True)
    agent_id = db.Column(db.Integer, db.ForeignKey("agents.id", ondelete="CASCADE"), nullable=False, index=True)
    key_hash = db.Column(db.String(64), nullable=False, unique=True)
    remember = db.Column(db.Boolean, nullable=False, default=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    last_seen_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    user_agent = db.Column(db.String(200), nullable=False, default="")
    ip_address = db.Column(db.String(45), nullable=False, default="")
    agent = db.relationship("Agent")

    #: The raw key, known only in the request that created or loaded this row.
    key = None


CHAT_STATUSES = ("queued", "active", "archived")


class Chat(db.Model):
    """One conversation with one customer, on the channel they last used."""

    __tablename__ = "chats"
    id = db.Column(db.Integer, primary_key=True)
    status = db.Column(db.String(10), nullable=False, default="queued", index=True)
    channel = db.Column(db.String(40), nullable=False)
    customer_address = db.Column(db.String(254), nullable=False, index=True)
    customer_name = db.Column(db.String(200), nullable=False, default="")
    contact_id = db.Column(db.Integer, index=True)  # a plugin's contact record (resolve_contact), no FK
    sender = db.Column(db.String(254))  # sticky sender: our number the chat is bound to
    group_id = db.Column(db.Integer, db.ForeignKey("groups.id", ondelete="SET NULL"), index=True)
    agent_id = db.Column(db.Integer, db.ForeignKey("agents.id", ondelete="SET NULL"), index=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    last_message_at = db.Column(db.DateTime)
    last_inbound_at = db.Column(db.DateTime)
    archived_at = db.Column(db.DateTime)
    group = db.relationship("Group")
    agent = db.relationship("Agent")


MESSAGE_STATUSES = ("received", "queued", "sending", "sent", "delivered", "read",
                    "failed", "undelivered")
# Forward-only ranks; failed/undelivered are final and outrank everything.
STATUS_RANK = {"received": 0, "queued": 1, "accepted": 1, "scheduled": 1, "sending": 2,
               "sent": 3, "delivered": 4, "read": 5, "undelivered": 9, "failed": 9,
               "canceled": 9}


class Message(db.Model):
    __tablename__ = "messages"
    # (chat_id, direction, id): "has this chat a customer message after the agent's read
    # marker" and the unread counts are one range read of this index, never the rows.
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_messages_channel_external_id"),
                      db.Index("ix_messages_chat_id_direction_id", "chat_id", "direction", "id"))
    id = db.Column(db.Integer, primary_key=True)
    chat_id = db.Column(db.Integer, db.ForeignKey("chats.id", ondelete="CASCADE"), nullable=False, index=True)
    direction = db.Column(db.String(3), nullable=False)  # in | out
    kind = db.Column(db.String(10), nullable=False, default="text")  # text media template call system note
    channel = db.Column(db.String(40), nullable=False)
    body = db.Column(db.Text, nullable=False, default="")
    media = db.Column(db.JSON, nullable=False, default=list)
    template = db.Column(db.JSON)
    sender = db.Column(db.String(254))
    recipient = db.Column(db.String(254))
    agent_id = db.Column(db.Integer, db.ForeignKey("agents.id", ondelete="SET NULL"))
    external_id = db.Column(db.String(64))
    status = db.Column(db.String(12), nullable=False, default="received")
    error_code = db.Column(db.String(16))
    error_message = db.Column(db.String(300))
    # the values a failure's sentence names (SendError.detail), worded per reader by the channel
    error_detail = db.Column(db.JSON)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow, index=True)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    chat = db.relationship("Chat", backref=db.backref("messages", lazy="dynamic", order_by="Message.id"))
    agent = db.relationship("Agent")

    def advance_status(self, status: str) -> bool:
        """Move the delivery status forward only; report whether it changed."""
        if STATUS_RANK.get(status, -1) <= STATUS_RANK.get(self.status, -1):
            return False
        self.status = status
        return True


class ChatRead(db.Model):
    """How far each agent has read each chat (drives unread counts)."""

    __tablename__ = "chat_reads"
    agent_id = db.Column(db.Integer, db.ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True)
    chat_id = db.Column(db.Integer, db.ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True)
    last_read_message_id = db.Column(db.Integer, nullable=False, default=0)


class Transfer(db.Model):
    __tablename__ = "transfers"
    id = db.Column(db.Integer, primary_key=True)
    chat_id = db.Column(db.Integer, db.ForeignKey("chats.id", ondelete="CASCADE"), nullable=False, index=True)
    from_agent_id = db.Column(db.Integer, db.ForeignKey("agents.id", ondelete="SET NULL"))
    to_agent_id = db.Column(db.Integer, db.ForeignKey("agents.id", ondelete="SET NULL"))
    to_group_id = db.Column(db.Integer, db.ForeignKey("groups.id", ondelete="SET NULL"))
    by_agent_id = db.Column(db.Integer, db.ForeignKey("agents.id", ondelete="SET NULL"))
    origin = db.Column(db.String(40), nullable=False, default="switchboard")
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)


class Call(db.Model):
    __tablename__ = "calls"
    id = db.Column(db.Integer, primary_key=True)
    chat_id = db.Column(db.Integer, db.ForeignKey("chats.id", ondelete="CASCADE"), nullable=False, index=True)
    call_sid = db.Column(db.String(64), nullable=False, unique=True)
    parent_call_sid = db.Column(db.String(64))
    agent_leg_sid = db.Column(db.String(64))
    direction = db.Column(db.String(3), nullable=False)  # in | out
    status = db.Column(db.String(16), nullable=False, default="ringing")
    from_address = db.Column(db.String(254), nullable=False, default="")
    to_address = db.Column(db.String(254), nullable=False, default="")
    answered_by_id = db.Column(db.Integer, db.ForeignKey("agents.id", ondelete="SET NULL"))
    muted = db.Column(db.Boolean, nullable=False, default=False)
    duration = db.Column(db.Integer)
    recording_url = db.Column(db.String(500))
    started_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    answered_at = db.Column(db.DateTime)
    ended_at = db.Column(db.DateTime)
    chat = db.relationship("Chat")


class OutboxItem(db.Model):
    """An outbound send, persisted before the provider is called."""

    __tablename__ = "outbox"
    id = db.Column(db.Integer, primary_key=True)
    message_id = db.Column(db.Integer, db.ForeignKey("messages.id", ondelete="CASCADE"), nullable=False, unique=True)
    chat_id = db.Column(db.Integer, nullable=False, index=True)
    state = db.Column(db.String(10), nullable=False, default="pending", index=True)  # pending | done | dead
    attempts = db.Column(db.Integer, nullable=False, default=0)
    next_attempt_at = db.Column(db.DateTime, nullable=False, default=utcnow, index=True)
    locked_until = db.Column(db.DateTime)
    last_error = db.Column(db.String(300))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    message = db.relationship("Message")


class InboxEvent(db.Model):
    """A provider's webhook as it arrived, recorded before it is answered.

    The webhook handler checks the signature, stores the raw event and answers; the inbox
    worker (:mod:`host.inbox`) then turns it into contact records, chats, messages and statuses.
    ``(provider, external_id)`` is unique, so a re-delivery is stored once. Events with
    the same ``ordering_key`` (one customer, one LiveChat chat) are processed one at a
    time in the order they arrived.
    """

    __tablename__ = "inbox_events"
    __table_args__ = (UniqueConstraint("provider", "external_id", name="uq_inbox_events_provider_external_id"),
                      db.Index("ix_inbox_events_state_ordering_key_id", "state", "ordering_key", "id"))
    id = db.Column(db.Integer, primary_key=True)
    provider = db.Column(db.String(40), nullable=False)
    external_id = db.Column(db.String(200), nullable=False)
    kind = db.Column(db.String(60), nullable=False)
    ordering_key = db.Column(db.String(200), nullable=False)
    payload = db.Column(db.JSON, nullable=False)
    received_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    state = db.Column(db.String(10), nullable=False, default="pending")  # pending | done | dead
    attempts = db.Column(db.Integer, nullable=False, default=0)
    next_attempt_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    locked_until = db.Column(db.DateTime)
    processed_at = db.Column(db.DateTime)
    last_error = db.Column(db.String(300))


class PluginState(db.Model):
    __tablename__ = "plugin_states"
    name = db.Column(db.String(80), primary_key=True)
    enabled = db.Column(db.Boolean, nullable=False, default=True)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)


class Setting(db.Model):
    """Plugin settings, one JSON value per (plugin, key)."""

    __tablename__ = "settings"
    plugin = db.Column(db.String(80), primary_key=True)
    key = db.Column(db.String(80), primary_key=True)
    value = db.Column(db.JSON)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)


class CannedReply(db.Model):
    """A saved answer agents insert with "/" in the reply box.

    Personal (``agent_id`` set: its owner's alone) or shared with a group (``group_id``
    set: that group's agents see and manage it). Who sees which is in
    :mod:`host.access` (``reply_filter``); the text's variables in :mod:`host.canned_replies`.
    """

    __tablename__ = "canned_replies"
    __table_args__ = (
        db.CheckConstraint("(agent_id IS NULL) <> (group_id IS NULL)", name="one_owner"),
        UniqueConstraint("agent_id", "shortcut", name="uq_canned_replies_agent_shortcut"),
        UniqueConstraint("group_id", "shortcut", name="uq_canned_replies_group_shortcut"),
    )
    id = db.Column(db.Integer, primary_key=True)
    shortcut = db.Column(db.String(40), nullable=False)
    title = db.Column(db.String(120), nullable=False, default="")
    body = db.Column(db.Text, nullable=False)
    agent_id = db.Column(db.Integer, db.ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    group_id = db.Column(db.Integer, db.ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    created_by_id = db.Column(db.Integer, db.ForeignKey("agents.id", ondelete="SET NULL"))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    group = db.relationship("Group")
    owner = db.relationship("Agent", foreign_keys=[agent_id])


class Attachment(db.Model):
    """A file an agent uploaded to send in a chat, stored here (every process reads
    the same database) and handed to the provider as a signed, expiring URL."""

    __tablename__ = "attachments"
    id = db.Column(db.Integer, primary_key=True)
    chat_id = db.Column(db.Integer, db.ForeignKey("chats.id", ondelete="CASCADE"), nullable=False, index=True)
    agent_id = db.Column(db.Integer, db.ForeignKey("agents.id", ondelete="SET NULL"))
    filename = db.Column(db.String(200), nullable=False)
    content_type = db.Column(db.String(120), nullable=False)
    size = db.Column(db.Integer, nullable=False)
    data = db.Column(db.LargeBinary, nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    chat = db.relationship("Chat")
