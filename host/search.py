"""Inbox search: customers and message text across the chats an agent may see.

One search box finds chats by their customer (name or number) and messages by their
text; filters narrow both to a channel, a group, a status and chats with unread
customer messages. Visibility is :func:`host.access.chat_filter`, as a condition of
the same statement, so a match in another group's chat is never read out.

Words
    A query's words (letters and digits) must all occur; the last one may be the start
    of a word, so results follow what the agent types ("refu" finds "refund"). Case
    and accents are folded on SQLite (FTS5's ``unicode61`` tokenizer); PostgreSQL's
    ``simple`` configuration folds case only. Neither stems: a search for "refund" does
    not find "refunded" (type "refund" and it does, as a prefix). Digits in the query
    also find customers whose number contains them anywhere ("555 01" → +14155550123),
    through trigram indexes (FTS5's ``trigram`` tokenizer, PostgreSQL's ``pg_trgm``).

Indexes (migration ``0005_host``)
    SQLite: external-content FTS5 tables over ``messages.body`` and over the chats'
    customer name and number, kept in step by triggers, with prefix indexes for 2-4
    character prefixes so a short last word streams instead of merging every term that
    starts with it. PostgreSQL: a GIN index on ``to_tsvector('simple', …)`` of the
    customer, and for message text the narrow table ``message_search`` (migration
    ``0010_host``): per message its vector and copies of its chat's status, channel,
    group and agent, kept in step by triggers in the writer's transaction; its GIN index
    is written through (migration ``0011_host``: no pending list for searches to read).
    The planner picks a bitmap scan of its GIN index for rare words and, for common
    ones, a backward walk of its primary key (or of ``(status, message_id)`` when a
    status is asked), checking the rule and the filters on each narrow row without
    reading the chat (each search is planned for its own words and prices page reads as
    memory reads, see :func:`search`). The unread filter reads ``ix_messages_chat_id_direction_id`` (migration ``0009_host``): one probe per chat.

Order
    Newest first: messages by id, customers by their chat's last message. Each read is
    ``ORDER BY … LIMIT`` on an index, so a word found in a million messages costs about
    as much as one found in twenty. ``benchmarks/inbox_search.py`` measures it against
    a ``LIKE`` scan.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import aliased

from host import access
from host.extensions import db
from host.models import Agent, Chat, ChatRead, Message
from host.search_ddl import CHAT_COPIES

WORD = re.compile(r"\w+", re.UNICODE)
MIN_DIGITS = 3  # "55" would match most numbers
MAX_WORDS = 8
SNIPPET = 140

# FTS5 tables as Core constructs: the table's own name is the column MATCH applies to.
MESSAGES_FTS = sa.table("messages_fts", sa.column("rowid"), sa.column("messages_fts"))
CHATS_FTS = sa.table("chats_fts", sa.column("rowid"), sa.column("chats_fts"))
CHATS_NUMBERS = sa.table("chats_numbers", sa.column("rowid"), sa.column("chats_numbers"))
PG_CONFIG = "simple"
# PostgreSQL: one narrow row per message with its chat's filter columns and the text's
# vector (host.search_ddl.search_table_ddl), so the walk of the newest messages checks the
# visibility rule and the filters without reading the message or its chat.
MESSAGE_SEARCH = sa.table("message_search", sa.column("message_id"), sa.column("chat_id"),
                          *(sa.column(name) for name in CHAT_COPIES), sa.column("search_vector"))


@dataclass
class Filters:
    channel: str | None = None
    group_id: int | None = None
    status: str | None = None
    unread: bool = False


@dataclass
class Results:
    customers: list[Chat] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)


def words(query: str) -> list[str]:
    return [w.lower() for w in WORD.findall(query or "")][:MAX_WORDS]


def _digits(query: str) -> str:
    """The query's digits when it reads as a (part of a) phone number, else ""."""
    text = (query or "").strip()
    digits = re.sub(r"\D", "", text)
    if len(digits) >= MIN_DIGITS and re.fullmatch(r"[\d\s().+-]+", text):
        return digits
    return ""


def _prefix(terms: list[str]) -> bool:
    """Whether the last word counts as a word's start: from two characters on (one
    character would start a good part of every word there is)."""
    return len(terms[-1]) >= 2


