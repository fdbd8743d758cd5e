"""The LiveChat outbox: calls to LiveChat are persisted first, then made by a worker.

Like :mod:`host.outbox` it claims and orders rows with :mod:`host.work_queue` (a claim
that outlives a crashed process expires; within a chat only the oldest pending row is
eligible, so LiveChat sees the conversation in order);
retryable failures (LiveChat unreachable, 429, 5xx) back off exponentially, honouring
``Retry-After``; other failures are final (``failed``) with the error in words, shown in
the chat's LiveChat tab with a retry button.

Hook handlers only :func:`enqueue` (they run after the host's commit, inside whatever
request caused them — a Twilio webhook, an agent's reply); nothing here is called from a
request except :meth:`LiveChatSync.kick`.

The worker thread is the plugin API's :class:`~host.plugin_api.workers.PollingWorker`
(woken by :meth:`LiveChatSync.kick`, polling like the host's outbox, surviving a LiveChat
or database outage), registered with ``register_workers``
(:func:`plugins.livechat.plugin.register_workers`): it starts and stops wherever the
host runs its own workers. Tests call :func:`drain`.
"""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any
from collections.abc import Mapping

from flask import current_app
from sqlalchemy import delete

from host.plugin_api import db, utcnow, workers, is_enabled
from host.plugin_api.realtime import chat_room, push
from plugins.livechat import client, identities, settings, sync_actions, sync_failures
from plugins.livechat.client import LiveChatError
from plugins.livechat.credentials import recover
from plugins.livechat.models import LiveChatSyncItem, LiveChatWebhookKey
from plugins.livechat.sync_actions import SyncFailure
from plugins.livechat.sync_state import summary

log = logging.getLogger(__name__)

NAME = "livechat"
CLAIM_SECONDS = 60
MAX_BACKOFF_SECONDS = 300
MAX_ATTEMPTS = 50  # ~4 hours at the maximum backoff
EXTENSION = "livechat.sync"


def backoff(attempts: int, retry_after: float | None = None) -> float:
    return workers.backoff(attempts, MAX_BACKOFF_SECONDS, retry_after)


def enqueue(chat_id: int, action: str, payload: Mapping[str, Any] | None = None) -> LiveChatSyncItem:
    """Persist a LiveChat call for a chat (the caller commits), then :meth:`kick`."""
    item = LiveChatSyncItem(chat_id=chat_id, action=action, payload=dict(payload or {}))
    db.session.add(item)
    return item


def sync() -> LiveChatSync:
    app = current_app._get_current_object()
    existing = app.extensions.get(EXTENSION)
    if existing is None:
        existing = app.extensions[EXTENSION] = LiveChatSync(app)
    return existing


def drain(limit: int = 50) -> int:
    """Make every LiveChat call that is due now (tests, CLI); returns how many were tried."""
    return sync().drain(limit)


class LiveChatSync(workers.PollingWorker):
    name = "LiveChat sync"
    IDENTITIES_EVERY = 60   # passes (about a minute at the default poll)
    PRUNE_EVERY = 3600      # passes, the first one included

    def __init__(self, app):
        super().__init__(app)
        self._passes = 0

    def housekeeping(self) -> None:
        self._passes += 1
        if self._passes % self.IDENTITIES_EVERY == 0:
            self.refresh_identities()
        if self._passes % self.PRUNE_EVERY == 1:
            self.prune()

    def refresh_identities(self) -> None:
        config = settings.current()
        if self._active() and config.configured:
            identities.refresh_expiring(client.api_for(config))

    def prune(self, keep_days: int = 14) -> int:
        """Forget finished rows and webhook keys older than ``keep_days`` (LiveChat redelivers
        within a minute; failed rows stay until someone retries them)."""
        cutoff = utcnow() - timedelta(days=keep_days)
        done = db.session.execute(delete(LiveChatSyncItem).where(
            LiveChatSyncItem.state == "done", LiveChatSyncItem.updated_at < cutoff)).rowcount
        keys = db.session.execute(delete(LiveChatWebhookKey).where(
            LiveChatWebhookKey.received_at < cutoff)).rowcount
        db.session.commit()
        return (done or 0) + (keys or 0)

    # --- sending ------------------------------------------------------------------------

    def _active(self) -> bool:
        return is_enabled(NAME)

    def due_ids(self, limit: int = 50) -> list[int]:
        return workers.due_ids(LiveChatSyncItem, limit)

    def claim(self, item_id: int) -> bool:
        return workers.claim(LiveChatSyncItem, item_id, CLAIM_SECONDS)

    def drain(self, limit: int = 50) -> int:
        """Make the calls that are due now; return how many rows were attempted.

        Idle while the plugin is disabled or not configured: rows wait, nothing is lost.
        """
        if not self._active():
            return 0
        config = settings.current()
        if not config.configured:
            return 0
        attempted = 0
        for item_id in self.due_ids(limit):
            if self.claim(item_id):
                self.run_one(db.session.get(LiveChatSyncItem, item_id), config)
                attempted += 1
        return attempted

    def run_one(self, item: LiveChatSyncItem, config) -> None:
        item.attempts += 1
        db.session.commit()  # the attempt counts even if the process dies during the call
        chat_id = item.chat_id
        try:
            sync_actions.perform(item, config, client.api_for(config))
        except LiveChatError as exc:
            db.session.rollback()
            refused_token = exc.status == 401
            retry_now = refused_token and recover(exc, chat_id, config) and item.attempts < 3
            # A refused token is never final: calls wait (with backoff) for a new one.
            self._failed(item, str(exc), exc.retryable or refused_token, 0 if retry_now else exc.retry_after,
                         immediately=retry_now)
        except SyncFailure as exc:
            db.session.rollback()
            self._failed(item, str(exc), False, None)
        except Exception as exc:  # a bug or an outage we did not foresee: keep the row, retry
            db.session.rollback()
            log.warning("LiveChat %s for chat %s failed: %s", item.action, chat_id, type(exc).__name__)
            self._failed(item, sync_failures.english("unexpected", kind=type(exc).__name__), True, None)
        else:
            item.state, item.locked_until, item.last_error = "done", None, None
            db.session.commit()
        announce(chat_id)

    def _failed(self, item: LiveChatSyncItem, error: str, retryable: bool, retry_after: float | None,
                immediately: bool = False) -> None:
        item = db.session.get(LiveChatSyncItem, item.id)  # fresh after the rollback
        item.last_error = error[:300]
        item.locked_until = None
        if retryable and item.attempts < MAX_ATTEMPTS:
            delay = 0 if immediately else backoff(item.attempts, retry_after)
            item.next_attempt_at = utcnow() + timedelta(seconds=delay)
        else:
            item.state = "failed"
        db.session.commit()


def announce(chat_id: int) -> None:
    """Tell agents with the chat open that its LiveChat sync state changed."""
    try:
        push("livechat:sync", summary(chat_id), [chat_room(chat_id)])
    except Exception:  # realtime is best effort; the tab also polls on open
        log.debug("could not push livechat:sync", exc_info=True)


def retry(chat_id: int) -> int:
    """Make failed and waiting rows of a chat due now; return how many."""
    rows = db.session.execute(db.select(LiveChatSyncItem).where(
        LiveChatSyncItem.chat_id == chat_id, LiveChatSyncItem.state.in_(("pending", "failed")))).scalars().all()
    now = utcnow()
    for row in rows:
        if row.state == "failed":
            row.attempts = 0
        row.state, row.next_attempt_at, row.locked_until = "pending", now, None
    db.session.commit()
    sync().kick()
    return len(rows)
