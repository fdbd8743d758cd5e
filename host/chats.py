"""What happens to chats: inbound messages, replies, accept, transfer, archive, reopen.

Channel plugins call :func:`receive` and :func:`apply_status` from their webhooks; the
console and API call the agent actions. Each function writes, commits, and only then
lets plugins hear about it (:mod:`host.emit`).
"""
from __future__ import annotations

from flask_babel import gettext
from flask import current_app
from sqlalchemy import bindparam, case, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from host import access, sqlite_writes, text_channels
from host import emit as bus
from host.channel_descriptions import channel_address
from host.contracts import ContactRef, CustomerAddress, InboundMessage, StatusUpdate, Stored
from host.db_connections import retry_on_disconnect
from host.events import (ChatArchived, ChatAssigned, ChatReopened, ChatStarted, ChatTransferred,
                         MessageQueued, MessageReceived, MessageStatusChanged)
from host.extensions import db
from host.models import Agent, Chat, ChatRead, Group, Message, Transfer, utcnow
from host.schemas import snapshot_chat, snapshot_message


class ChatError(ValueError):
    """An agent action that cannot be done; the message is shown to the agent."""


CHATS, MESSAGES = Chat.__table__, Message.__table__


def _plugins():
    return current_app.extensions["switchboard"].plugins


# --- inbound -------------------------------------------------------------------------

def resolve(channel: str, address: str, profile=None) -> ContactRef:
    ref = _plugins().ask("resolve_contact", channel=channel, address=address, profile=dict(profile or {}))
    return ref or ContactRef(id=None)


def resolve_many(customers: list[CustomerAddress]) -> list[ContactRef]:
    """:func:`resolve` for several customers, asked of the plugins at once (a plugin keeping
    contact records looks them all up together); a customer the answer leaves out (None)
    is asked about on their own."""
    refs = _plugins().ask("resolve_contacts", customers=customers)
    if refs is None or len(refs) != len(customers):
        raise ValueError(f"resolve_contacts gave {len(refs or ())} answers for {len(customers)} customers")
    return [ref if ref is not None else resolve(customer.channel, customer.address, customer.profile)
            for customer, ref in zip(customers, refs, strict=True)]


def _chat_order():
    """Open chats first (the newest), then archived ones, most recently archived first."""
    c = CHATS.c
    return ((c.status == "archived").asc(), case((c.status != "archived", c.id)).desc(),
            c.archived_at.desc(), c.id.desc())


def _chat_query(whose):
    """The customer's open chat (the newest), else their most recently archived one.

    The event snapshots show the group's and the assignee's names: they are loaded in
    the same query (the assignee's own groups are not needed for that).
    """
    return (db.select(Chat).options(joinedload(Chat.group), joinedload(Chat.agent).lazyload(Agent.groups))
            .where(whose).order_by(*_chat_order()).limit(1))


# Every inbound message runs these: the statements are built once.
_CHAT_OF_CONTACT = _chat_query(Chat.contact_id == bindparam("contact_id"))
_CHAT_OF_ADDRESS = _chat_query(Chat.customer_address == bindparam("address"))
_STORED_BY_EXTERNAL_ID = db.select(MESSAGES.c.id, MESSAGES.c.chat_id).where(
    MESSAGES.c.channel == bindparam("channel"), MESSAGES.c.external_id == bindparam("external_id"))
_MESSAGE_BY_EXTERNAL_ID = db.select(Message).where(Message.channel == bindparam("channel"),
                                                   Message.external_id == bindparam("external_id"))


def find_chat_for(contact: ContactRef, address: str) -> Chat | None:
    """The customer's open chat, else their most recent archived one."""
    if contact.id is not None:
        result = db.session.execute(_CHAT_OF_CONTACT, {"contact_id": contact.id})
    else:
        result = db.session.execute(_CHAT_OF_ADDRESS, {"address": address})
    return result.scalars().first()


_LOOK_UP = object()


