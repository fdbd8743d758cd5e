"""The OAuth scopes Switchboard's LiveChat app needs, in one place.

LiveChat checks every call against the scopes of the token it carries and answers a
missing one with 403; scopes belong to the token, which gets the ones ticked in the app's
Authorization block in the Developer Console. :data:`NEEDED` is what the admin ticks (the
README's "Going live" lists the same, a test keeps them equal); :data:`BY_CALL` says which
call needs which, so a refusal can name the scope instead of looking like an expired token.

The scopes each call needs are those its LiveChat documentation names ("Required scopes").
``rw`` contains ``ro``, and ``all`` contains ``access`` and ``my`` (LiveChat's general rules).
"""
from __future__ import annotations

from collections.abc import Iterable

from flask_babel import LazyString, lazy_gettext

# The reasons are shown to admins on the setup page, in their language.
NEEDED: dict[str, LazyString] = {
    "customers:own": lazy_gettext("a LiveChat customer for every phone number (the agent-token grant)"),
    "chats--all:rw": lazy_gettext("transferring and closing chats, delivery status, and notes for agents about "
                                  "replies that could not go out"),
    "webhooks.configuration:rw": lazy_gettext("registering Switchboard's webhooks"),
    "webhooks.state:ro": lazy_gettext("checking that LiveChat sends the webhooks (the app is installed on the "
                                      "license)"),
    "accounts--my:ro": lazy_gettext("reading the signed-in agent's email (Sign in with LiveChat, and the account "
                                    "the integration writes its notes as)"),
}

BY_CALL: dict[str, str] = {
    # accounts service
    "customer_token": "customers:own",
    "account_me": "accounts--my:ro",
    # Agent Chat API
    "transfer_chat": "chats--all:rw",
    "deactivate_chat": "chats--all:rw",
    "add_user_to_chat": "chats--all:rw",
    "send_event": "chats--all:rw",
    "update_event_properties": "chats--all:rw",
    "list_archives": "chats--all:ro",
    "get_chat": "chats--all:ro",
    # Configuration API
    "register_webhook": "webhooks.configuration:rw",
    "list_webhooks": "webhooks.configuration:rw",
    "unregister_webhook": "webhooks.configuration:rw",
    "get_license_webhooks_state": "webhooks.state:ro",
}


def parse(scope: str | None) -> set[str]:
    """The scopes of a token as LiveChat reports them (comma-separated; spaces tolerated)."""
    return {s for s in str(scope or "").replace(",", " ").split() if s}


def covers(granted: Iterable[str], needed: str) -> bool:
    """Whether ``granted`` includes ``needed``, with LiveChat's rules (rw ⊇ ro, all ⊇ access ⊇ my)."""
    granted = set(granted)
    if needed in granted:
        return True
    name, _, mode = needed.partition(":")
    base, _, reach = name.partition("--")
    modes = {"ro": ("ro", "rw"), "rw": ("rw",), "rc": ("rc",)}.get(mode, (mode,))
    reaches = {"my": ("my", "access", "all"), "access": ("access", "all"), "all": ("all",)}.get(reach, (reach,))
    for candidate_mode in modes:
        for candidate_reach in reaches:
            candidate = f"{base}--{candidate_reach}" if reach else base
            if f"{candidate}:{candidate_mode}" in granted:
                return True
    return False


def missing(scope: str | None) -> list[str]:
    """The needed scopes a token with ``scope`` lacks, in :data:`NEEDED`'s order."""
    granted = parse(scope)
    return [name for name in NEEDED if not covers(granted, name)]


def for_call(action: str | None) -> str | None:
    return BY_CALL.get(action or "")
