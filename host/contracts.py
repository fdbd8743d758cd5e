"""Data that plugins hand to the host and the host hands to plugins.

Registration hooks return these objects; the host validates them (duplicate keys fail
fast) and mounts them. Channel adapters receive :class:`OutgoingMessage` and answer
with :class:`SendResult` or raise :class:`SendError`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable
from collections.abc import Callable, Mapping, Sequence


# --- channels -------------------------------------------------------------------------

@dataclass(frozen=True)
class Media:
    """A file a message carries: where it is, its type, and (when known) its name and size
    in bytes, which the transcript shows for files that are not images."""

    url: str
    content_type: str = "application/octet-stream"
    filename: str = ""
    size: int | None = None

    def as_stored(self) -> dict[str, Any]:
        """The message's ``media`` entry (name and size only when known)."""
        entry: dict[str, Any] = {"url": self.url, "content_type": self.content_type}
        if self.filename:
            entry["filename"] = self.filename
        if self.size is not None:
            entry["size"] = self.size
        return entry


@dataclass(frozen=True)
class MediaRules:
    """What files a channel takes (an adapter's ``media_rules``): content types, the
    most files a message carries, their total size, and smaller caps for some types
    (``type_caps``: content-type prefix → bytes, e.g. 5 MB for images). Sizes in
    bytes, 1 MB = 1,000,000 as providers count."""

    name: str
    types: frozenset[str]
    max_total: int
    max_files: int = 10
    type_caps: Mapping[str, int] = field(default_factory=dict)

    def problem(self, files: Sequence[tuple[str, str, int]]) -> str | None:
        """A sentence refusing these ``(name, content type, size)`` files in the current
        request's language, or None."""
        refused = self.refusal(files)
        return self.sentence(*refused) if refused else None

    def refusal(self, files: Sequence[tuple[str, str, int]]) -> tuple[str, dict[str, str | int]] | None:
        """Why these files are refused — ``too-many``, ``type``, ``type-size`` or ``size`` —
        and the values its sentence names (what a row keeps, to be worded for each reader
        by :meth:`sentence`), or None."""
        if len(files) > self.max_files:
            return "too-many", {"count": self.max_files}
        for name, content_type, size in files:
            if content_type not in self.types:
                return "type", {"name": name, "type": content_type}
            for prefix, cap in self.type_caps.items():
                if content_type.startswith(prefix) and size > cap:
                    return "type-size", {"name": name, "size": size, "kind": prefix.rstrip("/"), "cap": cap}
        total = sum(size for _, _, size in files)
        if total > self.max_total:
            values: dict[str, str | int] = {"size": total, "cap": self.max_total, "files": len(files)}
            if len(files) == 1:
                values["name"] = files[0][0]
            return "size", values
        return None

    def sentence(self, reason: str, values: Mapping[str, Any]) -> str | None:
        """:meth:`refusal`'s reason and values as a sentence in the current request's
        language (None for a reason it doesn't know)."""
        from flask_babel import gettext, ngettext

        from host.attachments import readable_size

        if reason == "too-many":
            count = int(values.get("count") or self.max_files)
            return str(ngettext("%(channel)s carries at most %(num)s file a message. Send the others in another message.",
                            "%(channel)s carries at most %(num)s files a message. Send the others in another message.",
                            count, channel=self.name))
        if reason == "type":
            return str(gettext("%(channel)s doesn't take %(type)s files like %(name)s. Send a PDF or an image (JPEG, PNG) "
                           "instead, or a link.", channel=self.name, type=values.get("type", ""),
                           name=values.get("name", "")))
        if reason == "type-size":
            return str(gettext("%(name)s is %(size)s; %(channel)s takes %(kind)s files of up to %(cap)s. Make it smaller "
                           "and attach it again.", name=values.get("name", ""),
                           size=readable_size(int(values.get("size") or 0)), channel=self.name,
                           kind=values.get("kind", ""), cap=readable_size(int(values.get("cap") or 0))))
        if reason == "size":
            size, cap = readable_size(int(values.get("size") or 0)), readable_size(int(values.get("cap") or 0))
            if values.get("name"):
                return str(gettext("%(name)s is %(size)s; %(channel)s takes up to %(cap)s a message. Make it "
                                   "smaller or send a link.", name=values["name"], size=size, channel=self.name,
                                   cap=cap))
            return str(gettext("These files are %(size)s; %(channel)s takes up to %(cap)s a message. Make them "
                               "smaller or send a link.", size=size, channel=self.name, cap=cap))
        return None