def open_chat_for(channel: str, address: str, contact: ContactRef, sender: str | None,
                  origin: str, agent: Agent | None = None, chat: Chat | None = _LOOK_UP) -> Chat:
    """Continue, reopen or start the customer's chat, routing it when it (re)starts.

    ``chat=None`` says the caller already knows the customer has no chat at all.

    With ``agent`` (an agent writes or calls first, or reopens) the agent must be
    allowed to own the customer (:func:`host.access.check_may_start` raises
    :class:`~host.access.CustomerElsewhere` before anything changes); the chat is
    assigned to them. An archived chat the agent may see is reopened where it is.

    Without ``agent`` (the customer writes or calls) an archived chat is reopened only
    when routing puts the customer back in the chat's own group (or the chat has none);
    otherwise a new chat starts in the routed group and the old one stays archived
    where it was: a reopened chat never shows its earlier messages to a group that
    could not see them.
    """
    if chat is _LOOK_UP:
        chat = find_chat_for(contact, address)
    if agent is not None:
        access.check_may_start(agent, chat, contact.group_id)
    if chat is not None and chat.status != "archived":
        for key, value in _continued(chat, channel, address, sender, contact).items():
            setattr(chat, key, value)
        return chat
    sender = sender or (chat.sender if chat is not None else None)
    if (chat is not None and agent is not None and chat.group_id is not None
            and contact.group_id in (None, chat.group_id)):
        group_id = chat.group_id
    else:
        group_id = contact.group_id or _plugins().ask(
            "route_chat", chat=_routing_view(chat, channel, address, contact, sender), contact=contact,
            to_address=sender or "")
        if chat is None and contact.group_id is None:
            group_id = access.group_for_new_chat(agent, group_id)
    reopened = chat is not None and chat.group_id in (None, group_id)
    # Asked before a new chat joins the session: the question may query (autoflush).
    binding = _text_binding(chat if reopened else None, channel, address, sender, contact)
    if not reopened:
        # A new chat has no row (nor id) yet: its group is set before the insert, so
        # the row is written once, with its group.
        chat = Chat(contact_id=contact.id, channel=binding[0], customer_address=binding[1],
                    customer_name=contact.name or "", group_id=group_id)
        db.session.add(chat)
    chat.channel, chat.customer_address, chat.sender = binding
    chat.group_id, chat.archived_at = group_id, None
    if agent is not None:
        chat.status, chat.agent_id = "active", agent.id
    else:
        chat.status, chat.agent_id = "queued", None
    db.session.flush()
    event = ChatReopened if reopened else ChatStarted
    bus.emit(event(chat=snapshot_chat(chat), origin=origin))
    return chat


def _routing_view(chat: Chat | None, channel: str, address: str, contact: ContactRef, sender) -> dict:
    """What routers see of the chat about to (re)start (``id`` None for a new one)."""
    return {"id": chat.id if chat is not None else None, "channel": channel, "customer_address": address,
            "contact_id": contact.id, "sender": sender}


def receive(inbound: InboundMessage) -> Stored:
    """Store a customer message once, in the right chat; the ids of the message and its
    chat (for a repeat, the ones stored before, with ``repeat=True``).

    The inbox worker runs this for each recorded webhook (:mod:`host.inbox`), so it is
    off the webhook's request path: one ORM transaction — the contact, the customer's
    chat (continued, reopened or started by :func:`open_chat_for`), the message — then
    the events. A repeat (same channel and external id) changes nothing: the unique
    index refuses it and the transaction is rolled back (rare: the inbox has absorbed
    re-deliveries already). If the
    database connection dies on the way (a server restart), it is stored on a fresh one.
    """
    message = _store(inbound)
    bus.dispatch_ready()
    return message


@retry_on_disconnect
def _store(inbound: InboundMessage) -> Stored:
    sqlite_writes.begin_writing(db.session)
    contact = resolve(inbound.channel, inbound.from_address, inbound.profile)
    chat = open_chat_for(inbound.channel, inbound.from_address, contact, inbound.to_address, "inbound")
    now = utcnow()
    chat.last_message_at = chat.last_inbound_at = now
    message = _inbound_message(inbound, chat, now)
    db.session.add(message)
    try:
        db.session.flush()
    except IntegrityError:  # stored before: everything here is rolled back, events included
        db.session.rollback()
        found = db.session.execute(_STORED_BY_EXTERNAL_ID, {"channel": inbound.channel,
                                                            "external_id": inbound.external_id}).one()
        return Stored(message_id=found.id, chat_id=found.chat_id, repeat=True)
    stored = Stored(message_id=message.id, chat_id=chat.id)
    bus.emit(MessageReceived(message=snapshot_message(message), chat=snapshot_chat(chat), contact_id=contact.id,
                             profile=dict(inbound.profile), opt_out=inbound.opt_out))
    db.session.commit()
    return stored


