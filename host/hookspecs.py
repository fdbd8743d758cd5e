"""The Switchboard hook contract: every hook a plugin can implement.

Three kinds, recognisable by name:

* ``register_*`` — setup. Called once per app inside ``create_app()``. They return
  objects (see :mod:`host.contracts`) which the host attributes to the plugin that
  returned them, validates (duplicate keys fail fast) and mounts.
* past tense (``message_received`` …) — notifications. One frozen event dataclass
  each (:mod:`host.events`), dispatched after the database commit by :mod:`host.emit`,
  which calls every implementation separately and logs a failing one instead of
  silencing the rest.
* questions (``resolve_contact``, ``resolve_contacts``, ``route_chat``, ``send_message``) — ``firstresult``;
  the host answers last through a ``trylast`` default in :mod:`host.builtins`, so any
  plugin can answer first.

Plugins implement hooks with ``from host.plugin_api import hookimpl``. The plugin manager checks
every implementation against this file at start-up (``check_pending``), so a misspelt
hook name fails loudly.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any
from collections.abc import Iterable, Mapping, Sequence

from host import hookspec

if TYPE_CHECKING:  # pragma: no cover - typing only
    from flask import Blueprint, Flask

    from host.contracts import (Channel, ContactRef, CustomerAddress, HealthCheck, InboxHandler, NavLink, OutgoingMessage,
                                PluginSettings, SendResult, SessionListener, SocketEvents, WidgetTab, Worker)
    from host.events import (CallStatusChanged, ChatArchived, ChatAssigned, ChatReopened,
                             ChatStarted, ChatTransferred, ContactChanged, MessageQueued,
                             MessageReceived, MessageSent, MessageStatusChanged)


# --- setup: called once per app inside create_app() -----------------------------------

@hookspec
def register_channels(app: Flask) -> Iterable[Channel]:
    """Return channel adapters this plugin provides.

    Each adapter has a unique ``key`` that chats and messages store, a ``label``
    shown to agents, and ``send(OutgoingMessage)`` which
    returns a ``SendResult`` or raises ``SendError``. Two plugins returning the same key
    stop start-up with an error. An adapter that needs settings says which are still
    missing with ``missing_settings()`` (names of its settings fields, empty when set
    up): until then it is not offered to agents and its sends are refused at once with
    a sentence naming them. A failure is stored as the ``SendError``'s English sentence,
    its ``code`` and its ``detail`` (the values the sentence names); the adapter's
    ``explain_failure(code, detail)`` words it again in each reader's language.
    """


@hookspec
def register_blueprints(app: Flask) -> Iterable[Blueprint]:
    """Return Flask (or flask-smorest) blueprints to mount.

    flask-smorest blueprints join the OpenAPI document at ``/api/v1/openapi.json``.
    Every route requires a signed-in agent unless its path starts with ``/webhooks/``
    (webhooks authenticate by signature instead). Every other view declares what it is
    about with ``host.plugin_api.access.about`` (a chat, call, contact, customer, admin-only, or
    any agent with the reason); a route without one fails the test suite. When the
    plugin is disabled its routes answer 404.
    """


@hookspec
def register_widget_tabs(app: Flask) -> Iterable[WidgetTab]:
    """Return tabs for the details widget (console sidebar and standalone widget).

    A tab's ``script`` is an ES module exporting ``mount(element, ctx)``; ``ctx`` gives
    the open chat, ``api(path, options)`` for authenticated JSON calls, ``socket`` and
    ``on(event, handler)`` for realtime events. Tabs are shown in ``order``; tab keys
    must be unique. A ``background`` tab's module is imported when the page starts and
    its optional ``background(ctx)`` export runs once, whichever tab is shown.
    """


@hookspec
def register_socketio_events(app: Flask) -> Iterable[SocketEvents]:
    """Return Socket.IO event handlers.

    Handlers are called as ``handler(agent, data)`` only for authenticated connections
    and only while the plugin is enabled; their return value is the acknowledgement.
    Declare what each handler is about with ``host.plugin_api.access.about`` and refuse with
    ``{"ok": False, "error": …}``. Use ``host.plugin_api.realtime.push(event, data, rooms)`` to
    send to rooms.
    """


@hookspec
def register_settings_schemas(app: Flask) -> PluginSettings | None:
    """Return the plugin's admin settings as a ``PluginSettings`` (a marshmallow schema).

    The admin page renders a form from it, validates input with it, and stores values
    in the database. Fields with ``metadata={"secret": True}`` are stored but never
    shown back or logged. Read settings with ``host.plugin_api.settings.get(plugin_name)``.
    """


@hookspec
def register_migration_folders(app: Flask) -> Iterable[str]:
    """Return folders holding this plugin's Alembic revisions (its own branch).

    ``switchboard db upgrade`` applies every branch's heads.
    """


@hookspec
def register_inbox_handlers(app: Flask) -> Iterable[InboxHandler]:
    """Return handlers for the webhook events this plugin records with
    ``host.plugin_api.inbox.record`` (one ``InboxHandler`` per event kind).

    Webhooks answer once their event is recorded; the inbox worker calls the handler
    later, in arrival order per customer. A handler with ``handle_batch`` gets several
    customers' events at once, to store them in one transaction; when that raises, each
    is handled on its own. A disabled plugin's pending events wait in the dead letters
    until an admin reprocesses them.
    """


@hookspec
def register_workers(app: Flask) -> Iterable[Worker]:
    """Return background workers (``Worker``: ``start(start_background_task)``, ``stop()``).

    They run wherever the host's outbox and inbox workers run and stop with them; return
    one object per app (keep it in ``app.extensions``). Tests without a live server
    drive a worker's passes themselves.
    """


@hookspec
def register_session_listeners(app: Flask) -> Iterable[SessionListener]:
    """Return SQLAlchemy session listeners (``SessionListener(event, handler)``), e.g. a
    ``before_flush`` that keeps derived columns of the plugin's tables current.

    They are attached to this app's session only and skipped while the plugin is
    disabled; never listen on SQLAlchemy's classes yourself (that reaches every app).
    """


@hookspec
def register_health_checks(app: Flask) -> Iterable[HealthCheck]:
    """Return health checks, shown on the admin plugins page.

    Called on every page view, inside an app context; keep them quick. A check that
    fails because an admin hasn't finished setting the plugin up says ``setup=True``
    (a to-do, not an outage). ``/healthz`` reports only the database and realtime, so a
    plugin that isn't set up never takes a process out of a load balancer.
    """


@hookspec
def register_nav_links(app: Flask) -> Iterable[NavLink]:
    """Return links for the top bar of every page (e.g. a page the plugin serves).

    Called on every page view, inside a request; return only the links that apply now
    (the Twilio plugin offers its "Customer phone" only while it runs on the simulator).
    ``admin_only`` links are shown to admins alone; a disabled plugin's links are hidden.
    """


# --- notifications: dispatched after commit, one event dataclass each -----------------

@hookspec
def message_received(event: MessageReceived) -> None:
    """A customer message was stored (after the commit).

    ``event.message`` and ``event.chat`` are snapshots; ``event.profile`` holds what the
    channel told about the sender (e.g. a profile name); ``event.opt_out`` is
    ``"stop"``/``"start"`` when the message was an opt-out keyword.
    """


@hookspec
def message_queued(event: MessageQueued) -> None:
    """An outbound message was stored in the outbox, before any provider is called.

    Sending happens later in the outbox worker; ``message_sent`` or
    ``message_status_changed`` follow.
    """


@hookspec
def message_sent(event: MessageSent) -> None:
    """An outbound message was accepted by its provider (it has an external id)."""


@hookspec
def message_status_changed(event: MessageStatusChanged) -> None:
    """An outbound message's delivery status moved forward (or failed).

    Statuses only move forward: queued < sending < sent < delivered < read; failed and
    undelivered are final. ``event.message`` carries ``error_code``/``error_message``.
    """


@hookspec
def chat_started(event: ChatStarted) -> None:
    """A new chat was created, by an inbound message/call or by an agent."""


@hookspec
def chat_reopened(event: ChatReopened) -> None:
    """An archived chat became active again."""


@hookspec
def chat_assigned(event: ChatAssigned) -> None:
    """An agent accepted a queued chat."""


@hookspec
def chat_transferred(event: ChatTransferred) -> None:
    """A chat moved to another agent or group. ``event.origin`` names who did it."""


@hookspec
def chat_archived(event: ChatArchived) -> None:
    """A chat was archived (closed)."""


@hookspec
def call_status_changed(event: CallStatusChanged) -> None:
    """A phone call changed state (ringing, in-progress, completed, missed …)."""


@hookspec
def contact_changed(event: ContactChanged) -> None:
    """A contact was created, edited, merged or deleted."""


# --- questions: firstresult, host defaults answer last --------------------------------

@hookspec(firstresult=True)
def resolve_contact(channel: str, address: str,
                    profile: Mapping[str, str]) -> ContactRef | None:
    """Who is writing? Return a ``ContactRef`` for a customer address on a channel.

    Called for every inbound message/call before the chat is found. The host default
    returns an anonymous reference (no contact id).
    """


@hookspec(firstresult=True)
def resolve_contacts(customers: Sequence[CustomerAddress]) -> list[ContactRef | None] | None:
    """Who are these customers? ``resolve_contact`` for several addresses at once: one
    answer per ``CustomerAddress``, in their order.

    Asked when several customers' messages are stored together (the inbox worker's
    batches), so that a plugin keeping contact records can look them all up in one
    statement. A ``None`` in the list leaves that customer to ``resolve_contact``; the
    host default asks ``resolve_contact`` about each in turn. A plugin that answers
    ``resolve_contact`` needs this only to answer a batch faster, and then must answer
    it the same way.
    """


@hookspec(firstresult=True)
def route_chat(chat: Mapping[str, Any], contact: ContactRef | None,
               to_address: str) -> int | None:
    """Which group should a new or reopened chat go to? Return a group id.

    Asked only when the contact has no group override of its own
    (``ContactRef.group_id``). Channel plugins answer with their number→group
    mapping; the host's default answers last with the default group.
    """


@hookspec(firstresult=True)
def check_consent(channel: str, address: str) -> str | None:
    """May we send to this customer address on this channel?

    Return ``None`` to allow, or a sentence for the agent explaining the refusal (for
    example "This customer replied STOP and opted out of this channel."). Called before a
    message is handed to ``send_message``; a refusal fails the message without
    calling the provider and without retrying.
    """


@hookspec(firstresult=True)
def send_message(message: OutgoingMessage) -> SendResult | None:
    """Send an outbound message. The host default hands it to the chat's channel adapter.

    Raise ``SendError(retryable=True)`` for provider failures worth retrying, with a
    ``code`` and the ``detail`` values the channel's ``explain_failure(code, detail)``
    needs to word it for each reader.
    """
