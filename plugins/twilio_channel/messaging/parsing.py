"""Twilio's messaging webhook payloads, read into what the host stores.

The blueprint (:mod:`.routes`) checks the signature first and then hands the form here:
an inbound message becomes an :class:`~host.plugin_api.InboundMessage`, with attachments
addressed through the plugin's media proxy and the opt-out keyword recognised.
"""
from __future__ import annotations

from flask import abort
from flask_babel import gettext

from host.plugin_api import InboundMessage, Media

from plugins.twilio_channel.messaging.keywords import consent_change
from plugins.twilio_channel.settings import load_config

MEDIA_PATH = "/twilio/media/{sid}/{position}"


def channel_of(form) -> str:
    whatsapp = any(str(form.get(k, "")).startswith("whatsapp:") for k in ("From", "To"))
    return "whatsapp" if whatsapp else "sms"


def parse_inbound(form, config=None) -> InboundMessage:
    sid = form.get("MessageSid") or form.get("SmsMessageSid") or form.get("SmsSid")
    if not sid or not form.get("From"):
        abort(400, description=gettext("%(first)s and %(second)s are required.", first="MessageSid", second="From"))
    media = []
    for position in range(media_count(form)):
        if form.get(f"MediaUrl{position}"):
            media.append(Media(MEDIA_PATH.format(sid=sid, position=position),
                               form.get(f"MediaContentType{position}") or "application/octet-stream"))
    body = form.get("Body") or form.get("ButtonText") or ""
    if not body and form.get("Latitude") and form.get("Longitude"):
        place = " ".join(filter(None, (form.get("Label"), form.get("Address"))))
        body = f"📍 {form['Latitude']}, {form['Longitude']}" + (f" — {place}" if place else "")
    profile = {"name": form["ProfileName"]} if form.get("ProfileName") else {}
    if form.get("WaId"):
        profile["wa_id"] = form["WaId"]
    channel = channel_of(form)
    advanced = form.get("MessagingServiceSid") in (config or load_config()).advanced_opt_out_services
    return InboundMessage(channel=channel, external_id=sid, from_address=form["From"],
                          to_address=form.get("To", ""), body=body, media=tuple(media), profile=profile,
                          opt_out=consent_change(channel, form.get("Body"), form.get("OptOutType"), advanced))


def media_count(form) -> int:
    """How many attachments the message says it has (``NumMedia``; Twilio sends at most 10)."""
    try:
        return max(0, min(int(form.get("NumMedia") or 0), 10))
    except (TypeError, ValueError):
        return 0


def customer_key(address: str | None) -> str:
    """Whose events these are: SMS and WhatsApp of one number are one customer."""
    return "twilio:" + str(address or "").removeprefix("whatsapp:")