def receive_many(inbounds: list[InboundMessage], before_each=None) -> list[Stored]:
    """Store several customers' messages at once, in one transaction: the inbox worker's
    batches (:attr:`~host.contracts.InboxHandler.handle_batch`).

    Each message goes the way :func:`receive` takes it — contact, chat, message, events —
    but the messages are inserted and their chats updated together at the end, and the
    transaction commits once. All or nothing: if one message can't be stored (a repeat
    included), nothing is and the error is raised, so the caller can store them one by
    one with :func:`receive`. ``before_each(inbound)`` runs before each one is stored (a
    channel sets what its routing hooks read). The messages must be of different
    customers: one customer's messages are stored in order, one at a time.
    """
    stored = _store_many(inbounds, before_each)
    bus.dispatch_ready()
    return stored


@retry_on_disconnect
def _store_many(inbounds: list[InboundMessage], before_each) -> list[Stored]:
    sqlite_writes.begin_writing(db.session)
    now = utcnow()
    kept = []
    try:
        # What one message changes need not be written before the next is looked up:
        # a new contact or chat is flushed where it is made, and a chat already loaded
        # keeps its pending changes in the session. The updates of the whole batch, then
        # its messages, then go in a few statements.
        with db.session.no_autoflush:
            contacts = resolve_many([CustomerAddress(inbound.channel, inbound.from_address, dict(inbound.profile))
                                     for inbound in inbounds])
            chats = _chats_for(contacts, [inbound.from_address for inbound in inbounds])
            for inbound, contact in zip(inbounds, contacts, strict=True):
                if before_each is not None:
                    before_each(inbound)
                whose = _whose(contact, inbound.from_address)
                chat = open_chat_for(inbound.channel, inbound.from_address, contact, inbound.to_address, "inbound",
                                     chat=chats.get(whose))
                chats[whose] = chat  # a later message of the same contact (another number) continues it
                kept.append((inbound, contact, chat))
            db.session.flush()  # what continuing, reopening or starting changed on a chat
            _mark_received({chat.id: chat for _inbound, _contact, chat in kept}, now)
            # The messages in one INSERT … RETURNING (SQLAlchemy's ORM bulk INSERT): their
            # objects come back as stored, without the unit of work's bookkeeping per object.
            messages = db.session.scalars(
                insert(Message).returning(Message, sort_by_parameter_order=True),
                [_inbound_values(inbound, chat.id, now) for inbound, _contact, chat in kept]).all()
    except Exception:
        db.session.rollback()
        raise
    stored = []
    for (inbound, contact, chat), message in zip(kept, messages, strict=True):
        bus.emit(MessageReceived(message=snapshot_message(message), chat=snapshot_chat(chat), contact_id=contact.id,
                                 profile=dict(inbound.profile), opt_out=inbound.opt_out))
        stored.append(Stored(message_id=message.id, chat_id=chat.id))
    db.session.commit()  # read nothing from the objects after this: each would be loaded again
    return stored


_RECEIVED_TIMES = ("last_message_at", "last_inbound_at", "updated_at")
_MARK_RECEIVED = (db.update(CHATS).where(CHATS.c.id.in_(bindparam("ids", expanding=True)))
                  .values({name: bindparam("now") for name in _RECEIVED_TIMES}))


def _mark_received(chats: dict, now) -> None:
    """Set the last message times of a batch's chats (``{id: chat}``) to ``now``: one
    UPDATE for all of them, the same values for each, rather than one row apiece in the
    flush. The loaded chats are given the values as stored (``set_committed_value``:
    nothing left to flush), so the events' snapshots show them."""
    db.session.execute(_MARK_RECEIVED, {"ids": sorted(chats), "now": now})
    for chat in chats.values():
        for name in _RECEIVED_TIMES:
            set_committed_value(chat, name, now)


