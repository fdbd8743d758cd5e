"""Which channel a chat's typed replies go by.

A chat is bound to the channel its text travels on. Some channels
carry no text at all — a phone line says so with ``text_refusal`` on its adapter — and
a call on a chat must never take that text channel away: calls are recorded on the
chat, the chat keeps replying by its text channel. A chat begun by a call gets the text
channel the customer is best reached on: their preferred one, else the first text
channel of the plugin that brought the call (in the order it registered them), else the first other text channel that is set up.
"""
from __future__ import annotations

from flask import current_app


def carries_text(channel: str | None) -> bool:
    """False for a channel whose adapter says it never carries text (a phone line).

    An unknown or switched-off channel counts as text: the outbox says why it can't send.
    """
    adapter = current_app.extensions["switchboard"].channel(channel or "")
    return adapter is None or not getattr(adapter, "text_refusal", None)


def text_channel_for(preferred: str | None = None, near: str | None = None) -> str | None:
    """The text channel to reach a customer on who came by channel ``near``, or None
    when no text channel is set up."""
    registry = current_app.extensions["switchboard"]
    usable = registry.enabled_channels()
    owner = registry.channels.get(near or "", (None, None))[0]
    same_plugin = [key for key in usable if registry.channels[key][0] == owner]
    candidates = ([preferred] if preferred else []) + same_plugin + list(usable)
    for key in candidates:
        adapter = usable.get(key)
        if adapter is not None and not getattr(adapter, "text_refusal", None):
            return key
    return None
