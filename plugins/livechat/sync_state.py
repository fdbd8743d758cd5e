"""What the LiveChat tab shows about one chat: its mirror and the calls still waiting."""
from __future__ import annotations

import time

from flask_babel import gettext, lazy_gettext

from host.plugin_api import db
from plugins.livechat import sync_failures
from plugins.livechat.models import LiveChatChat, LiveChatSyncItem

# Each call in words, for API readers: the tab words them itself from ``action`` and
# ``status_code`` in its agent's language, since the worker's pushes go to every agent
# watching the chat, whatever their language.
LABELS = {
    "open": lazy_gettext("Open the chat in LiveChat"),
    "message": lazy_gettext("Copy a customer message to LiveChat"),
    "update_customer": lazy_gettext("Update the customer's name and email in LiveChat"),
    "transfer": lazy_gettext("Transfer the chat in LiveChat"),
    "deactivate": lazy_gettext("Close the chat in LiveChat"),
    "mark_delivered": lazy_gettext("Mark a LiveChat reply as delivered"),
    "reply": lazy_gettext("Send a LiveChat agent's reply to the customer"),
}


def _iso(value):
    return value.isoformat() + "Z" if value else None


def item_view(item: LiveChatSyncItem) -> dict:
    return {"id": item.id, "action": item.action, "label": str(LABELS.get(item.action, item.action)),
            "state": item.state, "attempts": item.attempts, "last_error": sync_failures.worded(item.last_error),
            "next_attempt_at": _iso(item.next_attempt_at) if item.state == "pending" else None,
            "created_at": _iso(item.created_at)}


def summary(chat_id: int, configured: bool | None = None) -> dict:
    # Stamped before reading: a tab that gets an answer and a push out of order keeps the
    # newer one (a Retry's answer can arrive after the worker's "in sync" push).
    as_of = time.time()
    link = db.session.execute(db.select(LiveChatChat).where(LiveChatChat.chat_id == chat_id)).scalar_one_or_none()
    items = db.session.execute(
        db.select(LiveChatSyncItem)
        .where(LiveChatSyncItem.chat_id == chat_id, LiveChatSyncItem.state.in_(("pending", "failed")))
        .order_by(LiveChatSyncItem.id).limit(50)).scalars().all()
    pending = [i for i in items if i.state == "pending"]
    failed = [i for i in items if i.state == "failed"]
    delayed = [i for i in pending if i.last_error]
    error = None
    if failed:
        code, error = "failed", sync_failures.worded(failed[-1].last_error)
    elif delayed:
        code, error = "delayed", sync_failures.worded(delayed[0].last_error)
    elif configured is False:
        code = "not_configured"
    elif pending:
        code = "syncing"
    elif link and link.lc_chat_id:
        code = "in_sync"
    else:
        code = "not_mirrored"
    return {
        "as_of": as_of,
        "chat_id": chat_id,
        "mirrored": bool(link and link.lc_chat_id),
        "lc_chat_id": link.lc_chat_id if link else None,
        "lc_thread_id": link.lc_thread_id if link else None,
        "lc_group_id": link.lc_group_id if link else None,
        "active": bool(link and link.active),
        "pending": len(pending),
        "failed": len(failed),
        "delayed": bool(delayed),
        "status_code": code,
        "status_error": error,
        "status": status_sentence(code, error),
        "items": [item_view(i) for i in items],
    }


def status_sentence(code: str, error: str | None = None) -> str:
    """A sync state in words, in the request's language (English for the worker's pushes)."""
    if code == "failed":
        return gettext("LiveChat sync failed: %(error)s", error=error)
    if code == "delayed":
        return gettext("LiveChat sync delayed: %(error)s Retrying automatically.", error=error)
    return {
        "not_configured": lambda: gettext("LiveChat is not configured yet; an admin can finish the LiveChat settings."),
        "syncing": lambda: gettext("Syncing with LiveChat…"),
        "in_sync": lambda: gettext("In sync with LiveChat."),
        "not_mirrored": lambda: gettext("This chat is not mirrored in LiveChat."),
    }[code]()
