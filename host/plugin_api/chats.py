"""The host's chat services: a plugin hands over what happened, the host stores it.

:func:`receive` stores an inbound message (repeats of an ``external_id`` are absorbed),
:func:`receive_many` several customers' messages in one transaction (an inbox batch),
:func:`apply_status` moves a delivery status forward; the others act for an agent as
the console does. Each commits and notifies the plugins after the commit.
"""
from __future__ import annotations

from host.chats import (ChatError, accept, apply_status, archive, find_chat_for, open_chat_for, receive,
                        receive_many, reopen, reply, resolve, resolve_many, transfer)

__all__ = ["receive", "receive_many", "apply_status", "resolve", "resolve_many", "find_chat_for", "open_chat_for", "reply", "accept", "transfer",
           "archive", "reopen", "ChatError"]
