"""A LiveChat agent's reply, sent to the customer through the Switchboard chat's channel.

Used both when the webhook arrives (:mod:`.inbound`) and when a reply that could not go out
at once is retried from the outbox (:mod:`.sync_actions`), so it lives apart from both.
"""
from __future__ import annotations

from typing import Any
from collections.abc import Mapping

from sqlalchemy import func

from host.plugin_api import chats as host_chats, db, Agent, Chat, enabled_channels
from host.plugin_api.web import public_https_url
from plugins.livechat.models import LiveChatEvent


def agent_for(lc_agent_id: Any) -> Agent | None:
    """LiveChat agent ids are their emails; map to an active Switchboard agent."""
    if not isinstance(lc_agent_id, str) or "@" not in lc_agent_id:
        return None
    agent = db.session.execute(db.select(Agent).where(func.lower(Agent.email) == lc_agent_id.strip().lower())) \
        .scalar_one_or_none()
    return agent if agent is not None and agent.is_active else None


def send_reply(chat: Chat, reply: Mapping[str, Any]):
    """Queue a LiveChat agent's message to the customer on the chat's channel.

    A file's URL is shown to agents and handed to the provider (Twilio fetches it as
    ``MediaUrl``), so it must be a public https URL (``host.public_urls``); LiveChat's own
    files live on its CDN. Any other is refused before anything is stored or sent.
    """
    for item in reply.get("media") or []:
        try:
            public_https_url(item.get("url"))
        except ValueError as exc:
            raise host_chats.ChatError(f"The file's address was refused: {exc}.") from None
    agent = agent_for(reply.get("author_id"))
    if chat.status == "archived" and agent is not None:
        host_chats.reopen(chat, agent)
    channel = None
    if chat.channel == "voice":  # a call's chat: a written reply goes out by SMS when that channel exists
        channels = enabled_channels()
        channel = "sms" if "sms" in channels else None
    message = host_chats.reply(chat, agent, body=reply.get("text") or "", media=list(reply.get("media") or []),
                               channel=channel)
    if reply.get("lc_event_id"):
        exists = db.session.execute(db.select(LiveChatEvent).where(
            LiveChatEvent.lc_chat_id == reply["lc_chat_id"], LiveChatEvent.lc_event_id == reply["lc_event_id"])) \
            .scalar_one_or_none()
        if exists is None:
            db.session.add(LiveChatEvent(lc_chat_id=reply["lc_chat_id"], lc_thread_id=reply.get("lc_thread_id"),
                                         lc_event_id=reply["lc_event_id"], message_id=message.id, direction="out"))
        db.session.commit()
    return message
