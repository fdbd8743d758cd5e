"""Persisted background work, done in order per chat, claimed by an expiring lease.

The host's outbox and inbox and plugins' own queues (the LiveChat sync) share these
rules. A row needs ``id``, ``chat_id`` (or another column that orders it), ``state`` (``"pending"`` while work is left),
``next_attempt_at`` and ``locked_until``:

* only the oldest pending row of a chat is due, so a chat's work is done in the order it
  was written, even when an earlier row is waiting for its retry;
* a worker claims a row by moving ``locked_until`` forward with a conditional UPDATE, so
  of several workers (threads or processes) exactly one wins; a claim that outlives a
  crashed worker expires and another takes the row over.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, bindparam, or_, update

from host.extensions import db
from host.models import utcnow

__all__ = ["due_ids", "claim", "claim_many", "claim_due", "more_due", "finish", "backoff"]

# The column claim_due adds to each row it claims: whether the row's key has a later
# pending row (due once this one is done).
FOLLOWED = "followed"


def _due(model, limit: int, key, now):
    first_per_chat = (db.select(db.func.min(model.id))
                      .where(model.state == "pending").group_by(model.chat_id if key is None else key))
    return (db.select(model.id)
            .where(model.id.in_(first_per_chat), model.next_attempt_at <= now,
                   or_(model.locked_until.is_(None), model.locked_until < now))
            .order_by(model.id).limit(limit))


_CLAIMS: dict = {}
_FINISH: dict = {}


def _claim_statement(model, limit: int, key):
    """claim_due's statement for a queue and batch size, built once (a busy worker runs it
    several times a second); the times are its parameters ``now`` and ``until``."""
    key = model.chat_id if key is None else key
    statement = _CLAIMS.get((model, key.key, limit))
    if statement is None:
        table, now = model.__table__, bindparam("now")
        due = _due(model, limit, key, now).with_for_update(skip_locked=True)
        later = table.alias("later")
        column = key.expression.name
        followed = (db.select(later.c.id).where(later.c[column] == table.c[column], later.c.state == "pending",
                                                later.c.id > table.c.id).exists().label(FOLLOWED))
        statement = _CLAIMS[(model, key.key, limit)] = (
            update(table)
            .where(table.c.id.in_(due), table.c.state == "pending",
                   or_(table.c.locked_until.is_(None), table.c.locked_until < now))
            .values(locked_until=bindparam("until"))
            .returning(*table.columns, followed))
    return statement


def due_ids(model, limit: int = 50, key=None) -> list[int]:
    """Ids of rows that may be worked on now, oldest first, at most one per chat (or per
    value of the ``key`` column: rows sharing it are worked on in order)."""
    return list(db.session.execute(_due(model, limit, key, utcnow())).scalars())


def claim_due(model, limit: int, seconds: float, key=None) -> list:
    """Claim the rows due now (as :func:`due_ids` picks them) for ``seconds`` and read
    them, in one statement; committed. Rows another worker is claiming at the same
    moment are skipped (``SKIP LOCKED`` where the database has it), not waited for.

    Plain rows (their columns by name, and :data:`FOLLOWED`), not ORM objects: the
    commit would expire objects and each would be read again."""
    now = utcnow()
    rows = db.session.execute(_claim_statement(model, limit, key),
                              {"now": now, "until": now + timedelta(seconds=seconds)}).all()
    db.session.commit()
    return sorted(rows, key=lambda row: row.id)


def more_due(rows: list, limit: int) -> bool:
    """Whether another claim right after working on ``rows`` (one :func:`claim_due` of
    ``limit``) can find rows that were due or queued when they were claimed: the batch
    was full, or one of its keys has a later row. Rows queued since then come with their
    own wake-up (or the next poll)."""
    return len(rows) >= limit or any(getattr(row, FOLLOWED) for row in rows)


def finish(model, ids: list[int], **values) -> None:
    """Mark the rows of ``ids`` done (with ``values`` besides), in one statement built once
    per queue; the caller commits."""
    names = tuple(sorted(values))
    statement = _FINISH.get((model, names))
    if statement is None:
        table = model.__table__
        statement = _FINISH[(model, names)] = (
            update(table).where(table.c.id.in_(bindparam("ids", expanding=True)))
            .values(state="done", locked_until=None, last_error=None,
                    **{name: bindparam("set_" + name) for name in names}))
    db.session.execute(statement, {"ids": ids, **{"set_" + name: value for name, value in values.items()}})


def claim(model, item_id: int, seconds: float) -> bool:
    """Take the row for ``seconds``; False when another worker holds it or it is done."""
    now = utcnow()
    result = db.session.execute(
        update(model)
        .where(and_(model.id == item_id, model.state == "pending",
                    or_(model.locked_until.is_(None), model.locked_until < now)))
        .values(locked_until=now + timedelta(seconds=seconds)))
    db.session.commit()
    return result.rowcount == 1


def claim_many(model, item_ids: list[int], seconds: float) -> list[int]:
    """Take several rows at once (one statement); the ids this worker won."""
    if not item_ids:
        return []
    now = utcnow()
    result = db.session.execute(
        update(model)
        .where(and_(model.id.in_(item_ids), model.state == "pending",
                    or_(model.locked_until.is_(None), model.locked_until < now)))
        .values(locked_until=now + timedelta(seconds=seconds)).returning(model.id))
    won = sorted(result.scalars())
    db.session.commit()
    return won


def backoff(attempts: int, maximum: float, retry_after: float | None = None) -> float:
    """Seconds before the next attempt: 1, 2, 4 … up to ``maximum``, or longer if asked."""
    delay = float(min(2 ** max(attempts - 1, 0), maximum))
    if retry_after:
        delay = max(delay, min(float(retry_after), maximum))
    return delay
