"""Background work, as the host's outbox and inbox do it.

:class:`PollingWorker` is the thread a plugin's worker subclasses: it wakes on ``kick()``
or every poll interval, calls ``drain()`` until nothing is due, then ``housekeeping()``,
and survives a failed pass (logged, retried after a pause). A subclass implements
``drain`` and returns one instance per app from ``register_workers``, which starts and
stops it with the host's workers.

A plugin's queue table has ``id``, ``chat_id`` (or another ordering column), ``state``,
``next_attempt_at`` and ``locked_until``; :func:`due_ids` picks the oldest due row per
chat, :func:`claim` / :func:`claim_many` take rows with an expiring lease (one worker
wins), :func:`backoff` spaces retries.
"""
from __future__ import annotations

from host.contracts import Worker
from host.queue_worker import PollingWorker
from host.work_queue import backoff, claim, claim_many, due_ids

__all__ = ["Worker", "PollingWorker", "due_ids", "claim", "claim_many", "backoff"]