@dataclass(frozen=True)
class Template:
    """An approved provider template (e.g. a Content API ``HX…`` SID)."""

    sid: str
    variables: Mapping[str, str] = field(default_factory=dict)
    name: str = ""


@dataclass(frozen=True)
class OutgoingMessage:
    message_id: int
    chat_id: int
    channel: str
    to: str
    sender: str | None
    body: str = ""
    media: Sequence[Media] = ()
    template: Template | None = None


@dataclass(frozen=True)
class SendResult:
    external_id: str
    status: str = "sent"


class SendError(Exception):
    """A provider refused or failed a send.

    ``retryable`` decides whether the outbox tries again with backoff (provider 5xx,
    timeouts, 429) or marks the message failed for good (opt-out, invalid number).
    ``opted_out`` tells the host the recipient withdrew consent on this channel.
    ``detail`` holds the values a sentence about the failure needs (a size, a file type,
    the provider's HTTP status and own words), as JSON-able strings and numbers: the host
    stores them with the message beside ``code`` and hands them back to the channel's
    ``explain_failure(code, detail)`` when it words the failure for a reader.
    """

    def __init__(self, message: str, *, code: str | None = None, retryable: bool = False,
                 opted_out: bool = False, detail: Mapping[str, str | int] | None = None):
        super().__init__(message)
        self.code = code
        self.retryable = retryable
        self.opted_out = opted_out
        self.detail = dict(detail) if detail else None


@dataclass(frozen=True)
class ChannelColour:
    """A channel's badge in the console: a calm tint and the text colour on it (``#rrggbb``)."""

    background: str
    text: str


@dataclass(frozen=True)
class AddressFormat:
    """How a channel writes a customer's address.

    ``kind`` is ``"phone"`` (an E.164 number, ``+`` and digits), ``"email"`` or ``"text"``
    (an id or handle of the provider's). ``prefix`` is what the channel writes before a
    phone number (``"xyz:"`` + ``+14155550123``), so channels sharing a number can find a
    customer's address on each other; ``example`` is a placeholder for forms.
    """

    kind: str = "text"
    prefix: str = ""
    example: str = ""


@dataclass(frozen=True)
class CallEvents:
    """A channel that carries calls, and the Socket.IO events its calls push, so the
    console rings without knowing the plugin: ``ringing`` ``{call, chat, transfer}`` while
    a call waits for an agent, ``answered`` ``{call, chat, agent_id, agent_name}`` once
    one took it. ``answer_tab`` is the key of the widget tab where agents answer (the
    console names it, in the agent's language, when a transferred call rings)."""

    ringing: str
    answered: str
    answer_tab: str = ""


