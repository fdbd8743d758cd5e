"""WhatsApp's 24-hour customer service window, counted per customer and business sender.

Free-form WhatsApp messages may only be sent within 24 hours of the customer's last
message *to the sender we reply from* (WhatsApp keeps a window per customer and business
phone number); outside it only approved templates go through (Twilio accepts the
request and fails it later with error 63016). We check before queueing so the agent
hears it at once, and offer templates instead.

A chat replying through a Messaging Service (``MG…``) leaves from whichever of the
service's senders Twilio picks, so there any of our WhatsApp senders counts.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext

from host.plugin_api import db, utcnow, Message

from plugins.twilio_channel.messaging.senders import choose_sender
from plugins.twilio_channel.settings import SERVICE_SID, load_config

WINDOW = timedelta(hours=24)
WHATSAPP = "whatsapp:"


@dataclass(frozen=True)
class WindowState:
    applies: bool                  # False for channels without a window (SMS)
    open: bool
    last_inbound_at: datetime | None
    closes_at: datetime | None
    sender: str | None = None      # our WhatsApp sender it is counted for (None: any of them)

    @property
    def seconds_left(self) -> int:
        if not self.closes_at:
            return 0
        return max(0, int((self.closes_at - utcnow()).total_seconds()))

    @property
    def refusal(self) -> str | None:
        if not self.applies or self.open:
            return None
        if self.last_inbound_at and self.sender:
            return gettext("More than 24 hours have passed since this customer's last WhatsApp message to "
                           "%(sender)s, so WhatsApp only allows an approved template now. Pick a template in the "
                           "WhatsApp tab.", sender=self.sender.removeprefix(WHATSAPP))
        if self.last_inbound_at:
            return gettext("More than 24 hours have passed since this customer's last WhatsApp message, so WhatsApp "
                           "only allows an approved template now. Pick a template in the WhatsApp tab.")
        if self.sender:
            return gettext("This customer has not written to %(sender)s on WhatsApp yet, so WhatsApp only allows an "
                           "approved template as the first message. Pick a template in the WhatsApp tab.",
                           sender=self.sender.removeprefix(WHATSAPP))
        return gettext("This customer has not written on WhatsApp yet, so WhatsApp only allows an approved template "
                       "as the first message. Pick a template in the WhatsApp tab.")


def last_whatsapp_inbound(address: str, sender: str | None = None) -> datetime | None:
    """When the customer last wrote to ``sender`` on WhatsApp (to any of our senders when None)."""
    address = WHATSAPP + address.removeprefix(WHATSAPP)
    query = db.select(db.func.max(Message.created_at)).where(
        Message.direction == "in", Message.channel == "whatsapp", Message.sender == address)
    if sender:
        query = query.where(Message.recipient == WHATSAPP + sender.removeprefix(WHATSAPP))
    return db.session.execute(query).scalar()


def reply_sender(chat) -> str | None:
    """The WhatsApp sender a reply in this chat leaves from (None for a Messaging Service)."""
    sender = choose_sender(load_config(), "whatsapp", chat.sender, chat.group_id)
    return None if not sender or SERVICE_SID.match(sender) else sender


def window_for(chat, channel: str | None = None) -> WindowState:
    """The window of the chat's customer on WhatsApp with the sender we would reply from
    (``channel`` overrides the chat's)."""
    channel = channel or chat.channel
    if channel != "whatsapp":
        return WindowState(False, True, chat.last_inbound_at, None)
    sender = reply_sender(chat)
    # The chat's last inbound may have been an SMS; only a WhatsApp message opens the window.
    last = last_whatsapp_inbound(chat.customer_address, sender)
    if last is None:
        return WindowState(True, False, None, None, sender)
    closes = last + WINDOW
    return WindowState(True, closes > utcnow(), last, closes, sender)
