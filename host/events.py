"""Notification events, one frozen dataclass per past-tense hook.

The host builds them while it writes the database and dispatches them only after the
transaction commits (see :mod:`host.emit`). Each carries JSON-ready snapshots so a
handler never has to touch a session that is already closed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from collections.abc import Mapping

Snapshot = Mapping[str, Any]


@dataclass(frozen=True)
class MessageReceived:
    hook = "message_received"
    message: Snapshot
    chat: Snapshot
    contact_id: int | None = None
    profile: Mapping[str, str] = field(default_factory=dict)
    opt_out: str | None = None


@dataclass(frozen=True)
class MessageQueued:
    hook = "message_queued"
    message: Snapshot
    chat: Snapshot


@dataclass(frozen=True)
class MessageSent:
    hook = "message_sent"
    message: Snapshot
    chat: Snapshot


@dataclass(frozen=True)
class MessageStatusChanged:
    hook = "message_status_changed"
    message: Snapshot
    chat: Snapshot
    previous_status: str
    opted_out: bool = False  # the recipient withdrew consent on this channel


@dataclass(frozen=True)
class ChatStarted:
    hook = "chat_started"
    chat: Snapshot
    origin: str  # "inbound" | "agent"


@dataclass(frozen=True)
class ChatReopened:
    hook = "chat_reopened"
    chat: Snapshot
    origin: str


@dataclass(frozen=True)
class ChatAssigned:
    hook = "chat_assigned"
    chat: Snapshot
    agent_id: int


@dataclass(frozen=True)
class ChatTransferred:
    hook = "chat_transferred"
    chat: Snapshot
    from_agent_id: int | None
    to_agent_id: int | None
    to_group_id: int | None
    by_agent_id: int | None
    origin: str = "switchboard"  # or the plugin that mirrored it in from another system
    from_group_id: int | None = None  # the group the chat was in before


@dataclass(frozen=True)
class ChatArchived:
    hook = "chat_archived"
    chat: Snapshot
    by_agent_id: int | None
    origin: str = "switchboard"


@dataclass(frozen=True)
class CallStatusChanged:
    hook = "call_status_changed"
    call: Snapshot
    chat: Snapshot
    previous_status: str | None


@dataclass(frozen=True)
class ContactChanged:
    hook = "contact_changed"
    contact: Snapshot
    chat_ids: tuple[int, ...] = ()
    by_agent_id: int | None = None
    deleted: bool = False


ALL_EVENTS = (MessageReceived, MessageQueued, MessageSent, MessageStatusChanged, ChatStarted, ChatReopened,
              ChatAssigned, ChatTransferred, ChatArchived, CallStatusChanged, ContactChanged)
