"""Why a LiveChat call failed, worded for the person reading it.

A sync row keeps the English sentence the worker wrote (rows and the worker's pushes reach
agents of every language). The tab's API words it again in the reader's language when it
is one of the sentences below, its values kept; anything else (an older row, a sentence
from elsewhere) shows as stored. LiveChat's own words inside a sentence (its error message
and type) stay as LiveChat wrote them.
"""
from __future__ import annotations

import re
from functools import cache

from flask_babel import force_locale, lazy_gettext

SENTENCES = {
    "details_refused": lazy_gettext("LiveChat refused the customer's details: %(detail)s."),
    "transfer_refused": lazy_gettext("LiveChat could not transfer the chat to %(agent)s: %(detail)s."),
    "group_not_mapped": lazy_gettext("The Switchboard group %(group)s has no LiveChat group in the group "
                                     "mapping, so the LiveChat chat stays in its group."),
    "event_gone": lazy_gettext("LiveChat no longer has that event, so it cannot be marked delivered."),
    "chat_closed": lazy_gettext("The LiveChat chat is closed, so this note could not be added to it: %(text)s"),
    "account_unknown": lazy_gettext("LiveChat did not say which account the agent token belongs to."),
    "reply_not_sent": lazy_gettext("The LiveChat reply was not sent: %(reason)s"),
    "unknown_action": lazy_gettext("Unknown LiveChat sync action %(action)s."),
    "unexpected": lazy_gettext("Unexpected error (%(kind)s); retrying."),
    # how plugins.livechat.client.LiveChatError reads
    "call_failed": lazy_gettext("LiveChat %(action)s failed: %(detail)s"),
}


def english(key: str, **values) -> str:
    """The sentence to store: English, whatever language the worker's request spoke."""
    with force_locale("en"):
        return str(SENTENCES[key]) % values


def worded(stored: str | None) -> str | None:
    """A stored sentence in the current request's language (as stored if not one of ours)."""
    if not stored:
        return stored
    for key, pattern in _patterns():
        found = pattern.fullmatch(stored)
        if found:
            return str(SENTENCES[key]) % found.groupdict()
    return stored


@cache
def _patterns() -> tuple[tuple[str, re.Pattern], ...]:
    """Each English sentence as a pattern whose groups are its values."""
    patterns = []
    with force_locale("en"):
        for key, sentence in SENTENCES.items():
            parts = re.split(r"%\((\w+)\)s", str(sentence))
            regex = "".join(re.escape(part) if n % 2 == 0 else f"(?P<{part}>.*?)" for n, part in enumerate(parts))
            patterns.append((key, re.compile(regex, re.S)))
    return tuple(patterns)