def _whose(contact: ContactRef, address: str) -> tuple:
    return ("contact", contact.id) if contact.id is not None else ("address", address)


def _chats_of(column):
    """The chat :func:`find_chat_for` finds for each of several values of ``column``
    (parameter ``values``), in one statement."""
    ranked = (db.select(Chat.id, db.func.row_number().over(partition_by=column, order_by=_chat_order())
                        .label("rank")).where(column.in_(bindparam("values", expanding=True))).subquery())
    return (db.select(Chat).options(joinedload(Chat.group), joinedload(Chat.agent).lazyload(Agent.groups))
            .join(ranked, ranked.c.id == Chat.id).where(ranked.c.rank == 1))


# Every batch of the inbox worker runs these: the statements are built once.
_CHATS_OF_CONTACTS = _chats_of(Chat.contact_id)
_CHATS_OF_ADDRESSES = _chats_of(Chat.customer_address)


def _chats_for(contacts: list[ContactRef], addresses: list[str]) -> dict:
    """What :func:`find_chat_for` finds for each customer, in two statements at most
    (one for customers with a contact, one for those without); keyed by :func:`_whose`."""
    found = {}
    for query, kind, values in (
            (_CHATS_OF_CONTACTS, "contact", {c.id for c in contacts if c.id is not None}),
            (_CHATS_OF_ADDRESSES, "address", {a for c, a in zip(contacts, addresses, strict=True) if c.id is None})):
        if not values:
            continue
        for chat in db.session.execute(query, {"values": sorted(values)}).scalars():
            found[(kind, chat.contact_id if kind == "contact" else chat.customer_address)] = chat
    # a customer without one: None, "no chat at all" (open_chat_for looks no further)
    return {_whose(c, a): found.get(_whose(c, a)) for c, a in zip(contacts, addresses, strict=True)}


def _inbound_values(inbound: InboundMessage, chat_id: int | None, now) -> dict:
    """The columns of an inbound message's row (the others take their defaults)."""
    return dict(chat_id=chat_id, direction="in", kind=inbound.kind if not inbound.media else "media",
                channel=inbound.channel, body=inbound.body, media=[m.as_stored() for m in inbound.media],
                sender=inbound.from_address, recipient=inbound.to_address,
                external_id=inbound.external_id, status="received", created_at=now, updated_at=now)


def _inbound_message(inbound: InboundMessage, chat: Chat, now) -> Message:
    return Message(chat=chat, **_inbound_values(inbound, chat.id, now))


def _text_binding(previous, channel: str, address: str, sender: str | None,
                  contact: ContactRef) -> tuple[str, str, str | None]:
    """The channel, customer address and our sender a chat's typed replies go by, when
    the customer reached us on ``channel``.

    A call (a channel that carries no text) never takes the text channel away: the
    chat (``previous``) keeps the one it has, and a chat begun
    by a call gets the customer's preferred text channel or the first one set up.
    """
    if text_channels.carries_text(channel):
        return channel, address, sender
    if previous is not None and text_channels.carries_text(previous.channel):
        return previous.channel, previous.customer_address, previous.sender
    text = text_channels.text_channel_for(contact.preferred_channel if contact else None, near=channel)
    if text is None:  # no text channel set up: the chat stays on the call's channel
        return channel, address, sender
    return text, channel_address(text, address), channel_address(text, sender) if sender else sender


def _continued(chat, channel: str, address: str, sender: str | None, contact: ContactRef) -> dict:
    """What continuing an open chat changes on it (``chat``: an ORM chat): the
    channel and address the customer used last, our number, a name it didn't have
    (a call leaves the chat's text channel as it is, see :func:`_text_binding`).

    Only values that differ: an UPDATE that names an indexed column rewrites its index
    entry even when the value stays the same (``customer_address`` is indexed)."""
    channel, address, sender = _text_binding(chat, channel, address, sender or chat.sender, contact)
    wanted = {"channel": channel, "customer_address": address, "sender": sender}
    if contact.name and not chat.customer_name:
        wanted["customer_name"] = contact.name
    return {key: value for key, value in wanted.items() if getattr(chat, key) != value}


