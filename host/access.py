"""Who may see what: the one visibility rule, and the words an agent is refused with.

Chats
    An agent may see a chat when they are an admin, when the chat's group is one of
    their groups, when the chat has no group (every agent sees ungrouped chats), or when
    the chat is assigned to them. Seeing a chat is what lets an agent read its
    transcript, reply, accept, transfer, archive, reopen, call its customer and join its
    realtime room; a chat they may not see answers 404, as if it did not exist.
    :func:`chat_filter` is the rule as a query condition, :func:`may_see_chat` as a
    check of one chat; every chat route and Socket.IO event uses one of them.

Customers
    Starting a conversation (a first message, a call) hands the
    customer's chat to the agent, so the agent must be allowed to own it:
    :func:`check_may_start` refuses with :class:`CustomerElsewhere` (403, a sentence
    naming the group) when the customer belongs to a group the agent is not in. A
    customer belongs to the group of their open chat; without one, to the group their
    contact is pinned to (the group override); without that, to the group of their last
    chat. A customer with no chat and no override belongs to nobody yet: any agent may
    write to them, and the new chat goes to a group the agent is in (see
    :func:`group_for_new_chat`).

Contacts
    Plugins keep their own customer records (contact records, e.g. an address book) and show
    them through this rule: a contact is visible when one of its chats is visible, or
    when it has no chat yet and its group override is one of the agent's groups (or it
    has none). :func:`contact_filter` and :func:`may_see_contact` say so from the
    contact's id and override alone, since ``chats.contact_id`` is the host's column.

Routes and events
    Every view and Socket.IO handler says what it is about with :func:`about` (a chat, a
    call, a contact, a customer, admin-only, or any agent with the reason). Before a view
    runs, :func:`install`'s hook refuses what the declaration decides alone: admin routes
    to agents, and an object named in the path that the agent may not see (each kind's
    check is registered with :func:`register_check`). ``tests/host/test_access_walk.py``
    reads the declarations from the URL map and the Socket.IO handlers and calls every
    route and event as an agent of another group, so one without a declaration fails
    the suite.
"""
from __future__ import annotations

from flask_babel import gettext, lazy_gettext
from dataclasses import dataclass
from typing import Any
from collections.abc import Callable

from flask_login import current_user
from sqlalchemy import and_, exists, false, or_, select, true

from host.extensions import db
from host.models import Agent, Chat, Group

NOT_FOUND = lazy_gettext("There is no such chat, or it belongs to a group you're not in.")


# --- the rule ------------------------------------------------------------------------------

def _field(obj, name: str):
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name)


def may_see_group(agent: Agent | None, group_id: int | None) -> bool:
    """Admins see every group; agents their own groups; nobody's (None) is everyone's."""
    if agent is None:
        return False
    return agent.is_admin or group_id is None or group_id in agent.group_ids()


def may_see_chat(agent: Agent | None, chat) -> bool:
    """The rule for one chat (an ORM chat, a row or a snapshot dict)."""
    if agent is None or chat is None:
        return False
    agent_id = _field(chat, "agent_id")
    return may_see_group(agent, _field(chat, "group_id")) or (agent_id is not None and agent_id == agent.id)


def chat_filter(agent: Agent, chats=Chat):
    """The rule as a condition on ``chats`` (the Chat entity or an alias of it)."""
    if agent.is_admin:
        return true()
    groups = agent.group_ids()
    return or_(chats.group_id.is_(None), chats.group_id.in_(groups) if groups else false(),
               chats.agent_id == agent.id)


def visible_chat(agent: Agent | None, chat_id) -> Chat | None:
    """The chat with this id if the agent may see it, else None (bad ids included)."""
    try:
        chat_id = int(chat_id)
    except (TypeError, ValueError):
        return None
    if agent is None or not 0 < chat_id < 2**31:
        return None
    chat = db.session.get(Chat, chat_id)
    return chat if may_see_chat(agent, chat) else None


def chat_or_404(chat_id, agent: Agent | None = None) -> Chat:
    """For routes: the visible chat, or a 404 that does not tell whether it exists."""
    from flask_smorest import abort

    chat = visible_chat(agent or current_user, chat_id)
    if chat is None:
        abort(404, message=NOT_FOUND)
    return chat


