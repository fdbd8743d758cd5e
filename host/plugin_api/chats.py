"""The host's chat services: a plugin hands over what happened, the host stores it.

:func:`receive` stores an inbound message (repeats of an ``external_id`` are absorbed),
:func:`receive_many` several customers' messages in one transaction (an inbox batch),
:func:`apply_status` moves a delivery status forward; the others act for an agent as
the console does. Each commits and notifies the plugins after the commit.
:func:`failure_sentence` is why a message was not sent, in the reader's language, as the
host's API words it (its own codes, the channel's ``explain_failure``, or the stored sentence).
"""
from __future__ import annotations

from host.chats import (ChatError, accept, apply_status, archive, find_chat_for, open_chat_for, receive,
                        receive_many, reopen, reply, resolve, resolve_many, transfer)
from host.send_failures import failure_sentence

__all__ = ["receive", "receive_many", "apply_status", "resolve", "resolve_many", "find_chat_for", "open_chat_for", "reply", "accept", "transfer",
           "archive", "reopen", "ChatError", "failure_sentence"]
