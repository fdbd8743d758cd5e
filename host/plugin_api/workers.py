"""Persisted background work, as the host's outbox and inbox do it.

A plugin's queue table has ``id``, ``chat_id`` (or another ordering column), ``state``,
``next_attempt_at`` and ``locked_until``; :func:`due_ids` picks the oldest due row per
chat, :func:`claim` / :func:`claim_many` take rows with an expiring lease (one worker
wins), :func:`backoff` spaces retries. Run the worker itself with ``register_workers``.
"""
from __future__ import annotations

from host.contracts import Worker
from host.work_queue import backoff, claim, claim_many, due_ids

__all__ = ["Worker", "due_ids", "claim", "claim_many", "backoff"]