# --- starting a conversation ----------------------------------------------------------------

class CustomerElsewhere(Exception):
    """The customer belongs to a group the agent is not in (403; the sentence says what to do)."""

    status = 403

    def __init__(self, group_name: str, has_chat: bool):
        """``has_chat``: the customer's chat is in that group (else their contact is pinned there)."""
        self.group_name = group_name
        if has_chat:
            message = gettext("This customer is handled by %(group)s. Ask a %(group)s agent or an admin to "
                              "transfer the chat to you.", group=group_name)
        else:
            message = gettext("This customer belongs to %(group)s. Ask a %(group)s agent or an admin to write "
                              "to them, or to move the contact to your group.", group=group_name)
        super().__init__(message)


def _group_name(group_id: int | None) -> str:
    group = db.session.get(Group, group_id) if group_id is not None else None
    return group.name if group is not None else gettext("another group")


def check_may_start(agent: Agent, chat: Chat | None, override_group_id: int | None) -> None:
    """Raise :class:`CustomerElsewhere` unless ``agent`` may open a conversation with the
    customer whose current chat (open, else the last archived one, else None) is
    ``chat`` and whose contact is pinned to ``override_group_id``."""
    if chat is not None and chat.status != "archived":
        if not may_see_chat(agent, chat):
            raise CustomerElsewhere(_group_name(chat.group_id), has_chat=True)
        return
    if override_group_id is not None:
        if not may_see_group(agent, override_group_id):
            raise CustomerElsewhere(_group_name(override_group_id), has_chat=False)
        return
    if chat is not None and not may_see_chat(agent, chat):
        raise CustomerElsewhere(_group_name(chat.group_id), has_chat=True)


def group_for_new_chat(agent: Agent | None, routed_group_id: int | None) -> int | None:
    """The group of a chat an agent starts with a customer nobody has yet: where routing
    puts it when the agent is in that group, else the agent's own (first by name), so
    the agent's team follows the conversation it started. Admins take routing's."""
    if agent is None or may_see_group(agent, routed_group_id) or not agent.groups:
        return routed_group_id
    return min(agent.groups, key=lambda g: (g.name.lower(), g.id)).id


# --- contact records (what plugins keep about customers) -----------------------------------------

def contact_filter(agent: Agent, contact_id_column, group_id_column):
    """Contact records visible to ``agent`` as a condition on a contact table's id and group
    override columns: one of its chats is visible, or it has no chat and its override
    is visible (or unset)."""
    if agent.is_admin:
        return true()
    any_chat = exists(select(Chat.id).where(Chat.contact_id == contact_id_column))
    visible_chat_ = exists(select(Chat.id).where(Chat.contact_id == contact_id_column, chat_filter(agent)))
    groups = agent.group_ids()
    own_override = or_(group_id_column.is_(None), group_id_column.in_(groups) if groups else false())
    return or_(visible_chat_, and_(~any_chat, own_override))


def may_see_contact(agent: Agent | None, contact_id: int | None, group_id: int | None) -> bool:
    if agent is None:
        return False
    if agent.is_admin:
        return True
    if contact_id is None:
        return may_see_group(agent, group_id)
    chats = db.session.execute(select(Chat.group_id, Chat.agent_id).where(Chat.contact_id == contact_id)).all()
    if not chats:
        return may_see_group(agent, group_id)
    return any(may_see_chat(agent, {"group_id": g, "agent_id": a}) for g, a in chats)


def hidden_chats(agent: Agent, chat_ids) -> list[Chat]:
    """Those of ``chat_ids`` the agent may not see."""
    ids = list(chat_ids)
    if not ids or agent.is_admin:
        return []
    # Checked here, not as NOT(chat_filter): SQL's NOT of a comparison with NULL is NULL.
    chats = db.session.execute(select(Chat).where(Chat.id.in_(ids))).scalars()
    return [chat for chat in chats if not may_see_chat(agent, chat)]


def hidden_group_name(chats: list[Chat]) -> str:
    return _group_name(next((c.group_id for c in chats if c.group_id is not None), None))


