"""Why a message was not sent, worded for the person reading it.

A row (and a push to several agents) keeps the English sentence the outbox worker made and,
where there is one, a code: the provider's error code, or one of the outbox's own below.
The API words the reason in the reader's language when it serialises the message
(:func:`failure_sentence`), so what a worker stored never decides the language read.
"""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext

RETRYING = "Not sent yet, retrying: "  # how a retried message's stored sentence starts
UNREACHABLE = "unreachable"  # the adapter raised something other than SendError
NO_SENDER = "no-sender"  # no plugin sends on the message's channel
NOT_SET_UP = "not-set-up"  # the channel was switched off or lost settings while the message waited
OPTED_OUT = "opted-out"  # a check_consent plugin refused: the customer opted out on this channel


def retry_note(reason: object) -> str:
    """The sentence stored while a message waits for another attempt (English, for rows)."""
    return f"{RETRYING}{reason}"[:300]


def failure_sentence(message) -> str | None:
    """Why a message failed (or is being retried), in the current request's language: the
    outbox's own sentence for its codes, the channel's for a provider code
    (``Channel.explain_failure(code, detail)``, with the values stored beside the code), otherwise the sentence stored when it failed."""
    stored = message.error_message
    explained = _explained(message)
    if not (explained or stored):
        return stored
    retrying = message.status == "queued"
    reason = explained or (stored.removeprefix(RETRYING) if retrying else stored)
    return gettext("Not sent yet, retrying: %(reason)s", reason=reason) if retrying else reason


def _explained(message) -> str | None:
    code = str(getattr(message, "error_code", None) or "")
    if not code:
        return None
    if code == UNREACHABLE:
        return gettext("The provider could not be reached.")
    if code == NO_SENDER:
        return gettext("No plugin can send %(channel)s messages.", channel=message.channel)
    sb = current_app.extensions.get("switchboard")
    registered = sb.channels.get(message.channel) if sb is not None else None
    if code == NOT_SET_UP and sb is not None:
        return sb.channel_refusal(message.channel)  # None once it is set up again: the stored sentence stays
    if code == OPTED_OUT:
        label = getattr(registered[1], "label", None) if registered else None
        return gettext("This customer opted out of %(channel)s messages (they replied STOP), so nothing was sent. "
                       "They can opt back in by sending START.", channel=str(label or message.channel))
    explain = getattr(registered[1], "explain_failure", None) if registered else None
    detail = message.error_detail if isinstance(getattr(message, "error_detail", None), dict) else {}
    sentence = explain(code, detail) if callable(explain) else None
    return str(sentence) if sentence else None
