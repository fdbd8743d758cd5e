"""The Twilio plugin's own tables (Alembic branch ``twilio_channel``).

Chats and messages belong to the host; these tables only hold what the host has no
place for: where an inbound attachment really lives at Twilio, delivery statuses that
arrived before the outbox recorded the MessageSid, the account's Content API templates
with their WhatsApp approval, and the offline simulator's store.
"""
from __future__ import annotations

from sqlalchemy import UniqueConstraint

from host.plugin_api import db, utcnow


class InboundMedia(db.Model):
    """The Twilio URL behind an inbound attachment.

    The host's message stores our proxy URL (``/twilio/media/<MessageSid>/<n>``), so the
    console can show it inline; the proxy looks the real URL up here and fetches it
    with the account credentials, which never reach the browser.
    """

    __tablename__ = "twilio_media"
    __table_args__ = (UniqueConstraint("message_sid", "position", name="uq_twilio_media_message_sid"),)
    id = db.Column(db.Integer, primary_key=True)
    message_sid = db.Column(db.String(64), nullable=False)
    position = db.Column(db.Integer, nullable=False)
    url = db.Column(db.String(1000), nullable=False)
    content_type = db.Column(db.String(120), nullable=False, default="application/octet-stream")
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)


class EarlyStatus(db.Model):
    """A status callback for a MessageSid the outbox has not recorded yet.

    Twilio can call back before our ``messages.create`` transaction commits; the
    status waits here and is applied when the host announces ``message_sent``.
    """

    __tablename__ = "twilio_early_statuses"
    id = db.Column(db.Integer, primary_key=True)
    message_sid = db.Column(db.String(64), nullable=False, index=True)
    status = db.Column(db.String(20), nullable=False)
    error_code = db.Column(db.String(16))
    received_at = db.Column(db.DateTime, nullable=False, default=utcnow, index=True)


class ContentTemplate(db.Model):
    """A Content API template of an account, with its WhatsApp approval (see ``content_templates``).

    The catalogue is shared by every process and survives restarts; it is replaced as a
    whole when it is refreshed from ``ContentAndApprovals``.
    """

    __tablename__ = "twilio_content_templates"
    account_sid = db.Column(db.String(34), primary_key=True)
    sid = db.Column(db.String(34), primary_key=True)
    friendly_name = db.Column(db.String(200), nullable=False, default="")
    language = db.Column(db.String(20), nullable=False, default="")
    variables = db.Column(db.JSON, nullable=False, default=dict)
    body = db.Column(db.Text, nullable=False, default="")
    types = db.Column(db.JSON, nullable=False, default=list)
    whatsapp_status = db.Column(db.String(20), nullable=False, default="unsubmitted")
    whatsapp_category = db.Column(db.String(40), nullable=False, default="")
    rejection_reason = db.Column(db.Text, nullable=False, default="")
    fetched_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    @property
    def approved(self) -> bool:
        return self.whatsapp_status == "approved"


class TemplateCatalogue(db.Model):
    """When an account's template catalogue was last read from Twilio (all pages)."""

    __tablename__ = "twilio_template_catalogues"
    account_sid = db.Column(db.String(34), primary_key=True)
    refreshed_at = db.Column(db.DateTime, nullable=False, default=utcnow)


class CallQueue(db.Model):
    """The Twilio queue an incoming call waits in, and when its voicemail is due (see
    ``voice_housekeeping``).

    Each chat has its own queue (``chat-<id>``, made by ``<Enqueue>``). Twilio keeps
    queues until they are deleted, so the queue is deleted once the call is over;
    ``voicemail_at`` is when the caller, still waiting, is moved to voicemail.
    """

    __tablename__ = "twilio_call_queues"
    call_sid = db.Column(db.String(64), primary_key=True)
    chat_id = db.Column(db.Integer, nullable=False, index=True)
    queue_name = db.Column(db.String(64), nullable=False)
    queue_sid = db.Column(db.String(34))             # known from the queue's first wait-URL request
    voicemail_at = db.Column(db.DateTime, index=True)  # None: not waiting, or voicemail is off
    attempts = db.Column(db.Integer, nullable=False, default=0)
    next_attempt_at = db.Column(db.DateTime)           # when to try deleting the queue again
    removed_at = db.Column(db.DateTime, index=True)    # the queue is gone at Twilio
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow, index=True)


class SenderAccount(db.Model):
    """Which subaccount owns one of our numbers, WhatsApp senders or Messaging Services
    (see ``accounts``): learned from the AccountSid of its webhooks and from the
    subaccount's number list; numbers without a row belong to the account itself."""

    __tablename__ = "twilio_sender_accounts"
    address = db.Column(db.String(64), primary_key=True)  # +E164, whatsapp:+E164 or MG…
    account_sid = db.Column(db.String(34), nullable=False)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)


class SimulatedMessage(db.Model):
    """A message as the offline simulator (playing Twilio) knows it."""

    __tablename__ = "twilio_sim_messages"
    sid = db.Column(db.String(34), primary_key=True)
    direction = db.Column(db.String(20), nullable=False)  # inbound | outbound-api | outbound-reply
    from_address = db.Column(db.String(254), nullable=False, index=True)
    to_address = db.Column(db.String(254), nullable=False, index=True)
    body = db.Column(db.Text, nullable=False, default="")
    media = db.Column(db.JSON, nullable=False, default=list)
    content_sid = db.Column(db.String(34))
    content_variables = db.Column(db.Text)
    messaging_service_sid = db.Column(db.String(34))
    status = db.Column(db.String(20), nullable=False, default="queued")
    error_code = db.Column(db.String(16))
    status_callback = db.Column(db.String(1000))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow, index=True)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)


class SimulatedMedia(db.Model):
    """A file the simulated customer attached; served at its Twilio-shaped media URL."""

    __tablename__ = "twilio_sim_media"
    sid = db.Column(db.String(34), primary_key=True)
    message_sid = db.Column(db.String(34), nullable=False, index=True)
    content_type = db.Column(db.String(120), nullable=False)
    data = db.Column(db.LargeBinary, nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)


class AccountInventory(db.Model):
    """What the admin last fetched from the account: numbers, WhatsApp senders and Messaging
    Services with their capabilities and webhooks (the lists the settings form offers)."""

    __tablename__ = "twilio_inventories"
    account_sid = db.Column(db.String(34), primary_key=True)
    data = db.Column(db.JSON, nullable=False)
    fetched_at = db.Column(db.DateTime, nullable=False, default=utcnow)


class WebhookChange(db.Model):
    """A webhook URL Switchboard changed at Twilio on the admin's click, with the URL it
    replaced, so the change can be shown and undone."""

    __tablename__ = "twilio_webhook_changes"
    id = db.Column(db.Integer, primary_key=True)
    account_sid = db.Column(db.String(34), nullable=False)
    resource_sid = db.Column(db.String(34), nullable=False)   # PN…, MG…, AP…
    owner_sid = db.Column(db.String(34), nullable=True)       # the subaccount that owns it (AC…), if not the account
    resource_label = db.Column(db.String(200), nullable=False, default="")
    field = db.Column(db.String(60), nullable=False)          # the Twilio parameter, e.g. SmsUrl
    previous = db.Column(db.String(1000), nullable=True)
    current = db.Column(db.String(1000), nullable=True)
    changed_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    undone_at = db.Column(db.DateTime, nullable=True)
