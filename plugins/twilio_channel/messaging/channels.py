"""The ``sms`` and ``whatsapp`` channel adapters the host sends through.

An adapter normalises typed addresses, refuses what cannot be sent (WhatsApp outside
its 24-hour window without a template) and sends one message with
:class:`TwilioMessagingSender`. Retrying, backoff and crash recovery are the host
outbox's: a ``SendError`` says whether trying again can help.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import phonenumbers
from flask import current_app
from flask_babel import gettext

from host.plugin_api import (AddressFormat, ChannelColour, db, Chat, MediaRules, Message, OutgoingMessage,
                         SendError, SendResult)

from plugins.twilio_channel.account import subaccounts as accounts

from plugins.twilio_channel.messaging import templates as content_templates
from plugins.twilio_channel.client import CredentialsMissing, twilio_client
from plugins.twilio_channel.messaging.sender import (ACCOUNT, NOT_SET_UP, TwilioMessagingSender, explain_error,
                                                     explain_known)
from plugins.twilio_channel.messaging.senders import WHATSAPP, bare, choose_sender
from plugins.twilio_channel.settings import load_config, missing_settings
from plugins.twilio_channel.messaging.whatsapp_window import window_for

def normalise_number(value: str, region: str | None = None) -> str:
    """E.164 for a typed phone number, or ValueError with a sentence for the agent."""
    text = (value or "").strip().removeprefix(WHATSAPP).strip()
    if not text:
        raise ValueError(gettext("Type the customer's phone number, for example +1 415 555 0100."))
    region = region or current_app.config.get("SWITCHBOARD_DEFAULT_REGION") or "US"
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ValueError(gettext("“%(text)s” is not a phone number. Use digits, with the country code for numbers "
                                 "abroad (for example +44 20 7946 0000).", text=text)) from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(gettext("“%(text)s” is not a valid phone number for its country. Check the digits and "
                                 "include the country code (for example +44 20 7946 0000).", text=text))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def template_account(chat: Chat | None):
    """The account whose templates a chat's WhatsApp reply may use: the one owning its sender."""
    config = load_config()
    if chat is None or not config.subaccounts:
        return config.account
    return accounts.for_sender(choose_sender(config, "whatsapp", chat.sender, chat.group_id))


# What Twilio takes as MediaUrl (twilio.com/docs/messaging/guides/accepted-mime-types and
# /docs/whatsapp/guidance-whatsapp-media-messages): MMS up to 5 MB a message and ten
# files; WhatsApp up to 16 MB, one file a message, images up to 5 MB, fewer types.
MB = 1_000_000
MMS_TYPES = frozenset("""
image/jpeg image/jpg image/gif image/png image/bmp image/tiff image/heic image/heif
audio/basic audio/L24 audio/mp4 audio/mpeg audio/ogg audio/vnd.rn-realaudio audio/vnd.wave audio/3gpp
audio/3gpp2 audio/ac3 audio/webm audio/amr-nb audio/amr audio/aac
video/mpeg video/mp4 video/quicktime video/webm video/3gpp video/3gpp2 video/3gpp-tt video/H261 video/H263
video/H263-1998 video/H263-2000 video/H264
text/vcard text/x-vcard text/csv text/rtf text/richtext text/calendar text/directory
application/pdf application/vcard application/vnd.apple.pkpass application/msword application/vnd.ms-excel
application/vnd.ms-powerpoint
application/vnd.openxmlformats-officedocument.presentationml.presentation
application/vnd.openxmlformats-officedocument.spreadsheetml.sheet
application/vnd.openxmlformats-officedocument.wordprocessingml.document
""".split())
WHATSAPP_TYPES = frozenset("""
image/jpeg image/jpg image/png
audio/ogg audio/amr audio/3gpp audio/aac audio/mpeg
video/mp4
application/pdf application/msword
application/vnd.openxmlformats-officedocument.wordprocessingml.document
application/vnd.openxmlformats-officedocument.presentationml.presentation
application/vnd.openxmlformats-officedocument.spreadsheetml.sheet
text/vcard
""".split())
MMS_RULES = MediaRules("MMS", MMS_TYPES, max_total=5 * MB, max_files=10)
WHATSAPP_RULES = MediaRules("WhatsApp", WHATSAPP_TYPES, max_total=16 * MB, max_files=1,
                            type_caps={"image/": 5 * MB})



MEDIA_CODES = {"too-many": "21623", "type": "12300", "type-size": "11751", "size": "11751"}


def media_refusal(rules: MediaRules, media) -> tuple[str, str, dict] | None:
    """The error code Twilio fails a message carrying ``media`` with, the sentence saying
    why (in the worker's language: English) and the values it names (kept with the message,
    so ``explain_failure`` words it for each reader): 21623 (too many files), 12300 (a type
    the channel doesn't take), 11751 (too large). Only what is known before Twilio fetches
    the files counts: an undeclared type or size is Twilio's to judge."""
    if not media:
        return None
    files = [(m.filename or m.url.split("?")[0].rsplit("/", 1)[-1], m.content_type, m.size or 0) for m in media]
    declared = [f for f in files if f[1] not in ("", "application/octet-stream")]
    refused = rules.refusal(files if len(files) > rules.max_files else declared)
    if refused is None:
        return None
    reason, values = refused
    return MEDIA_CODES[reason], rules.sentence(reason, values) or "", {"reason": reason, **values}


LOOKS = {"sms": ChannelColour("#eef4ff", "#3538cd"), "whatsapp": ChannelColour("#e7f8ef", "#087443")}


