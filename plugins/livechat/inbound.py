"""LiveChat → Switchboard: what each verified, not yet seen webhook does.

Only host services write: an agent's message goes out through the Switchboard chat's own
channel with :func:`host.chats.reply` (the host outbox then calls the channel), transfers
and closing use :func:`host.chats.transfer` / :func:`host.chats.archive` with
``origin="livechat"`` so our own hooks do not send them back to LiveChat.

Echoes are dropped: events we posted (known event ids, ``custom_id`` ``sb:…``), events by
the customer identity, internal notes (``visibility: agents``) and system messages. A
transfer or close that only repeats what Switchboard already shows changes nothing.
"""
from __future__ import annotations

from typing import Any

from host.plugin_api import chats as host_chats, db, Chat, Group
from plugins.livechat import sync_failures, sync_queue
from plugins.livechat.mirroring import refused_note
from plugins.livechat.models import LiveChatChat, LiveChatEvent, LiveChatSyncItem
from plugins.livechat.settings import LiveChatSettings
from plugins.livechat.sync_actions import CUSTOM_ID_PREFIX
from plugins.livechat.parsing import LiveChatWebhook
from plugins.livechat.replies import agent_for, send_reply


def process(webhook: LiveChatWebhook, config: LiveChatSettings) -> str:
    """Act on a webhook; return what happened, in words (stored with its dedupe key)."""
    handler = HANDLERS.get(webhook.action)
    if handler is None:
        return f"ignored: {webhook.action} is not used"
    return handler(webhook, config)


def link_for_lc_chat(lc_chat_id: str | None) -> LiveChatChat | None:
    if not lc_chat_id:
        return None
    return db.session.execute(db.select(LiveChatChat).where(LiveChatChat.lc_chat_id == lc_chat_id)).scalar_one_or_none()


# --- incoming_event: an agent wrote in LiveChat -----------------------------------------------

def incoming_event(webhook: LiveChatWebhook, config: LiveChatSettings) -> str:
    event = webhook.event
    lc_chat_id = webhook.payload.get("chat_id")
    link = link_for_lc_chat(lc_chat_id)
    if link is None:
        return "ignored: not a chat Switchboard mirrors"
    kind = event.get("type")
    if kind not in ("message", "file"):
        return f"ignored: {kind} event"
    if event.get("visibility", "all") != "all":
        return "ignored: internal note, not for the customer"
    if str(event.get("custom_id") or "").startswith(CUSTOM_ID_PREFIX):
        return "ignored: an event Switchboard posted"
    known = db.session.execute(db.select(LiveChatEvent.id).where(
        LiveChatEvent.lc_chat_id == lc_chat_id, LiveChatEvent.lc_event_id == event.get("id"))).first()
    if known is not None:
        return "ignored: an event Switchboard posted"
    author = event.get("author_id")
    if link.customer is not None and author == link.customer.entity_id:
        return "ignored: written by the customer identity"
    link.active = True
    link.lc_thread_id = webhook.thread_id or link.lc_thread_id
    chat = db.session.get(Chat, link.chat_id)
    reply = {"lc_chat_id": lc_chat_id, "lc_thread_id": webhook.thread_id, "lc_event_id": event.get("id"),
             "author_id": author, "text": event.get("text") or ""}
    if kind == "file":
        reply["media"] = [{"url": event.get("url"), "content_type": str(event.get("content_type") or
                                                                        "application/octet-stream")[:100]}]
    try:
        message = send_reply(chat, reply)
    except host_chats.ChatError as exc:
        db.session.add(LiveChatSyncItem(chat_id=chat.id, action="reply", payload=reply, state="failed",
                                        last_error=sync_failures.english("reply_not_sent", reason=str(exc))[:300]))
        # LiveChat's agents see why in the chat itself, so the reply does not look sent there.
        sync_queue.enqueue(chat.id, "note", {"text": refused_note(reply["text"] or "a file", str(exc))})
        return f"not sent: {exc}"
    return f"sent as message {message.id}"


# --- chat_transferred / chat_deactivated / incoming_chat --------------------------------------

def chat_transferred(webhook: LiveChatWebhook, config: LiveChatSettings) -> str:
    link = link_for_lc_chat(webhook.chat_id)
    if link is None:
        return "ignored: not a chat Switchboard mirrors"
    chat = db.session.get(Chat, link.chat_id)
    target = webhook.payload.get("transferred_to") or {}
    to_agent = next((a for a in map(agent_for, target.get("agent_ids") or []) if a is not None), None)
    to_group = None
    for lc_group in target.get("group_ids") or []:
        link.lc_group_id = lc_group
        to_group = to_group or _group_for(config, lc_group)
    if to_group is not None and to_group.id == chat.group_id:
        to_group = None
    if to_agent is not None and to_agent.id == chat.agent_id:
        to_agent = None
    if to_agent is None and to_group is None:
        return "ignored: Switchboard already shows this, or nothing maps to a Switchboard agent or group"
    host_chats.transfer(chat, agent_for(webhook.payload.get("requester_id")), to_agent=to_agent,
                        to_group=to_group, origin="livechat")
    return f"transferred to {'agent ' + to_agent.email if to_agent else 'group ' + to_group.name}"


def _group_for(config: LiveChatSettings, lc_group_id: Any) -> Group | None:
    for key in config.sb_group_keys_for(lc_group_id):
        group = db.session.execute(db.select(Group).where(Group.name == key)).scalar_one_or_none()
        if group is None and key.isdigit():
            group = db.session.get(Group, int(key))
        if group is not None:
            return group
    return None


def chat_deactivated(webhook: LiveChatWebhook, config: LiveChatSettings) -> str:
    link = link_for_lc_chat(webhook.chat_id)
    if link is None:
        return "ignored: not a chat Switchboard mirrors"
    link.active = False
    chat = db.session.get(Chat, link.chat_id)
    if chat.status == "archived":
        return "ignored: already archived"
    host_chats.archive(chat, agent_for(webhook.payload.get("user_id")), origin="livechat")
    return "archived"


def incoming_chat(webhook: LiveChatWebhook, config: LiveChatSettings) -> str:
    link = link_for_lc_chat(webhook.chat_id)
    if link is None:
        return "ignored: not a chat Switchboard mirrors"
    link.active = True
    link.lc_thread_id = webhook.thread_id or link.lc_thread_id
    return "thread noted"


HANDLERS = {
    "incoming_event": incoming_event,
    "chat_transferred": chat_transferred,
    "chat_deactivated": chat_deactivated,
    "incoming_chat": incoming_chat,
}
