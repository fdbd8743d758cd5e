"""Twilio's voice webhook requests, read into what the routes (:mod:`.routes`) act on.

Twilio posts form fields (``CallSid``, ``From``, ``To``, ``CallStatus``, ``QueueTime``…)
and our own TwiML adds ``chat_id`` and ``agent_id`` to the query of the URLs it hands
Twilio. A request without what its step needs is answered 400 naming the fields;
anything Twilio may leave out or send malformed gets its documented default.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import abort
from flask_babel import gettext

BROWSER_PREFIX = "client:"  # a Voice SDK client's address, as Twilio writes it in From
_MAX_ID = 2**31  # ids are 32-bit integers in the database


@dataclass(frozen=True)
class IncomingCall:
    """A customer's call to one of our numbers (the number's "A call comes in" webhook)."""

    sid: str
    from_address: str
    to_address: str
    caller_name: str


def database_id(value: object) -> int | None:
    """``value`` as a row id, or None when it is not one."""
    text = str(value or "")
    return int(text) if text.isdigit() and 0 < int(text) < _MAX_ID else None


def from_browser(form: Mapping[str, str]) -> bool:
    """Whether an agent's browser placed this call (``From=client:…``)."""
    return (form.get("From") or "").startswith(BROWSER_PREFIX)


def number_called(form: Mapping[str, str]) -> str | None:
    """The number the customer dialled, whose account must be ours (None for a browser's call)."""
    return None if from_browser(form) else form.get("To")


def incoming_call(form: Mapping[str, str]) -> IncomingCall:
    if not form.get("CallSid") or not form.get("From"):
        abort(400, description=gettext("%(first)s and %(second)s are required.", first="CallSid", second="From"))
    return IncomingCall(form["CallSid"], form["From"], form.get("To", ""), form.get("CallerName") or "")


def call_sid(form: Mapping[str, str]) -> str:
    sid = form.get("CallSid")
    if not sid:
        abort(400, description=gettext("%(field)s is required.", field="CallSid"))
    return sid


def require_status(form: Mapping[str, str]) -> None:
    """A status callback names the call and its status; the rest is read by ``apply_status``."""
    if not form.get("CallSid") or not form.get("CallStatus"):
        abort(400, description=gettext("%(first)s and %(second)s are required.", first="CallSid",
                                                       second="CallStatus"))


def chat_id(args: Mapping[str, str], required: bool = True) -> int | None:
    """The chat our TwiML put in the query of a step's URL."""
    found = database_id(args.get("chat_id"))
    if found is None and required:
        abort(400, description=gettext("%(field)s is required.", field="chat_id"))
    return found


def agent_id(args: Mapping[str, str]) -> int:
    """The agent a ``<Dial>`` rang (its action URL's query)."""
    value = args.get("agent_id", "")
    if not value.isdigit():
        abort(400, description=gettext("%(field)s is required.", field="agent_id"))
    return int(value)


def planned_chat_id(form: Mapping[str, str]) -> int | None:
    """The chat the browser said it calls for (``Device.connect({params: {chat_id}})``)."""
    return database_id(form.get("chat_id"))


def queue_time(form: Mapping[str, str]) -> int:
    """Seconds the caller has waited in the queue (``QueueTime``; 0 if missing or malformed)."""
    try:
        return int(form.get("QueueTime") or 0)
    except ValueError:
        return 0


def recording_completed(form: Mapping[str, str]) -> bool:
    """Whether a recording callback says the file is ready; one without ``RecordingStatus``
    (the ``<Record>`` verb's action request) counts as ready."""
    return (form.get("RecordingStatus") or "completed") == "completed"