def fts5_query(terms: list[str]) -> str:
    """Every word, the last one as a prefix; quoted, so nothing typed is an FTS5 operator."""
    quoted = ['"%s"' % t.replace('"', '""') for t in terms]
    return " ".join(quoted[:-1] + [quoted[-1] + ("*" if _prefix(terms) else "")])


def pg_query(terms: list[str]) -> str:
    """The same for ``to_tsquery``: words joined with &, the last with :* (a prefix)."""
    # \w+ words hold no tsquery operators; quoting keeps apostrophe-free words literal.
    quoted = ["'%s'" % t for t in terms]
    return " & ".join(quoted[:-1] + [quoted[-1] + (":*" if _prefix(terms) else "")])


def chat_conditions(agent: Agent, filters: Filters, chats=Chat) -> list:
    conditions = [access.chat_filter(agent, chats)]
    if filters.channel:
        conditions.append(chats.channel == filters.channel)
    if filters.group_id:
        conditions.append(chats.group_id == filters.group_id)
    if filters.status:
        conditions.append(chats.status == filters.status)
    if filters.unread:
        conditions.append(unread_condition(agent, chats))
    return conditions


def unread_condition(agent: Agent, chats=Chat):
    """The chat holds a customer message after this agent's read marker.

    The marker is read once per chat and the test is one probe of
    ``ix_messages_chat_id_direction_id`` (chat, "in", id above the marker), so a chat
    costs the same however long its transcript is.
    """
    later = aliased(Message)  # not the searched messages of the outer statement
    read_up_to = (select(ChatRead.last_read_message_id)
                  .where(ChatRead.agent_id == agent.id, ChatRead.chat_id == chats.id)
                  .correlate(chats).scalar_subquery())  # the outer statement's chat, two levels up
    return exists(select(later.id).where(later.chat_id == chats.id, later.direction == "in",
                                         later.id > func.coalesce(read_up_to, 0)))


def _recent(query, dialect: str):
    """Newest activity first, reading ``ix_chats_last_message_at`` backwards (chats
    without a message last, as on both databases' index)."""
    if dialect == "postgresql":
        return query.order_by(Chat.last_message_at.desc().nulls_last(), Chat.id.desc())
    return query.order_by(Chat.last_message_at.desc(), Chat.id.desc())


def search(agent: Agent, text: str, filters: Filters, limit: int = 20) -> Results:
    dialect = db.engine.dialect.name
    if dialect == "postgresql":
        # These reads stop after a page of rows; starting parallel workers costs more
        # than the read (measured: 150 ms of a 170 ms search on a busy two-core server).
        # The default (4) prices a page read as a spinning disk's seek; the search's GIN
        # indexes and the rows they point at are read from memory, where PostgreSQL's docs
        # suggest 1.1. With 4 a rare word in queued chats walked 310,000 messages newest
        # first instead of reading its 8,000 matches (406 ms → 120 ms on a busy server).
        # The driver prepares a statement run five times (psycopg's prepare_threshold), and
        # PostgreSQL then plans it once for every word ("generic plan"); but the right plan
        # depends on the word: a common one walks the newest messages and stops after a
        # page, a rare one reads its few GIN entries. Planning each search for its own
        # words (a fraction of a millisecond) cut the server's CPU time for the message
        # reads of benchmarks/inbox_search.py's mix by 10%, and at p95 by a fifth
        # (17.2 → 13.4 ms; a prefix in one group 28 → 15 ms).
        # All three for this transaction only, in one round trip (set_config(…, true) is SET LOCAL).
        db.session.execute(sa.text("SELECT set_config('max_parallel_workers_per_gather', '0', true), "
                                   "set_config('random_page_cost', '1.1', true), "
                                   "set_config('plan_cache_mode', 'force_custom_plan', true)"))
    terms = words(text)
    conditions = chat_conditions(agent, filters)
    if not terms:
        # Filters alone: the matching chats, newest activity first (a filtered inbox).
        query = _recent(select(Chat).where(*conditions), dialect).limit(limit)
        return Results(customers=list(db.session.execute(query).scalars()))
    return Results(customers=_customers(terms, _digits(text), conditions, dialect, limit),
                   messages=_messages(terms, agent, filters, conditions, dialect, limit))