def rooms_for_chats(chat_ids, group_id: int | None = None) -> list[str]:
    """The Socket.IO rooms whose agents may see a record tied to these chats: each chat's
    room, its group's (or ``ungrouped``) and its assignee's. With no chat, the rooms of
    who may see ``group_id`` (``group:<id>``, or every agent's ``customers``)."""
    ids = list(chat_ids)
    if not ids:
        return [f"group:{group_id}" if group_id is not None else "customers"]
    rooms = {f"chat:{cid}" for cid in ids}
    for gid, aid in db.session.execute(select(Chat.group_id, Chat.agent_id).where(Chat.id.in_(ids))).all():
        rooms.add(f"group:{gid}" if gid is not None else "ungrouped")
        if aid is not None:
            rooms.add(f"agent:{aid}")
    return sorted(rooms)


# --- canned replies (saved answers, personal or shared with a group) -------------------------

def reply_filter(agent: Agent, replies):
    """Canned replies ``agent`` sees, as a condition on the ``replies`` entity: their own
    personal ones, and the shared ones of their groups (admins: of every group). Seeing
    one is what lets them insert, edit and delete it; another agent's personal replies
    are theirs alone."""
    shared = replies.group_id.isnot(None)
    if not agent.is_admin:
        groups = agent.group_ids()
        shared = replies.group_id.in_(groups) if groups else false()
    return or_(replies.agent_id == agent.id, shared)


def may_see_reply(agent: Agent | None, reply) -> bool:
    if agent is None or reply is None:
        return False
    if reply.agent_id is not None:
        return reply.agent_id == agent.id
    return agent.is_admin or reply.group_id in agent.group_ids()


def may_use_group(agent: Agent | None, group_id) -> bool:
    """Whether ``agent`` works in the group (shares replies with it); admins in every one."""
    if agent is None:
        return False
    return agent.is_admin or group_id in agent.group_ids()


def _reply_visible(agent: Agent, reply_id) -> bool:
    from host.models import CannedReply

    try:
        return may_see_reply(agent, db.session.get(CannedReply, int(reply_id)))
    except (TypeError, ValueError):
        return False


# --- what each route is about ------------------------------------------------------------------

CHAT, CALL, CONTACT, CUSTOMER, MEDIA, OWN, GROUP, REPLY, ADMIN, AGENT = (
    "chat", "call", "contact", "customer", "media", "own", "group", "reply", "admin", "agent")
KINDS = (CHAT, CALL, CONTACT, CUSTOMER, MEDIA, OWN, GROUP, REPLY, ADMIN, AGENT)
NAMED = (CHAT, CALL, CONTACT, CUSTOMER, MEDIA, OWN, GROUP, REPLY)  # kinds that name their object


@dataclass(frozen=True)
class About:
    """What a route is about, and so who may use it.

    ``kind``: ``chat``/``call``/``contact``/``media`` — one object, named by ``where``
    (``"chat_id"`` a path parameter, ``"query:chat_id"`` or ``"json:chat_id"``), that
    must be visible (else 404); ``own`` — an agent's own account (password, tokens,
    sign-ins) named by ``where``, for that agent or an admin (403/404); ``group`` — a group
    the agent works in (admins: any), named by ``where`` (403; absent: the agent's own
    things, e.g. a personal canned reply); ``reply`` — a canned reply the agent may see
    and so manage (404); ``customer`` — a customer typed by address in ``where``
    (403 with :class:`CustomerElsewhere` when another group has them); ``admin`` —
    admins only (403); ``agent`` — any signed-in agent, with ``reason`` saying why that
    shows no other group's customers (a list filtered by the rule, the agent's own
    data, the team directory …).
    """

    kind: str
    where: str | None = None
    reason: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r}; one of {', '.join(KINDS)}")
        if self.kind == AGENT and not self.reason:
            raise ValueError("say why every agent may use this route")
        if self.kind in NAMED and not self.where:
            raise ValueError(f"say where the {self.kind} is named (a path parameter, query:… or json:…)")


def about(kind: str, where: str | None = None, reason: str = "") -> Callable[[Any], Any]:
    """Declare what a view (function, MethodView class or method) is about."""
    declared = About(kind, where, reason)

    def mark(view):
        view.switchboard_access = declared
        return view

    return mark


