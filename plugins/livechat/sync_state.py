"""What the LiveChat tab shows about one chat: its mirror and the calls still waiting."""
from __future__ import annotations

import time

from host.plugin_api import db
from plugins.livechat.models import LiveChatChat, LiveChatSyncItem

LABELS = {
    "open": "Open the chat in LiveChat",
    "message": "Copy a customer message to LiveChat",
    "update_customer": "Update the customer's name and email in LiveChat",
    "transfer": "Transfer the chat in LiveChat",
    "deactivate": "Close the chat in LiveChat",
    "mark_delivered": "Mark a LiveChat reply as delivered",
    "reply": "Send a LiveChat agent's reply to the customer",
}


def _iso(value):
    return value.isoformat() + "Z" if value else None


def item_view(item: LiveChatSyncItem) -> dict:
    return {"id": item.id, "action": item.action, "label": LABELS.get(item.action, item.action),
            "state": item.state, "attempts": item.attempts, "last_error": item.last_error,
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
    if failed:
        status = f"LiveChat sync failed: {failed[-1].last_error}"
    elif delayed:
        status = f"LiveChat sync delayed: {delayed[0].last_error} Retrying automatically."
    elif configured is False:
        status = "LiveChat is not configured yet; an admin can finish the LiveChat settings."
    elif pending:
        status = "Syncing with LiveChat…"
    elif link and link.lc_chat_id:
        status = "In sync with LiveChat."
    else:
        status = "This chat is not mirrored in LiveChat."
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
        "status": status,
        "items": [item_view(i) for i in items],
    }