@runtime_checkable
class Channel(Protocol):
    """A channel adapter: verifies, parses and sends; never writes the database.

    Optional methods the host calls when present: ``normalise_address(value)`` (raise
    ``ValueError`` with a sentence for the agent → 422), ``check_reply(chat, body=,
    media=, template=)`` returning a sentence that refuses a reply before it is queued
    (e.g. a messaging window that closed → 409), or ``None``, ``render_template(chat,
    template)`` returning the text a template message will show the customer (stored as
    the message's body, so agents read what was sent), or ``None``, and
    ``missing_settings()`` returning the names of the plugin's settings (fields of its
    settings schema) that must be filled in before the channel can send — empty when it
    is set up. While any are missing the channel is not offered (console, widget,
    ``/api/v1/channels``) and its sends are refused at once with a sentence naming them.
    Keep it cheap: it is asked whenever channels are listed (read settings with
    ``host.plugin_api.settings.get``, which is cached). ``find_sent(message, since=)`` returns the
    provider's record of ``message`` (a ``SendResult``) when an earlier attempt whose
    outcome is unknown reached it after ``since`` (naive UTC), or ``None`` when the
    provider has no such message; raise ``SendError(retryable=True)`` when the provider
    can't be asked. The outbox asks it before every retry, so a message is never sent
    twice (see :mod:`host.outbox`). ``explain_failure(code, detail)`` returns a sentence for a
    failed (or retried) message's ``error_code`` in the current request's language, or ``None``: the
    API shows it instead of the sentence stored when the message failed, which a worker
    made in English. ``detail`` is the mapping the channel's ``SendError(detail=…)`` carried
    (stored with the message), empty when there was none (a failure the provider reported
    later, by a status webhook), so a sentence can name the values it needs.

    A channel describes itself to the console with optional attributes, read once at
    registration (:mod:`host.channel_descriptions`): ``colour`` (a :class:`ChannelColour`
    for its badge), ``address_format`` (an :class:`AddressFormat`), what it carries —
    ``text_refusal`` (a sentence: it carries no text), ``media_rules`` (files),
    ``render_template`` or ``templates = True/False`` (templates), ``calls`` (a
    :class:`CallEvents`) — so the host
    draws badges, rings for calls and moves addresses between channels without knowing
    any plugin. ``label`` and ``text_refusal`` are read again whenever channels are listed,
    so a property may give them in the request's language.
    """

    key: str      # stable key stored on chats and messages
    label: str    # what agents read

    def send(self, message: OutgoingMessage) -> SendResult: ...


@dataclass(frozen=True)
class InboundMessage:
    """A customer message parsed from a provider webhook, handed to ``host.plugin_api.chats.receive``."""

    channel: str
    external_id: str
    from_address: str
    to_address: str = ""
    body: str = ""
    media: Sequence[Media] = ()
    profile: Mapping[str, str] = field(default_factory=dict)  # name/email the channel knows
    opt_out: str | None = None  # "stop" | "start" | None
    kind: str = "text"


@dataclass(frozen=True)
class Stored:
    """What ``host.plugin_api.chats.receive`` did with an :class:`InboundMessage`.

    Ids, not ORM objects: a webhook only needs to know the message is safe, and building
    an object it never reads costs a busy server more than the message's own SQL (load it
    with ``db.session.get(Message, stored.message_id)`` when you need it).
    """

    message_id: int
    chat_id: int
    repeat: bool = False  # stored before (a provider's re-delivery): nothing was written


@dataclass(frozen=True)
class StatusUpdate:
    channel: str
    external_id: str
    status: str
    error_code: str | None = None
    error_message: str | None = None
    opted_out: bool = False  # the provider says the recipient withdrew consent


# --- questions ------------------------------------------------------------------------

@dataclass(frozen=True)
class CustomerAddress:
    """A customer address on a channel and what the channel told about its sender, as
    ``resolve_contacts`` is asked about it (``resolve_contact``'s arguments, as one object)."""

    channel: str
    address: str
    profile: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ContactRef:
    """Who a customer address belongs to, as answered by ``resolve_contact`` and
    ``resolve_contacts``."""

    id: int | None
    name: str = ""
    group_id: int | None = None           # the contact's own group override
    preferred_channel: str | None = None


# --- UI and realtime registrations -----------------------------------------------------