_BLUEPRINTS: dict[str, About] = {}


def about_blueprint(name: str, kind: str, reason: str = "") -> None:
    """Declare every route of a blueprint at once (e.g. admin pages guarded by one
    ``before_request``); a view's own declaration wins."""
    _BLUEPRINTS[name] = About(kind, None, reason)


def declared(app, endpoint: str, method: str) -> About | None:
    """What the view behind ``endpoint`` declared for ``method`` (None: nothing)."""
    view = app.view_functions.get(endpoint)
    if view is None:
        return None
    cls = getattr(view, "view_class", None)
    if cls is not None:
        handler = getattr(cls, method.lower(), None)
        found = getattr(handler, "switchboard_access", None) or getattr(cls, "switchboard_access", None)
    else:
        found = getattr(view, "switchboard_access", None)
    if found is None and "." in endpoint:
        found = _BLUEPRINTS.get(endpoint.rsplit(".", 1)[0])
    return found


# --- enforcing the declarations ----------------------------------------------------------------

@dataclass(frozen=True)
class _Check:
    allows: Callable[[Agent, Any], bool]
    status: int
    message: str


# The refusal of an object the agent may not see, by kind: said as if it did not exist,
# in the reader's language (lazy: worded when the answer is written).
_REFUSALS = {
    CHAT: NOT_FOUND,
    CALL: lazy_gettext("There is no such call, or it belongs to a group you're not in."),
    CONTACT: lazy_gettext("There is no such contact, or it belongs to a group you're not in."),
    CUSTOMER: lazy_gettext("There is no such customer, or they belong to a group you're not in."),
    MEDIA: lazy_gettext("There is no such file, or it belongs to a group you're not in."),
    GROUP: lazy_gettext("There is no such group, or you're not in it."),
}
NOTHING_TO_SEE = lazy_gettext("There is nothing here you may see.")

# (kind, path parameter or None for any) → how to tell whether the agent may see the
# object named in the URL, and the refusal. Plugins add theirs.
_CHECKS: dict[tuple[str, str | None], _Check] = {}


def register_check(kind: str, check: Callable[[Agent, Any], bool], where: str | None = None,
                   status: int = 404, message: str = "") -> None:
    """How to tell whether an agent may see the ``kind`` object a URL names (e.g. the
    plugin keeping contact records for ``contact``), for one path parameter (``where``) or any; routes
    declaring it are then refused before they run, with ``status`` (404: as if it did
    not exist) and ``message``."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    message = message or _REFUSALS.get(kind, NOTHING_TO_SEE)
    _CHECKS[(kind, where)] = _Check(check, status, message)


def _call_visible(agent: Agent, call_id) -> bool:
    from host.models import Call

    try:
        call = db.session.get(Call, int(call_id))
    except (TypeError, ValueError):
        return False
    return call is not None and may_see_chat(agent, call.chat)


register_check(CHAT, lambda agent, chat_id: visible_chat(agent, chat_id) is not None)
register_check(CALL, _call_visible)
register_check(REPLY, _reply_visible, message=lazy_gettext("There is no such canned reply, or it isn't yours to see."))


def install(app) -> None:
    """Refuse, before the view (and its input validation) runs, what a route's declaration
    already decides: admin routes to agents (403), and an object named by a path
    parameter that the agent may not see (404). The views check the rest themselves."""
    from flask import request
    from flask_smorest import abort

    @app.before_request
    def enforce_declarations():
        if request.endpoint is None:
            return None
        found = declared(app, request.endpoint, request.method)
        # Nothing declared (a webhook: its signature is its check) needs no agent, so none
        # is loaded; without one, the sign-in guard (registered first) has answered.
        if found is None or not current_user.is_authenticated:
            return None
        if found.kind == ADMIN and not current_user.is_admin:
            abort(403, message=gettext("Only administrators can do this."))
        check = _CHECKS.get((found.kind, found.where)) or _CHECKS.get((found.kind, None))
        if (check is not None and found.where in (request.view_args or {})
                and not check.allows(current_user, request.view_args[found.where])):
            abort(check.status, message=check.message)
        return None
