"""Who may see what (the host's one visibility rule) for a plugin's routes and events.

Declare every view and Socket.IO handler with :func:`about`; look chats up with
:func:`chat_or_404` or filter queries with :func:`chat_filter`. A plugin that keeps its own
customer records shows them through :func:`contact_filter` / :func:`may_see_contact`, and
registers the check of an object its paths name with :func:`register_check`.
"""
from __future__ import annotations

from host.access import (ADMIN, AGENT, CALL, CHAT, CONTACT, CUSTOMER, MEDIA, CustomerElsewhere, about,
                         about_blueprint, chat_filter, chat_or_404, check_may_start, contact_filter,
                         hidden_chats, hidden_group_name, may_see_chat, may_see_contact, register_check)

__all__ = [
    "ADMIN", "AGENT", "CALL", "CHAT", "CONTACT", "CUSTOMER", "MEDIA",
    "about", "about_blueprint", "register_check",
    "chat_or_404", "chat_filter", "may_see_chat", "contact_filter", "may_see_contact",
    "hidden_chats", "hidden_group_name", "check_may_start", "CustomerElsewhere",
]
