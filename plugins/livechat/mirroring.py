"""Switchboard → LiveChat: notification hooks become rows in the LiveChat outbox.

Hooks run after the host's commit, inside whatever request caused them (a Twilio webhook,
an agent's reply). They only write a row and wake the worker; a failure here is logged and
rolled back so the request that caused it carries on — LiveChat trouble never breaks
Switchboard.

Mirrored when the plugin is enabled (the host skips disabled plugins' hooks) and
configured, and the chat's channel is in ``mirrored_channels``:

* ``chat_started`` / ``chat_reopened`` by the customer → ``open`` (start or resume);
  a reopen by an agent → ``open`` only for chats already mirrored;
* ``message_received`` → ``message`` (+ ``update_customer`` when a name/email is known);
* ``chat_transferred`` / ``chat_archived`` not made by LiveChat → ``transfer`` / ``deactivate``;
* ``message_status_changed`` to delivered/read of a LiveChat agent's reply → ``mark_delivered``;
  to failed/undelivered → ``note``: an agents-only note in the LiveChat chat with the reason,
  so the reply does not look sent there;
* ``contact_changed`` → ``update_customer`` for the contact's mirrored chats;
* ``call_status_changed`` to a final status → ``message`` with the call's transcript line
  ("Incoming call, 2:31", "Missed incoming call"), so LiveChat shows calls too.
"""
from __future__ import annotations

import functools
import logging

from host.plugin_api import db, Message
from plugins.livechat import settings, sync_queue
from plugins.livechat.models import LiveChatChat, LiveChatEvent

log = logging.getLogger(__name__)
ORIGIN = "livechat"


def guarded(handler):
    """Never let a LiveChat problem escape into the host's request."""

    @functools.wraps(handler)
    def wrapper(event):
        try:
            queued = handler(event)
            if queued:
                db.session.commit()
                sync_queue.sync().kick()
        except Exception:
            db.session.rollback()
            log.exception("LiveChat sync could not queue %s", getattr(event, "hook", "an event"))

    return wrapper


def _config_for(chat) -> settings.LiveChatSettings | None:
    config = settings.current()
    if not config.configured or not config.mirrors(chat.get("channel")):
        return None
    return config


def _link(chat_id: int) -> LiveChatChat | None:
    return db.session.execute(db.select(LiveChatChat).where(LiveChatChat.chat_id == chat_id)).scalar_one_or_none()


@guarded
def chat_opened(event) -> bool:
    chat = event.chat
    if _config_for(chat) is None:
        return False
    if event.origin != "inbound" and _link(chat["id"]) is None:
        return False  # an agent writing first: mirrored once the customer answers
    sync_queue.enqueue(chat["id"], "open")
    return True


@guarded
def message_received(event) -> bool:
    chat = event.chat
    if _config_for(chat) is None or event.message.get("direction") != "in":
        return False
    sync_queue.enqueue(chat["id"], "message", {"message_id": event.message["id"]})
    name = (event.profile or {}).get("name") or chat.get("customer_name")
    email = (event.profile or {}).get("email")
    if name or email:
        sync_queue.enqueue(chat["id"], "update_customer", {"name": name, "email": email})
    return True


@guarded
def chat_transferred(event) -> bool:
    if event.origin == ORIGIN or _config_for(event.chat) is None or _link(event.chat["id"]) is None:
        return False
    sync_queue.enqueue(event.chat["id"], "transfer",
                       {"to_agent_id": event.to_agent_id, "to_group_id": event.to_group_id})
    return True


@guarded
def chat_archived(event) -> bool:
    if event.origin == ORIGIN or _config_for(event.chat) is None or _link(event.chat["id"]) is None:
        return False
    sync_queue.enqueue(event.chat["id"], "deactivate")
    return True


FAILED = ("failed", "undelivered")


@guarded
def message_status_changed(event) -> bool:
    status = event.message.get("status")
    if status not in ("delivered", "read", *FAILED) or _config_for(event.chat) is None:
        return False
    if status in FAILED:
        if event.previous_status in FAILED:
            return False
        row = db.session.execute(db.select(LiveChatEvent).where(
            LiveChatEvent.message_id == event.message["id"], LiveChatEvent.direction == "out")).scalars().first()
        if row is None:
            return False  # not a LiveChat agent's reply
        sync_queue.enqueue(event.chat["id"], "note", {"text": not_delivered_note(event.message, event.opted_out)})
        return True
    row = db.session.execute(db.select(LiveChatEvent).where(
        LiveChatEvent.message_id == event.message["id"], LiveChatEvent.direction == "out",
        LiveChatEvent.delivered.is_(False))).scalars().first()
    if row is None:
        return False
    sync_queue.enqueue(event.chat["id"], "mark_delivered", {"event_row_id": row.id})
    return True


def not_delivered_note(message: dict, opted_out: bool = False) -> str:
    """The agents-only note for a LiveChat agent's reply that did not reach the customer."""
    body = " ".join(str(message.get("body") or "").split())
    quoted = f"“{body[:80]}{'…' if len(body) > 80 else ''}”" if body else "Your reply"
    reason = str(message.get("error_message") or "").strip()
    if not reason:
        code = message.get("error_code")
        reason = f"the provider reported error {code}" if code else "the provider reported it undelivered"
    if opted_out and "opt" not in reason.lower():
        reason += " (the customer opted out)"
    return f"Not delivered to the customer: {quoted} — {reason.rstrip('.')}. (Switchboard; only agents see this.)"


def refused_note(text: str, reason: str) -> str:
    """The agents-only note for a LiveChat agent's reply that Switchboard could not send at all."""
    body = " ".join(str(text or "").split())
    quoted = f"“{body[:80]}{'…' if len(body) > 80 else ''}”" if body else "Your reply"
    return f"Not sent to the customer: {quoted} — {reason.rstrip('.')}. (Switchboard; only agents see this.)"


@guarded
def contact_changed(event) -> bool:
    config = settings.current()
    if not config.configured or event.deleted:
        return False
    contact = event.contact or {}
    name, email = contact.get("name"), contact.get("email")
    if not (name or email):
        return False
    queued = False
    for chat_id in event.chat_ids:
        if _link(chat_id) is not None:
            sync_queue.enqueue(chat_id, "update_customer", {"name": name, "email": email})
            queued = True
    return queued


FINAL_CALL_STATUSES = {"completed", "busy", "no-answer", "failed", "canceled"}


@guarded
def call_status_changed(event) -> bool:
    call = event.call or {}
    if call.get("status") not in FINAL_CALL_STATUSES or event.previous_status in FINAL_CALL_STATUSES:
        return False
    if _config_for(event.chat) is None:
        return False
    line = db.session.execute(db.select(Message.id).where(
        Message.chat_id == event.chat["id"], Message.kind == "call").order_by(Message.id.desc())).scalars().first()
    if line is None:
        return False
    sync_queue.enqueue(event.chat["id"], "message", {"message_id": line})
    return True
