"""Twilio's default opt-out, opt-in and help keywords, matched the way Twilio matches them.

A plain Twilio number (one that is not in a Messaging Service with Advanced Opt-Out)
handles these English keywords itself on SMS: it blocks or unblocks the customer,
answers them, and still forwards the message to our webhook — *without* an
``OptOutType`` parameter. Only a Messaging Service with Advanced Opt-Out adds
``OptOutType`` (STOP, START or HELP), and then its own keyword lists apply. Sources:

* https://www.twilio.com/docs/messaging/tutorials/advanced-opt-out (the default
  opt-out words: STOP, UNSUBSCRIBE, END, QUIT, STOPALL, REVOKE, OPTOUT, CANCEL);
* https://help.twilio.com/articles/223134027 "Twilio support for opt-out keywords
  (SMS STOP filtering)": START, YES and UNSTOP opt back in, HELP and INFO ask for
  help; only a single-word message counts ("STOP PLEASE" does not), in any case.

Twilio's default filtering is an SMS feature: WhatsApp senders only filter keywords
inside a Messaging Service with Advanced Opt-Out, which then says so with
``OptOutType``.
"""
from __future__ import annotations

OPT_OUT = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN = frozenset({"START", "YES", "UNSTOP"})
HELP = frozenset({"HELP", "INFO"})

# OptOutType → the host's InboundMessage.opt_out (HELP changes nothing about consent).
OPT_OUT_TYPES = {"STOP": "stop", "START": "start"}


def keyword_of(body: str | None) -> str | None:
    """``"STOP"``, ``"START"`` or ``"HELP"`` when the whole message is one of Twilio's
    default keywords (any case, surrounding spaces ignored); None otherwise."""
    word = (body or "").strip().upper()
    for kind, words in (("STOP", OPT_OUT), ("START", OPT_IN), ("HELP", HELP)):
        if word in words:
            return kind
    return None


def consent_change(channel: str, body: str | None, opt_out_type: str | None,
                   advanced_opt_out: bool) -> str | None:
    """``"stop"``/``"start"`` when this inbound message changes the customer's consent.

    ``OptOutType`` wins when Twilio sent one. Without it, a number in a Messaging
    Service with Advanced Opt-Out said "not a keyword" (its lists may differ from the
    defaults); a plain number's SMS is matched against Twilio's default lists.
    """
    if opt_out_type:
        return OPT_OUT_TYPES.get(opt_out_type.strip().upper())
    if advanced_opt_out or channel != "sms":
        return None
    return OPT_OUT_TYPES.get(keyword_of(body) or "")
