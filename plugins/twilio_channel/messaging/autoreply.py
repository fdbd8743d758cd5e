"""Automatic replies, so a customer's SMS never vanishes without an answer.

Three triggers, each switched on in the settings with its own text: outside business
hours (weekly schedule in the configured time zone), when no agent of the chat's group
is online (``host.presence``), and on a customer's first contact. At most one goes out
per inbound message (in that order of priority), the same text is not repeated in a
chat within the cooldown, and opt-out keywords (STOP, START, HELP…) never get one —
Twilio answers those itself. Replies go through ``host.chats.reply`` like an agent's,
so they are persisted, sent by the outbox and shown in the transcript.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from host.plugin_api import chats, db, utcnow, Chat, Message
from host.plugin_api.realtime import is_online, online_agents

from plugins.twilio_channel.messaging.keywords import keyword_of
from plugins.twilio_channel.settings import WEEKDAYS, TwilioConfig, load_config, parse_range

log = logging.getLogger(__name__)

CHANNELS = ("sms", "whatsapp")


def open_now(config: TwilioConfig, now: datetime | None = None) -> bool:
    """Whether ``now`` (aware, default: the current time) falls in the business hours."""
    zone = ZoneInfo(config.timezone or "UTC")
    local = (now or datetime.now(zone)).astimezone(zone)
    for text in config.business_hours.get(WEEKDAYS[local.weekday()], []) or []:
        span = parse_range(text)
        if span and span[0] <= local.time() <= span[1]:
            return True
    return False


def somebody_online(chat: Chat) -> bool:
    if chat.agent is not None and chat.agent.is_active and is_online(chat.agent):
        return True
    return bool(online_agents(chat.group_id))


def first_contact(chat: Chat, sender: str) -> bool:
    query = db.select(db.func.count(Message.id)).where(Message.direction == "in")
    if chat.contact_id is not None:
        query = query.join(Chat).where(Chat.contact_id == chat.contact_id)
    else:
        bare = (sender or "").removeprefix("whatsapp:")
        query = query.where(Message.sender.in_([bare, "whatsapp:" + bare]))
    return db.session.execute(query).scalar() <= 1


def choose(config: TwilioConfig, chat: Chat, sender: str, now: datetime | None = None) -> str | None:
    """Which auto-reply (if any) this inbound message earns."""
    wanted = config.autoreplies
    if "out_of_hours" in wanted and not open_now(config, now):
        return "out_of_hours"
    if "nobody_online" in wanted and not somebody_online(chat):
        return "nobody_online"
    if "first_contact" in wanted and first_contact(chat, sender):
        return "first_contact"
    return None


def recently_sent(chat: Chat, text: str, minutes: int) -> bool:
    if minutes <= 0:
        return False
    since = utcnow() - timedelta(minutes=minutes)
    return db.session.execute(db.select(Message.id).where(
        Message.chat_id == chat.id, Message.direction == "out", Message.agent_id.is_(None),
        Message.body == text, Message.created_at >= since).limit(1)).first() is not None


def on_message_received(event) -> None:
    """``message_received`` (after commit, new messages only — never for duplicates)."""
    message = event.message
    if message.get("channel") not in CHANNELS or event.opt_out:
        return
    if keyword_of(message.get("body")):  # Twilio may have answered it (HELP, or STOP on WhatsApp)
        return
    config = load_config()
    if not config.autoreplies:
        return
    chat = db.session.get(Chat, event.chat["id"])
    if chat is None or chat.status == "archived":
        return
    kind = choose(config, chat, message.get("sender") or chat.customer_address)
    if kind is None:
        return
    text = config.autoreplies[kind]
    if recently_sent(chat, text, config.cooldown_minutes):
        return
    try:
        chats.reply(chat, None, body=text)
    except chats.ChatError as exc:
        log.info("auto-reply %s not sent to chat %s: %s", kind, chat.id, exc)