def _customers(terms, digits, conditions, dialect, limit) -> list[Chat]:
    """Chats whose customer's name or number has the words, or whose number has the
    digits anywhere; the matches are few, so they are sorted rather than read in order."""
    if dialect == "sqlite":
        ids = select(CHATS_FTS.c.rowid).where(CHATS_FTS.c.chats_fts.op("MATCH")(fts5_query(terms)))
        if digits:
            ids = ids.union(select(CHATS_NUMBERS.c.rowid).where(
                CHATS_NUMBERS.c.chats_numbers.op("MATCH")('"%s"' % digits)))
        matches = Chat.id.in_(ids)
    else:
        vector = func.to_tsvector(sa.literal_column(f"'{PG_CONFIG}'"),
                                  Chat.customer_name + " " + Chat.customer_address)
        matches = vector.op("@@")(func.to_tsquery(sa.literal_column(f"'{PG_CONFIG}'"), pg_query(terms)))
        if digits:  # the trigram index (pg_trgm) answers LIKE '%digits%'
            matches = or_(matches, Chat.customer_address.contains(digits, autoescape=True))
    query = (select(Chat).where(matches, *conditions)
             .order_by(func.coalesce(Chat.last_message_at, Chat.created_at).desc(), Chat.id.desc()).limit(limit))
    return list(db.session.execute(query).scalars())


def _messages(terms, agent, filters, conditions, dialect, limit) -> list[Message]:
    if dialect == "sqlite":
        query = (select(Message)
                 .select_from(MESSAGES_FTS)
                 .join(Message, Message.id == MESSAGES_FTS.c.rowid)
                 .join(Chat, Chat.id == Message.chat_id)
                 .where(MESSAGES_FTS.c.messages_fts.op("MATCH")(fts5_query(terms)), *conditions)
                 .order_by(MESSAGES_FTS.c.rowid.desc()))
        return list(db.session.execute(query.limit(limit)).scalars())
    return list(db.session.execute(select(Message).where(Message.id.in_(pg_message_ids(terms, agent, filters, limit)))
                                   .order_by(Message.id.desc())).scalars())


def pg_message_ids(terms, agent: Agent, filters: Filters, limit: int):
    """PostgreSQL: the newest matching messages' ids, from ``message_search`` alone (the
    visibility rule and the filters on its copies of the chat's columns); only the unread
    filter reads the chat's read marker and messages."""
    rows = MESSAGE_SEARCH.c
    conditions = chat_conditions(agent, Filters(channel=filters.channel, group_id=filters.group_id,
                                                status=filters.status), rows)
    if filters.unread:
        conditions.append(exists(select(Chat.id).where(Chat.id == rows.chat_id, unread_condition(agent, Chat))))
    tsquery = func.to_tsquery(sa.literal_column(f"'{PG_CONFIG}'"), pg_query(terms))
    return (select(rows.message_id).where(rows.search_vector.op("@@")(tsquery), *conditions)
            .order_by(rows.message_id.desc()).limit(limit))


def like_scan(agent: Agent, text: str, filters: Filters, limit: int = 20) -> list[int]:
    """The naive way, for comparison in ``benchmarks/inbox_search.py``: every word as a
    ``LIKE '%word%'`` over message bodies, newest first."""
    conditions = chat_conditions(agent, filters)
    likes = [Message.body.ilike(f"%{t}%") for t in words(text)]
    query = (select(Message.id).join(Chat, Chat.id == Message.chat_id)
             .where(and_(*likes), *conditions).order_by(Message.id.desc()).limit(limit))
    return list(db.session.execute(query).scalars())


def snippet(body: str, terms: list[str]) -> str:
    """Up to SNIPPET characters of ``body`` around the first word that matched."""
    body = " ".join((body or "").split())
    if len(body) <= SNIPPET:
        return body
    lowered = body.lower()
    hits = [lowered.find(t) for t in terms if lowered.find(t) >= 0]
    start = max(0, min(hits) - 40) if hits else 0
    if start:
        start = body.rfind(" ", 0, start) + 1 or start
    cut = body[start:start + SNIPPET]
    return ("…" if start else "") + cut + ("…" if start + SNIPPET < len(body) else "")