def _by_external_id(channel: str, external_id: str) -> Message | None:
    return db.session.execute(_MESSAGE_BY_EXTERNAL_ID,
                              {"channel": channel, "external_id": external_id}).scalar_one_or_none()


def apply_status(update: StatusUpdate) -> Message | None:
    """Move an outbound message's delivery status forward; stale callbacks change nothing."""
    message = _by_external_id(update.channel, update.external_id)
    if message is None:
        return None
    previous = message.status
    if not message.advance_status(update.status):
        return message
    if update.error_code:
        message.error_code = str(update.error_code)
        message.error_message = update.error_message
        message.error_detail = None  # the provider's later report: its code says it all
    bus.emit(MessageStatusChanged(message=snapshot_message(message), chat=snapshot_chat(message.chat),
                                  previous_status=previous, opted_out=update.opted_out))
    bus.commit()
    return message


# --- agent actions ---------------------------------------------------------------------

def reply(chat: Chat, agent: Agent | None, body: str = "", media=(), template=None,
          channel: str | None = None) -> Message:
    """Queue an outbound message in the outbox; the outbox worker sends it."""
    from host.outbox import enqueue

    if chat.status == "archived":
        raise ChatError(gettext("This chat is archived. Reopen it to reply."))
    if channel is None and not text_channels.carries_text(chat.channel):
        # A chat a call left on a channel without text (before calls kept the text
        # channel): typed replies move it to the customer's text channel.
        contact = resolve(chat.channel, chat.customer_address, {})
        chat.channel, chat.customer_address, chat.sender = _text_binding(
            None, chat.channel, chat.customer_address, chat.sender, contact)
    refusal = _adapter_refusal(chat, channel or chat.channel, body, media, template)
    if refusal:
        raise ChatError(refusal)
    if template and not body:  # keep the text the customer receives with the message
        body = _adapter_rendering(chat, channel or chat.channel, template) or ""
    if chat.status == "queued" and agent is not None:
        _assign(chat, agent)
    message = Message(chat=chat, direction="out", kind="template" if template else ("media" if media else "text"),
                      channel=channel or chat.channel, body=body, media=list(media or []), template=template,
                      sender=chat.sender, recipient=chat.customer_address,
                      agent_id=agent.id if agent else None, status="queued")
    chat.last_message_at = utcnow()
    db.session.add(message)
    db.session.flush()
    enqueue(message)
    bus.emit(MessageQueued(message=snapshot_message(message), chat=snapshot_chat(chat)))
    bus.commit()
    current_app.extensions["switchboard"].outbox.kick()
    return message


def _adapter_refusal(chat: Chat, channel: str, body, media, template) -> str | None:
    """Ask the channel adapter's optional ``check_reply`` whether this can be sent at all.

    For rules the agent must hear about before anything is queued (e.g. a messaging
    window that closed, or a channel whose settings are missing); returns the sentence, or None.
    """
    sb = current_app.extensions["switchboard"]
    adapter = sb.channel(channel)
    if adapter is None:  # a switched-off plugin's channel: the outbox says so when it tries
        return None
    check = getattr(adapter, "check_reply", None)
    refusal = check(chat, body=body, media=media, template=template) if check else None
    return refusal or sb.channel_refusal(channel)  # not set up: refused now, naming what is missing


def _adapter_rendering(chat: Chat, channel: str, template) -> str | None:
    """The adapter's optional ``render_template``: a template's text with its variables."""
    adapter = current_app.extensions["switchboard"].enabled_channels().get(channel)
    render = getattr(adapter, "render_template", None)
    return render(chat, template) if render else None


def start_outbound(agent: Agent, channel: str, address: str, body="", media=(), template=None) -> tuple[Chat, Message]:
    """An agent writes first (from a channel's tab): continue or start the customer's chat."""
    contact = resolve(channel, address, {})
    chat = open_chat_for(channel, address, contact, None, "agent", agent=agent)
    message = reply(chat, agent, body=body, media=media, template=template)
    return chat, message


