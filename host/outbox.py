"""The outbox: outbound messages are persisted first, then sent by a worker.

Rows are claimed and ordered per chat by :mod:`host.work_queue`, so messages leave in
the order agents wrote them and a crashed worker's claim expires. Retryable failures
(provider 5xx, 429, timeouts) back off exponentially.

**Never twice.** An attempt whose outcome is unknown — a timeout after the provider may
have accepted the message, a worker killed during the call — is not simply repeated:
before any retry the channel adapter's optional ``find_sent(message, since)`` asks the
provider whether it has the message already; it is resent only when the provider has no
record of it, and not at all while the provider can't be asked. An adapter without
``find_sent`` is retried blindly (at least once, possibly twice).
"""
from __future__ import annotations

import logging

from flask import current_app

from host import emit as bus
from host import work_queue
from host.contracts import Media, OutgoingMessage, SendError, Template
from host.events import MessageSent, MessageStatusChanged
from host.extensions import db
from host.models import Message, OutboxItem
from host.queue_worker import QueueWorker
from host.schemas import snapshot_chat, snapshot_message
from host.send_failures import NO_SENDER, OPTED_OUT, UNREACHABLE, retry_note

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 300
MAX_ATTEMPTS = 50  # ~4 hours of retries at the maximum backoff


def enqueue(message: Message) -> OutboxItem:
    item = OutboxItem(message_id=message.id, chat_id=message.chat_id)
    db.session.add(item)
    return item


def backoff(attempts: int) -> float:
    return work_queue.backoff(attempts, MAX_BACKOFF_SECONDS)


class Outbox(QueueWorker):
    """The outbox worker of one process (``app.extensions["switchboard"].outbox``); the
    inbox and plugins' queues are its ``companions``."""

    model = OutboxItem
    poll_setting = "SWITCHBOARD_OUTBOX_POLL_SECONDS"
    wake_channel = "switchboard_outbox"
    claim_setting = "SWITCHBOARD_OUTBOX_CLAIM_SECONDS"
    max_attempts = MAX_ATTEMPTS
    max_backoff = MAX_BACKOFF_SECONDS
    name = "outbox"

    def due_ids(self, limit: int = 50) -> list[int]:
        return work_queue.due_ids(OutboxItem, limit)

    def drain(self, limit: int | None = None) -> int:
        """Send what is due now; return how many rows were attempted.

        Claimed one at a time, just before its send: a batch's claim could run out while
        earlier sends wait for the provider, and another worker would send it too."""
        attempted = 0
        for item_id in self.due_ids(limit or self.batch):
            if self.claim(item_id):
                self.send_one(db.session.get(OutboxItem, item_id))
                attempted += 1
        return attempted

    def send_one(self, item: OutboxItem) -> None:
        message = item.message
        plugins = current_app.extensions["switchboard"].plugins
        # An earlier attempt counted but left no result: it may have reached the provider.
        unsure = item.attempts > 0
        item.attempts += 1
        # The attempt counts even if the process dies during the call, and no write is
        # left open while the provider answers (on SQLite that would hold every other
        # writer — inbound webhooks — for the length of the HTTP call).
        db.session.commit()
        refusal = plugins.ask("check_consent", channel=message.channel, address=message.recipient or "")
        try:
            if refusal:
                raise SendError(refusal, code=OPTED_OUT, retryable=False)
            found = self._find_sent(message) if unsure else None
            if found is not None:
                log.info("message %s had reached the provider already (%s); not sent again",
                         message.id, found.external_id)
                self._sent(item, message, found)
                return
            result = plugins.ask("send_message", message=outgoing(message))
            if result is None:
                raise SendError(f"No plugin can send {message.channel} messages.", code=NO_SENDER, retryable=False)
        except SendError as exc:
            self._failed(item, message, exc)
        except Exception as exc:  # an adapter bug or network fault: keep the message, retry
            log.warning("sending message %s failed: %s", message.id, type(exc).__name__)
            self._failed(item, message, SendError("The provider could not be reached.", code=UNREACHABLE,
                                                  retryable=True))
        else:
            self._sent(item, message, result)

    def _find_sent(self, message: Message):
        """The provider's record of this message from an earlier attempt, or None.

        Raises (a retryable ``SendError``) when the provider can't be asked: then nothing
        is sent until it can."""
        adapter = current_app.extensions["switchboard"].channel(message.channel)
        find = getattr(adapter, "find_sent", None)
        if find is None:
            return None
        return find(outgoing(message), since=message.created_at)

    def _sent(self, item, message, result) -> None:
        item.state, item.locked_until, item.last_error = "done", None, None
        message.external_id = result.external_id
        message.advance_status(result.status or "sent")
        message.error_code = message.error_message = message.error_detail = None
        db.session.flush()
        bus.emit(MessageSent(message=snapshot_message(message), chat=snapshot_chat(message.chat)))
        bus.commit()

    def _failed(self, item, message, exc: SendError) -> None:
        values = self.after_failure(item.attempts, str(exc), exc.retryable)
        for key, value in values.items():
            setattr(item, key, value)
        if item.state != "dead":
            # English in the row; the API words it for each reader (host.send_failures)
            message.error_code, message.error_message = exc.code, retry_note(exc)
            message.error_detail = exc.detail
            db.session.flush()
            bus.emit(MessageStatusChanged(message=snapshot_message(message), chat=snapshot_chat(message.chat),
                                          previous_status=message.status))
            bus.commit()
            return
        previous = message.status
        message.status = "failed"
        message.error_code = exc.code
        message.error_message = str(exc)[:300]
        message.error_detail = exc.detail
        db.session.flush()
        bus.emit(MessageStatusChanged(message=snapshot_message(message), chat=snapshot_chat(message.chat),
                                      previous_status=previous, opted_out=exc.opted_out))
        bus.commit()


def outgoing(message: Message) -> OutgoingMessage:
    template = None
    if message.template:
        template = Template(sid=message.template["sid"], variables=message.template.get("variables") or {},
                            name=message.template.get("name", ""))
    return OutgoingMessage(
        message_id=message.id, chat_id=message.chat_id, channel=message.channel,
        to=message.recipient or message.chat.customer_address, sender=message.sender,
        body=message.body or "",
        media=tuple(Media(_media_url(m), m.get("content_type", ""), m.get("filename", ""), m.get("size"))
                    for m in message.media or []),
        template=template)


def _media_url(media: dict) -> str:
    """Where the provider fetches a file: an attachment's signed link, made now so it is
    fresh however late the send (retries included); other media as stored."""
    if media.get("attachment_id"):
        from host.attachments import public_url

        return public_url(media["attachment_id"], media.get("filename", ""))
    return media["url"]