@dataclass(frozen=True)
class WidgetTab:
    """A tab of the details widget.

    ``script`` is the URL of an ES module that exports ``mount(element, ctx)``; the
    host imports it when the tab is first shown. It is a prebuilt bundle the plugin
    serves (the host builds no plugin sources) and imports nothing from the host: the
    host's DOM and styling helpers come in ``ctx``. ``stylesheet`` is the URL of the
    tab's CSS file, which the host links into the page before the tab is drawn (no
    styles from scripts). Lower ``order`` comes first.
    With ``background=True`` the module is imported as soon as the page starts and its
    optional ``background(ctx)`` export runs once for the page's life (e.g. a phone that
    must ring whichever tab is shown).
    """

    key: str
    title: str
    script: str
    order: int = 100
    # One of the host's drawn icons ("user", "address-book", "phone", "speech-dots",
    # "speech-phone", "logs", "speech-pair", "chat", "mute", "edit", "bell", "archive", "clip",
    # "inbox"), or a short text such as an emoji, shown as is.
    icon: str = ""
    background: bool = False
    stylesheet: str = ""


@dataclass(frozen=True)
class SocketEvents:
    """Socket.IO event handlers a plugin adds. Handlers get ``(agent, data)``."""

    handlers: Mapping[str, Callable[..., Any]]
    namespace: str = "/"


@dataclass(frozen=True)
class PluginSettings:
    """A marshmallow schema for a plugin's admin settings.

    Fields whose ``metadata`` has ``secret=True`` are stored but never shown back.
    """

    schema: Any
    title: str = ""
    description: str = ""


@dataclass(frozen=True)
class NavLink:
    """A link in the top bar: its words, where it goes, and who sees it."""

    title: str
    url: str
    admin_only: bool = False
    order: int = 100


@dataclass(frozen=True)
class InboxHandler:
    """What to do with recorded webhook events of one ``kind`` (see :mod:`host.inbox`).

    ``handle(payload)`` runs in the inbox worker, in an app context of its own, with the
    payload the webhook recorded; it writes through the host's services and may commit.
    It must be idempotent: after a crash an event can be handled again. Raising retries
    the event with backoff, then dead-letters it. ``describe(payload)`` says in a
    sentence what the event was, for the admins' list of dead letters.

    ``handle_batch(payloads)``, optional, handles several events of this kind at once
    (each of another customer) in one transaction, sharing its lookups and statements:
    the worker uses it when it has claimed more than one. It must do all or nothing:
    when it raises, the worker rolls back and hands each event to ``handle`` on its own,
    so one bad event is retried alone.
    """

    kind: str
    handle: Callable[[dict[str, Any]], None]
    describe: Callable[[dict[str, Any]], str] | None = None
    handle_batch: Callable[[list[dict[str, Any]]], None] | None = None


@dataclass(frozen=True)
class SessionListener:
    """A SQLAlchemy session event a plugin reacts to (``register_session_listeners``):
    ``event`` is ``"before_flush"``, ``"after_flush"``, ``"after_commit"`` or
    ``"after_soft_rollback"``; ``handler`` takes SQLAlchemy's arguments for it. It runs in
    the app that registered it, and only while the plugin is enabled."""

    event: str
    handler: Callable[..., Any]


@runtime_checkable
class Worker(Protocol):
    """A background worker a plugin runs beside the host's outbox and inbox workers
    (``register_workers``): started in every process that runs them (``switchboard serve``
    and ``switchboard worker``, ``host.wsgi`` with the worker on, the test kit's live
    server) and stopped with them.

    ``start`` receives the function that starts a thread in the server's way
    (Socket.IO's ``start_background_task``); it must return at once. ``stop`` asks the
    thread to end. Keep state in the worker object, one per app. A worker's passes run
    whether its plugin is enabled or not: check ``host.plugin_api.is_enabled`` in each pass.
    """

    def start(self, start_background_task: Callable[..., Any]) -> None: ...

    def stop(self) -> None: ...


@dataclass(frozen=True)
class HealthCheck:
    """One line of a plugin's health on the plugins page.

    ``setup=True`` on a failing check means a step an admin hasn't taken yet (settings
    not filled in), not an outage: it is shown as a to-do rather than as an error.
    ``action`` names the one thing that fixes a failing check, in words ("Point the
    numbers here"); ``action_url`` is where that is done, when it is a page.
    """

    name: str
    ok: bool
    detail: str = ""
    setup: bool = False
    action: str = ""
    action_url: str = ""