def _assign(chat: Chat, agent: Agent) -> None:
    chat.agent_id, chat.status = agent.id, "active"
    db.session.flush()
    bus.emit(ChatAssigned(chat=snapshot_chat(chat), agent_id=agent.id))


def accept(chat: Chat, agent: Agent) -> Chat:
    if chat.status == "archived":
        raise ChatError(gettext("This chat is archived. Reopen it first."))
    if chat.agent_id and chat.agent_id != agent.id and chat.status == "active":
        raise ChatError(f"{chat.agent.name or chat.agent.email} is already working on this chat.")
    _assign(chat, agent)
    bus.commit()
    return chat


def transfer(chat: Chat, by: Agent | None, to_agent: Agent | None = None, to_group: Group | None = None,
             origin: str = "switchboard") -> Chat:
    if to_agent is None and to_group is None:
        raise ChatError(gettext("Choose an agent or a group to transfer the chat to."))
    if to_agent is not None and not to_agent.is_active:
        raise ChatError(gettext("That agent's account is deactivated."))
    previous, previous_group = chat.agent_id, chat.group_id
    if to_group is not None:
        chat.group_id = to_group.id
    if to_agent is not None:
        chat.agent_id = to_agent.id
        if to_group is None and to_agent.groups and chat.group_id not in to_agent.group_ids():
            chat.group_id = to_agent.groups[0].id  # so the new owner can see it
        chat.status = "active" if chat.status != "archived" else chat.status
    else:
        chat.agent_id, chat.status = None, "queued"
    db.session.add(Transfer(chat_id=chat.id, from_agent_id=previous, to_agent_id=chat.agent_id,
                            to_group_id=to_group.id if to_group else None,
                            by_agent_id=by.id if by else None, origin=origin))
    db.session.flush()
    bus.emit(ChatTransferred(chat=snapshot_chat(chat), from_agent_id=previous, to_agent_id=chat.agent_id,
                             to_group_id=to_group.id if to_group else None,
                             by_agent_id=by.id if by else None, origin=origin, from_group_id=previous_group))
    bus.commit()
    return chat


def archive(chat: Chat, by: Agent | None, origin: str = "switchboard") -> Chat:
    if chat.status == "archived":
        return chat
    chat.status, chat.archived_at = "archived", utcnow()
    db.session.flush()
    bus.emit(ChatArchived(chat=snapshot_chat(chat), by_agent_id=by.id if by else None, origin=origin))
    bus.commit()
    return chat


def reopen(chat: Chat, by: Agent, channel: str | None = None) -> Chat:
    """Reopen an archived chat on the contact's preferred channel (or the one asked for).

    The chat stays in its group. When the customer has another open chat, or their
    contact is now pinned to another group, the agent is told what to do instead.
    """
    if chat.status != "archived":
        raise ChatError(gettext("This chat is already open."))
    contact = resolve(chat.channel, chat.customer_address, {})
    if contact.id is not None and chat.contact_id is None:
        chat.contact_id = contact.id
    current = find_chat_for(contact, chat.customer_address)
    if current is not None and current.id != chat.id and current.status != "archived":
        access.check_may_start(by, current, contact.group_id)
        raise ChatError(gettext("This customer already has an open chat (#%(id)s). Continue there.", id=current.id))
    access.check_may_start(by, chat, contact.group_id)
    if contact.group_id not in (None, chat.group_id):
        group = db.session.get(Group, contact.group_id)
        raise ChatError(gettext("This customer now belongs to %(group)s. Transfer this chat to %(group)s first, or "
                                "write to them from a channel's tab to start a new chat there.",
                                group=group.name))
    chosen = channel or contact.preferred_channel or chat.channel
    address = channel_address(chosen, chat.customer_address)
    open_chat_for(chosen, address, contact, chat.sender, "agent", agent=by, chat=chat)
    bus.commit()
    return chat


def mark_read(chat: Chat, agent: Agent) -> None:
    last = db.session.execute(db.select(db.func.max(Message.id)).where(Message.chat_id == chat.id)).scalar() or 0
    state = db.session.get(ChatRead, (agent.id, chat.id)) or ChatRead(agent_id=agent.id, chat_id=chat.id)
    state.last_read_message_id = last
    db.session.add(state)
    db.session.commit()