class TwilioChannel:
    """One Twilio messaging channel (``sms`` or ``whatsapp``)."""

    def __init__(self, key: str, label: str):
        self.key = key
        self.label = label
        # How the console draws it: its badge, its addresses (a WhatsApp address is the
        # number after "whatsapp:"), and whether it takes templates.
        self.colour = LOOKS[key]
        self.address_format = AddressFormat("phone", WHATSAPP if key == "whatsapp" else "", "+14155552671")
        self.templates = key == "whatsapp"
        # An SMS with files goes as MMS.
        self.media_rules = WHATSAPP_RULES if key == "whatsapp" else MMS_RULES

    def normalise_address(self, value: str) -> str:
        number = normalise_number(value)
        return WHATSAPP + number if self.key == "whatsapp" else number

    def missing_settings(self) -> list[str]:
        return missing_settings(load_config(), self.key)

    def check_reply(self, chat: Chat, body: str = "", media=(), template=None) -> str | None:
        """Asked by the host before a reply is queued: a sentence refusing it, or None.

        WhatsApp outside the 24-hour window takes only a template WhatsApp approved
        (Twilio would accept anything else and fail it later with 63016).
        """
        if self.key != "whatsapp":
            return None
        window = window_for(chat, self.key)
        if not template:
            return window.refusal
        try:
            found = content_templates.find(template["sid"], template_account(chat))
        except (content_templates.TemplatesUnavailable, accounts.AccountUnavailable):
            return None  # Twilio can't be asked now: it decides when the message is sent
        if found is None:
            return gettext("There is no template %(sid)s in the Twilio account. Refresh the list of templates and "
                           "pick one.", sid=template["sid"])
        if found.approved or window.open:
            return None  # within the window any content may be sent
        status = str(content_templates.STATUS_LABELS.get(found.whatsapp_status, found.whatsapp_status)).lower()
        return gettext("“%(name)s” is not approved for WhatsApp (%(status)s), so it can only be sent within 24 hours "
                       "of the customer's last message. Pick an approved template.",
                       name=found.friendly_name or found.sid, status=status)

    def explain_failure(self, code: str, detail: Mapping[str, Any]) -> str | None:
        """Asked by the host when it shows a failed message: Twilio's error code, or one of the
        sender's own (``twilio-…``), as a sentence in the reader's language (the sentence stored
        when it failed was made in the worker's), naming the values kept with it (``detail``):
        the file refused and its size, Twilio's HTTP status and words. A code Twilio reported
        that we have no sentence for points to Twilio's page about it."""
        if code in MEDIA_CODES.values() and detail.get("reason"):
            sentence = self.media_rules.sentence(str(detail["reason"]), detail)
            if sentence:
                return gettext("%(explanation)s (Twilio error %(code)s).", explanation=sentence.rstrip("."), code=code)
        known = explain_known(code, detail)
        if known is None and code.isdigit():
            return explain_error(code)
        return known

    def render_template(self, chat: Chat, template) -> str | None:
        """Asked by the host when a template is queued: the text the customer will receive."""
        try:
            found = content_templates.find(template["sid"], template_account(chat))
        except (content_templates.TemplatesUnavailable, accounts.AccountUnavailable):
            return None
        return content_templates.render(found, template.get("variables")) if found is not None else None

    def send(self, message: OutgoingMessage) -> SendResult:
        chat = db.session.get(Chat, message.chat_id)
        if self.key == "whatsapp" and message.template is None and chat is not None:
            refusal = window_for(chat, self.key).refusal
            if refusal:  # the window closed while the message waited in the outbox
                raise SendError(refusal, code="63016", retryable=False)
        refused = media_refusal(self.media_rules, message.media)
        if refused:  # Twilio would take the request and fail the message once it fetched the files
            raise SendError(refused[1], code=refused[0], retryable=False, detail=refused[2])
        adapter, message = self._prepared(message, chat)
        return adapter.send(message)

    def find_sent(self, message: OutgoingMessage, since) -> SendResult | None:
        """Asked by the outbox before a retry: Twilio's record of an earlier attempt."""
        adapter, message = self._prepared(message, db.session.get(Chat, message.chat_id))
        return adapter.find_sent(message, since, taken=_sid_taken)

    def _prepared(self, message: OutgoingMessage, chat: Chat | None):
        """The sender adapter of the account that sends ``message``, and the message with
        its sender and recipient as Twilio wants them."""
        config = load_config()
        sender = choose_sender(config, self.key, message.sender, chat.group_id if chat else None)
        try:  # set-up mistakes are final: retrying cannot fix them
            client = twilio_client(accounts.for_sender(sender or config.messaging_service_sid))
            adapter = TwilioMessagingSender(client, config.status_callback_url, config.messaging_service_sid)
        except (CredentialsMissing, ValueError) as exc:
            raise SendError(f"Twilio is not set up correctly: {exc}", code=NOT_SET_UP, retryable=False,
                            detail={"reason": str(exc)[:200]}) from exc
        except accounts.AccountUnavailable as exc:  # the subaccount's token: Twilio unreachable for now
            raise SendError(f"Twilio could not be reached ({exc}); the message will be retried.",
                            code=ACCOUNT, retryable=True, detail={"reason": str(exc)[:200]}) from exc
        to = (WHATSAPP + bare(message.to)) if self.key == "whatsapp" else bare(message.to)
        return adapter, replace(message, sender=sender, to=to)


def _sid_taken(sid: str) -> bool:
    """Does one of our messages hold this Twilio sid already?"""
    return db.session.execute(db.select(Message.id).where(Message.external_id == sid,
                                                          Message.channel.in_(("sms", "whatsapp")))).first() is not None


SMS = TwilioChannel("sms", "SMS")
WHATSAPP_CHANNEL = TwilioChannel("whatsapp", "WhatsApp")
