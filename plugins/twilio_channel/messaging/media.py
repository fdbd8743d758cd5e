"""Files customers send: what the transcript says about them and the name they download under.

Twilio's webhook names each file's URL and type only. A document is useless to an
agent as "File", so before the message is stored the inbox worker asks Twilio's media
storage (a ``HEAD``, no bytes) for the size and, where the storage gives one, the file
name. Images are shown as themselves and skip the question. When Twilio can't be asked
the message is stored anyway; the media proxy learns the size on the first download.
"""
from __future__ import annotations

import logging
import mimetypes
import re
from dataclasses import replace

import requests
from twilio.base.exceptions import TwilioException

from host.plugin_api import Media
from host.plugin_api.web import safe_filename

from plugins.twilio_channel.account import subaccounts as accounts
from plugins.twilio_channel.client import CredentialsMissing, twilio_client
from plugins.twilio_channel.settings import load_config
from plugins.twilio_channel.transport import media_facts

log = logging.getLogger(__name__)
_URL_ACCOUNT = re.compile(r"/Accounts/(AC[0-9a-fA-F]{32})/")
# mimetypes' first guesses for these are odd (.jpe, .m4r); people expect these.
_EXTENSIONS = {"image/jpeg": ".jpg", "audio/mpeg": ".mp3", "audio/mp4": ".m4a", "text/vcard": ".vcf",
               "text/x-vcard": ".vcf", "text/plain": ".txt"}


def owner(url: str):
    """The account whose credentials read this media URL: a listed subaccount's own when the
    URL is in it, else the configured account (a parent may read its subaccounts' media)."""
    found = _URL_ACCOUNT.search(url)
    return (accounts.for_webhook(found.group(1)) if found else None) or load_config().account


def described(media: Media, twilio_url: str) -> Media:
    """``media`` with the size and name Twilio's storage gives for ``twilio_url`` (non-images)."""
    if media.content_type.startswith("image/") or not twilio_url:
        return media
    try:
        account = owner(twilio_url)
        facts = media_facts(twilio_client(account).http_client, twilio_url, account.rest_auth)
    except (CredentialsMissing, TwilioException, requests.RequestException, ValueError,
            accounts.AccountUnavailable) as exc:
        log.warning("could not learn the size of %s: %s", media.url, type(exc).__name__)
        return media
    if facts.status >= 400:
        log.warning("Twilio answered %s when asked the size of %s", facts.status, media.url)
        return media
    return replace(media, size=facts.size, filename=safe_filename(facts.filename) if facts.filename else "")


def download_name(message_sid: str, position: int, content_type: str, filename: str = "") -> str:
    """The name a file downloads under: its own, else the message and position with the
    extension its type has, so the customer's PDF opens as a PDF."""
    if filename:
        return safe_filename(filename)
    extension = _EXTENSIONS.get(content_type) or mimetypes.guess_extension(content_type) or ""
    return f"{message_sid}-{position + 1}{extension}"
