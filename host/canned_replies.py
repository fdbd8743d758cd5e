"""Canned replies: saved answers agents insert with "/" in the reply box.

A reply is personal (its owner's alone) or shared with one group (that group's agents
see, insert and manage it; admins those of every group). Who sees which is
:func:`host.access.reply_filter`; this module checks what is written and fills in the
variables.

Variables are written ``{{customer.name}}`` (as Chatwoot and Front do). The console fills
them in when the reply is inserted (``host/frontend/lib/canned_replies.js``), so the agent
reads the real sentence before sending it; a customer without a name yet is "there"
("Hi there"), so a greeting never reads "Hi ,". Unknown variables are refused here.
"""
from __future__ import annotations

import re

from flask_babel import gettext
from sqlalchemy import func

from host import access
from host.extensions import db
from host.i18n import format_number
from host.models import Agent, CannedReply

SHORTCUT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
VARIABLE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
VARIABLES = {
    "customer.name": "the customer's name",
    "customer.first_name": "the customer's first name",
    "agent.name": "your name",
    "agent.first_name": "your first name",
}
MAX_BODY = 1600


class ReplyProblem(ValueError):
    """A field of a reply is not acceptable; ``field`` names it, the text says why."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def problems(shortcut: str, body: str) -> dict[str, str]:
    """Field → sentence for what is wrong with a reply's shortcut and text."""
    found = {}
    if not SHORTCUT.match(shortcut or ""):
        found["shortcut"] = gettext("Use 1 to 40 lowercase letters, digits, - or _ for the shortcut, starting with "
                                    "a letter or digit (for example refund-policy).")
    if not (body or "").strip():
        found["body"] = gettext("Write the reply's text.")
    elif len(body) > MAX_BODY:
        found["body"] = gettext("A reply can be at most %(count)s characters, like a message.",
                                count=format_number(MAX_BODY))
    else:
        unknown = sorted({name for name in VARIABLE.findall(body) if name not in VARIABLES})
        if unknown:
            known = ", ".join("{{%s}}" % name for name in VARIABLES)
            found["body"] = gettext("%(variable)s is not a variable Switchboard knows. Use %(known)s.",
                                    variable="{{%s}}" % unknown[0], known=known)
    return found


def visible(agent: Agent) -> list[CannedReply]:
    """The replies ``agent`` may insert: personal ones first, then shared, by shortcut."""
    query = (db.select(CannedReply).where(access.reply_filter(agent, CannedReply))
             .order_by(CannedReply.group_id.isnot(None), CannedReply.shortcut, CannedReply.id))
    return db.session.execute(query).scalars().all()


def _taken(shortcut: str, agent_id: int | None, group_id: int | None, except_id: int | None) -> bool:
    query = db.select(func.count(CannedReply.id)).where(CannedReply.shortcut == shortcut)
    query = query.where(CannedReply.agent_id == agent_id) if agent_id else query.where(CannedReply.group_id == group_id)
    if except_id:
        query = query.where(CannedReply.id != except_id)
    return db.session.execute(query).scalar_one() > 0


def _check(shortcut: str, body: str, agent_id, group_id, except_id=None) -> None:
    found = problems(shortcut, body)
    if found:
        field = next(iter(found))
        raise ReplyProblem(field, found[field])
    if _taken(shortcut, agent_id, group_id, except_id):
        raise ReplyProblem("shortcut", gettext("/%(shortcut)s is already used in your personal replies. Pick another "
                                               "shortcut.", shortcut=shortcut) if agent_id else
                           gettext("/%(shortcut)s is already used in this group's shared replies. Pick another "
                                   "shortcut.", shortcut=shortcut))


def create(agent: Agent, shortcut: str, body: str, title: str = "", group_id: int | None = None) -> CannedReply:
    """A personal reply of ``agent`` (no group), or one shared with ``group_id``; the
    caller has checked the agent works in that group (``access.may_use_group``)."""
    shortcut = (shortcut or "").strip().lstrip("/").lower()
    owner_id = None if group_id else agent.id
    _check(shortcut, body, owner_id, group_id)
    reply = CannedReply(shortcut=shortcut, title=(title or "").strip(), body=body, agent_id=owner_id,
                        group_id=group_id, created_by_id=agent.id)
    db.session.add(reply)
    db.session.commit()
    return reply


def update(reply: CannedReply, shortcut: str | None = None, body: str | None = None,
           title: str | None = None) -> CannedReply:
    shortcut = reply.shortcut if shortcut is None else shortcut.strip().lstrip("/").lower()
    body = reply.body if body is None else body
    _check(shortcut, body, reply.agent_id, reply.group_id, except_id=reply.id)
    reply.shortcut, reply.body = shortcut, body
    if title is not None:
        reply.title = title.strip()
    db.session.commit()
    return reply


def delete(reply: CannedReply) -> None:
    db.session.delete(reply)
    db.session.commit()

