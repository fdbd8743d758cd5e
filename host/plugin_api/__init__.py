"""Switchboard's plugin API: everything a plugin may import from the host.

A plugin (the built-in ones included) imports ``host.plugin_api`` and its public modules,
never another module of ``host``: those are internal and change without notice. The
boundary is checked by import-linter (``make lint``).

This module holds what every plugin needs::

    from host.plugin_api import hookimpl, db, Chat, Message, InboundMessage, SendResult

and the public modules hold the host's services by subject:

* :mod:`host.plugin_api.access` — who may see what: ``about``, ``chat_or_404``, filters;
* :mod:`host.plugin_api.chats` / :mod:`host.plugin_api.calls` — receive, reply, accept,
  transfer, archive, reopen; calls and their statuses;
* :mod:`host.plugin_api.bus` — notifications after the commit (``commit``, ``emit``);
* :mod:`host.plugin_api.inbox` — recording webhook events for the inbox worker;
* :mod:`host.plugin_api.settings` — the plugin's settings and the admin form's field types;
* :mod:`host.plugin_api.realtime` — pushing events, room addressing, presence;
* :mod:`host.plugin_api.workers` — the rules of persisted background work (claim, backoff);
* :mod:`host.plugin_api.web` — blueprints: static assets, tab scripts, body limits, schemas;
* :mod:`host.plugin_api.signin` — sign-in methods, tokens, the console's bootstrap;
* :mod:`host.plugin_api.testing` — the contract kit for a plugin's tests.
"""
from __future__ import annotations

from host import hookimpl
from host.contracts import (AddressFormat, CallEvents, Channel, ChannelColour, ContactRef, CustomerAddress,
                            HealthCheck, InboundMessage, InboxHandler, Media, MediaRules, NavLink, OutgoingMessage, PluginSettings,
                            SendError, SendResult, SessionListener, SocketEvents, StatusUpdate, Stored, Template, WidgetTab, Worker)
from host.events import (CallStatusChanged, ChatArchived, ChatAssigned, ChatReopened, ChatStarted,
                         ChatTransferred, ContactChanged, MessageQueued, MessageReceived, MessageSent,
                         MessageStatusChanged)
from host.extensions import db
from host.i18n import format_number, language_of, speaking
from host.models import Agent, Call, Chat, Group, Message, utcnow

from host.plugin_api._registry import channel_refusal, enabled_channels, is_enabled

__all__ = [
    # implementing hooks (host/hookspecs.py)
    "hookimpl",
    # the database: Flask-SQLAlchemy's db (session, select, Model for a plugin's tables)
    "db", "utcnow", "Agent", "Group", "Chat", "Message", "Call",
    # what plugins hand to the host and get back
    "Channel", "ChannelColour", "AddressFormat", "CallEvents", "Media", "MediaRules", "Template", "OutgoingMessage", "SendResult", "SendError",
    "InboundMessage", "Stored", "StatusUpdate", "ContactRef", "CustomerAddress", "WidgetTab", "SocketEvents",
    "PluginSettings", "NavLink", "InboxHandler", "HealthCheck", "Worker", "SessionListener",
    # notifications (one frozen event per notification hook)
    "MessageReceived", "MessageQueued", "MessageSent", "MessageStatusChanged", "ChatStarted",
    "ChatReopened", "ChatAssigned", "ChatTransferred", "ChatArchived", "CallStatusChanged",
    "ContactChanged",
    # the running app's plugins and channels
    "is_enabled", "enabled_channels", "channel_refusal",
    # a number as the reader's language writes it (as the browser's Intl does); an agent's
    # language, and speaking it for work done for them outside their own request
    "format_number", "language_of", "speaking",
]
