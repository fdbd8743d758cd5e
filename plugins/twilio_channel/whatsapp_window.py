"""WhatsApp's 24-hour customer service window.

Free-form WhatsApp messages may only be sent within 24 hours of the customer's last
inbound WhatsApp message; outside it only approved templates go through (Twilio
accepts the request and fails it later with error 63016). We check before queueing so
the agent hears it at once, and offer templates instead.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from host.extensions import db
from host.models import Message, utcnow

WINDOW = timedelta(hours=24)

CLOSED_TEXT = ("More than 24 hours have passed since this customer's last WhatsApp message, so WhatsApp "
               "only allows an approved template now. Pick a template in the WhatsApp tab.")
NEVER_TEXT = ("This customer has not written to us on WhatsApp yet, so WhatsApp only allows an approved "
              "template as the first message. Pick a template in the WhatsApp tab.")


@dataclass(frozen=True)
class WindowState:
    applies: bool                  # False for channels without a window (SMS)
    open: bool
    last_inbound_at: datetime | None
    closes_at: datetime | None

    @property
    def seconds_left(self) -> int:
        if not self.closes_at:
            return 0
        return max(0, int((self.closes_at - utcnow()).total_seconds()))

    @property
    def refusal(self) -> str | None:
        if not self.applies or self.open:
            return None
        return CLOSED_TEXT if self.last_inbound_at else NEVER_TEXT


def last_whatsapp_inbound(address: str) -> datetime | None:
    address = "whatsapp:" + address.removeprefix("whatsapp:")
    return db.session.execute(db.select(db.func.max(Message.created_at)).where(
        Message.direction == "in", Message.channel == "whatsapp", Message.sender == address)).scalar()


def window_for(chat, channel: str | None = None) -> WindowState:
    """The window of the chat's customer on WhatsApp (``channel`` overrides the chat's)."""
    channel = channel or chat.channel
    if channel != "whatsapp":
        return WindowState(False, True, chat.last_inbound_at, None)
    # The chat's last inbound may have been an SMS; only a WhatsApp message opens the window.
    last = last_whatsapp_inbound(chat.customer_address)
    if last is None:
        return WindowState(True, False, None, None)
    closes = last + WINDOW
    return WindowState(True, closes > utcnow(), last, closes)
