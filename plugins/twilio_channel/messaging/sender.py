"""Outbound SMS, MMS and WhatsApp messages through Twilio's Programmable Messaging.

:class:`TwilioMessagingSender` turns the host's :class:`OutgoingMessage` into one
``client.messages.create`` call and Twilio's answer into :class:`SendResult` or
:class:`SendError`. The retry decision lives here because only the adapter knows which
Twilio failures are final (opt-out, invalid number) and which are worth another try.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, UTC
from types import MappingProxyType
from typing import Any
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

import requests
from flask_babel import LazyString, gettext, lazy_gettext
from twilio.base.exceptions import TwilioRestException, TwilioServiceException

from host.plugin_api import OutgoingMessage, SendError, SendResult, format_number

LOOKUP_LIMIT = 50  # the recipient's most recent messages looked through before a retry
CLOCK_SKEW = timedelta(minutes=2)  # between our clock and Twilio's date_created
MAX_BODY_CHARS = 1600  # Twilio rejects longer bodies (error 21617)
OPTED_OUT = 21610
_WHATSAPP = "whatsapp:"

# The codes of failures that are ours, not Twilio's (Twilio's codes are numbers), stored with
# the message so its reason is worded for each reader; at most 16 characters (the column).
EMPTY = "twilio-empty"
NO_FROM = "twilio-no-from"  # no sending number for the chat and no Messaging Service
LOOKUP = "twilio-lookup"  # Twilio could not be asked whether an earlier attempt went out
BAD_URL = "twilio-bad-url"
TIMED_OUT = "twilio-timeout"
OFFLINE = "twilio-offline"
NOT_SET_UP = "twilio-setup"
ACCOUNT = "twilio-account"  # a subaccount's token could not be had from Twilio
REFUSED = "twilio-refused"  # Twilio answered an error without a code of its own (an HTTP status only)

# Twilio answers a create with its own statuses; the host only knows its delivery ladder
# (queued < sending < sent < delivered < read), so "not yet handed on" maps to queued.
_HOST_STATUS = MappingProxyType({"accepted": "queued", "scheduled": "queued"})

# Sentences for agents, made in the reader's language where they are shown (explain_error,
# explain_failure); the codes are what is stored.
ERROR_EXPLANATIONS: Mapping[str, LazyString] = MappingProxyType({
    "21211": lazy_gettext("The customer's phone number is not a valid number. Check it for typos "
                          "and make sure it includes the country code."),
    "21408": lazy_gettext("Sending to this country is not enabled on the Twilio account (SMS "
                          "geographic permissions). An administrator can enable it in Twilio."),
    "21610": lazy_gettext("The customer has replied STOP and opted out of SMS from this number. They "
                          "must text START before we can message them again."),
    "21612": lazy_gettext("Twilio cannot connect this sender and this recipient (for example an "
                          "unsupported route or sender type for the destination)."),
    "21614": lazy_gettext("The customer's number cannot receive text messages (it is probably a "
                          "landline). Call them instead or ask for a mobile number."),
    "21617": LazyString(lambda: _too_long()),  # the limit written as the reader writes numbers
    # twilio.com/docs/api/errors/<code>: what Twilio fails a message's files with
    "11751": lazy_gettext("The files are larger than the channel takes (5 MB a message by MMS, 16 MB by "
                          "WhatsApp). Make them smaller, send fewer in one message or send a link."),
    "12300": lazy_gettext("Twilio could not use one of the files: its type (Content-Type) is not one the "
                          "channel takes. Send a PDF or an image (JPEG, PNG) instead, or a link."),
    "21620": lazy_gettext("Twilio could not fetch a file of the message: its link is not valid."),
    "21623": lazy_gettext("The message carries more files than Twilio takes (at most 10). Send the others "
                          "in another message."),
    "63019": lazy_gettext("Twilio could not download a file of the message. Check that its link works, then "
                          "send it again."),
    "20429": lazy_gettext("Twilio is rate-limiting our requests. The message will be retried."),
    "30003": lazy_gettext("The customer's phone could not be reached (switched off, out of coverage "
                          "or roaming). Try again later."),
    "30004": lazy_gettext("The message was blocked, by the customer or by their carrier."),
    "30005": lazy_gettext("The customer's number is unknown to the mobile network or no longer in "
                          "service. Check the number with the customer."),
    "30006": lazy_gettext("The customer's number is a landline or their carrier cannot receive text "
                          "messages. Call them instead or ask for a mobile number."),
    "30007": lazy_gettext("The carrier filtered this message as possible spam. Rephrase it (fewer "
                          "links, no shortened URLs) before sending again."),
    "30008": lazy_gettext("The carrier reported an unknown delivery error. Try again later."),
    "63003": lazy_gettext("WhatsApp could not find this recipient: the number is not an active "
                          "WhatsApp account or the address is wrong."),
    "63016": lazy_gettext("More than 24 hours have passed since the customer's last WhatsApp message, "
                          "so only an approved template can be sent. Pick a template."),
    "63024": lazy_gettext("WhatsApp refused the recipient: the number is not on WhatsApp, or the "
                          "customer has not accepted WhatsApp's terms or runs an outdated app."),
})


# Without the retry clause the stored sentences have: the host says "retrying" while it is.
OWN_FAILURES: Mapping[str, LazyString] = MappingProxyType({
    EMPTY: lazy_gettext("The message is empty: add text or an attachment."),
    NO_FROM: lazy_gettext("No sending number is configured for this chat, and no Twilio Messaging Service is set up."),
    LOOKUP: lazy_gettext("Twilio could not be asked whether an earlier attempt went out; it will be asked again "
                         "before anything is sent."),
    BAD_URL: lazy_gettext("Twilio could not be called because its URL is wrong."),
    TIMED_OUT: lazy_gettext("Twilio did not answer in time."),
    OFFLINE: lazy_gettext("Twilio could not be reached."),
    NOT_SET_UP: lazy_gettext("Twilio is not set up correctly. An admin can check its settings on the Plugins page."),
    ACCOUNT: lazy_gettext("Twilio could not be reached for the subaccount that sends this message."),
})


def _too_long() -> str:
    return gettext("The message is longer than %(count)s characters. Shorten it or split it.",
                   count=format_number(MAX_BODY_CHARS))


def explain_error(code: Any) -> str:
    """Plain-language explanation of a Twilio error code for agents (never empty), in the
    current request's language (English in workers and webhooks)."""
    text = str(code).strip() if code is not None else ""
    if not text:
        return gettext("The message could not be delivered for an unknown reason.")
    known = explain_known(text)
    if known:
        return known
    url = f"https://www.twilio.com/docs/api/errors/{text}"
    return gettext("Twilio reported error %(code)s. See %(url)s for details.", code=text, url=url)


def explain_known(code: str, detail: Mapping[str, Any] | None = None) -> str | None:
    """The sentence for a Twilio error code this module knows, or for one of our own codes
    (:data:`OWN_FAILURES`), or for Twilio's refusal of a request (``detail`` holds its HTTP
    ``status`` and its own words, ``twilio``), or None."""
    detail = detail or {}
    own = _own_failure(code, detail)
    if own is not None:
        return own
    known = ERROR_EXPLANATIONS.get(code)
    if known is None:
        return _refused(code, detail) if "status" in detail else None
    return gettext("%(explanation)s (Twilio error %(code)s).", explanation=str(known).rstrip("."), code=code)


def _own_failure(code: str, detail: Mapping[str, Any]) -> str | None:
    """One of our own codes, with what went wrong when it was kept (Twilio's library's words)."""
    reason = str(detail.get("reason") or "")
    if reason and code == NOT_SET_UP:
        return gettext("Twilio is not set up correctly (%(reason)s). An admin can check its settings on the Plugins "
                       "page.", reason=reason)
    if reason and code == BAD_URL:
        return gettext("Twilio could not be called because its URL is wrong: %(reason)s.", reason=reason)
    if reason and code == ACCOUNT:
        return gettext("Twilio could not be reached for the subaccount that sends this message (%(reason)s).",
                       reason=reason)
    if code == REFUSED:
        return _refused(None, detail)
    own = OWN_FAILURES.get(code)
    return str(own) if own is not None else None


def _refused(code: str | None, detail: Mapping[str, Any]) -> str:
    """Twilio refused the request: its HTTP status and its own (English) words, which are
    quoted as Twilio gave them."""
    status, words = detail.get("status") or "?", str(detail.get("twilio") or "").strip()
    if code and words:
        return gettext("Twilio refused the message (HTTP %(status)s): “%(twilio)s” (Twilio error %(code)s).",
                       status=status, twilio=words, code=code)
    if code:
        return gettext("Twilio refused the message (HTTP %(status)s, Twilio error %(code)s).", status=status,
                       code=code)
    if words:
        return gettext("Twilio refused the message (HTTP %(status)s): “%(twilio)s”.", status=status, twilio=words)
    return gettext("Twilio refused the message (HTTP %(status)s).", status=status)


class TwilioMessagingSender:
    """Send one :class:`OutgoingMessage` with ``client.messages.create``.

    ``status_callback_url`` is always sent so delivery updates reach the host.
    ``messaging_service_sid`` (``MG…``) is used when a message has no sticky sender.
    """

    def __init__(self, client: Any, status_callback_url: str,
                 messaging_service_sid: str | None = None):
        _check_callback_url(status_callback_url)
        if messaging_service_sid and not messaging_service_sid.startswith("MG"):
            raise ValueError(
                f"messaging service SID must start with MG, got {messaging_service_sid!r}")
        self._client = client
        self._status_callback_url = status_callback_url
        self._messaging_service_sid = messaging_service_sid or None

    def message_params(self, msg: OutgoingMessage) -> dict[str, Any]:
        """The keyword arguments for ``messages.create`` (raises SendError if unsendable)."""
        whatsapp = msg.channel == "whatsapp" or msg.to.startswith(_WHATSAPP)
        params: dict[str, Any] = {
            "to": _address(msg.to, whatsapp),
            "status_callback": self._status_callback_url,
        }
        params.update(self._sender_params(msg, whatsapp))
        if msg.template is not None:
            # The template carries the text: Twilio's docs say to send ContentSid without
            # Body/MediaUrl, and outside WhatsApp's 24-hour window a Body fails (63016).
            params["content_sid"] = msg.template.sid
            if msg.template.variables:
                params["content_variables"] = json.dumps(
                    {str(k): str(v) for k, v in msg.template.variables.items()})
            return params
        if not msg.body and not msg.media:
            raise SendError("The message is empty: add text or an attachment.", code=EMPTY,
                            retryable=False)
        if len(msg.body) > MAX_BODY_CHARS:
            raise SendError(explain_error("21617"), code="21617", retryable=False, detail={"length": len(msg.body)})
        if msg.body:
            params["body"] = msg.body
        if msg.media:
            params["media_url"] = [m.url for m in msg.media]
        return params

    def _sender_params(self, msg: OutgoingMessage, whatsapp: bool) -> dict[str, str]:
        sender = (msg.sender or "").strip()
        if sender.startswith("MG"):  # a chat bound to a whole sender pool
            return {"messaging_service_sid": sender}
        if sender:
            return {"from_": _address(sender, whatsapp)}
        if self._messaging_service_sid:
            return {"messaging_service_sid": self._messaging_service_sid}
        raise SendError("No sending number is configured for this chat, and no Twilio "
                        "Messaging Service is set up.", code=NO_FROM, retryable=False)

    def find_sent(self, msg: OutgoingMessage, since: datetime,
                  taken: Callable[[str], bool]) -> SendResult | None:
        """Twilio's record of ``msg`` from an earlier attempt, or None when it has none.

        The Messages API has no idempotency key, so after an attempt whose outcome is
        unknown we list the recipient's recent messages (``To``, and ``From`` when we
        send from a number; newest first) and take the oldest outbound one created since
        ``since`` (less :data:`CLOCK_SKEW`) that has our body, our Messaging Service when
        we send through one, and whose sid no other message of ours holds
        (``taken(sid)``), so the same text sent twice on purpose is told apart. Not
        filtered by ``DateSent``: a message Twilio still queues has no send date yet.
        """
        params = self.message_params(msg)
        query: dict[str, Any] = {"to": params["to"], "limit": LOOKUP_LIMIT}
        if "from_" in params:
            query["from_"] = params["from_"]
        try:
            found = self._client.messages.list(**query)
        except (TwilioRestException, TwilioServiceException, requests.RequestException) as exc:
            raise SendError("Twilio could not be asked whether an earlier attempt went out; it will be "
                            "asked again before anything is sent.", code=LOOKUP, retryable=True) from exc
        earliest = since.replace(tzinfo=UTC) - CLOCK_SKEW
        candidates = []
        for record in found:
            created = record.date_created
            if not str(record.direction or "").startswith("outbound") or created is None or created < earliest:
                continue
            if "messaging_service_sid" in params and record.messaging_service_sid != params["messaging_service_sid"]:
                continue
            if "body" in params and not str(record.body or "").endswith(params["body"]):
                continue  # a trial account prefixes its notice
            if taken(record.sid):
                continue
            candidates.append(record)
        if not candidates:
            return None
        record = min(candidates, key=lambda r: r.date_created)
        status = record.status or "queued"
        return SendResult(external_id=record.sid, status=_HOST_STATUS.get(status, status))

    def send(self, msg: OutgoingMessage) -> SendResult:
        params = self.message_params(msg)
        try:
            created = self._client.messages.create(**params)
        except (TwilioRestException, TwilioServiceException) as exc:
            raise send_error_from_twilio(exc) from exc
        except requests.RequestException as exc:
            raise send_error_from_transport(exc) from exc
        status = created.status or "queued"
        return SendResult(external_id=created.sid, status=_HOST_STATUS.get(status, status))


def send_error_from_twilio(exc: Exception) -> SendError:
    """Map a Twilio API error to a :class:`SendError` with a decision about retrying."""
    status = int(getattr(exc, "status", 0) or 0)
    code = _twilio_code(getattr(exc, "code", None))
    if code == str(OPTED_OUT):
        return SendError(explain_error(code), code=code, retryable=False, opted_out=True)
    retryable = status == 429 or status >= 500 or code == "20429"
    if code in ERROR_EXPLANATIONS:
        return SendError(explain_error(code), code=code, retryable=retryable)
    words = str(getattr(exc, "msg", None) or getattr(exc, "detail", None) or getattr(exc, "title", "") or "")
    # Worded for each reader from the code and these values (explain_known); the English
    # sentence is what the row keeps.
    detail: dict[str, str | int] = {"status": status, "twilio": words[:200]}
    text = f"Twilio refused the message (HTTP {status}): {words or 'no details given'}"
    if code:
        text += f" (Twilio error {code})"
    if retryable:
        text += ". It will be retried automatically"
    return SendError(text + ".", code=code or REFUSED, retryable=retryable, detail=detail)


def _twilio_code(raw: Any) -> str | None:
    # Without a Twilio code in the body, twilio-python puts the HTTP status in `code`;
    # real Twilio codes have five digits.
    try:
        return str(int(raw)) if raw is not None and int(raw) >= 10000 else None
    except (TypeError, ValueError):
        return None


def send_error_from_transport(exc: requests.RequestException) -> SendError:
    """Network trouble is temporary unless the URL itself is wrong (a setup mistake)."""
    config_errors = (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                     requests.exceptions.InvalidSchema, requests.exceptions.URLRequired)
    if isinstance(exc, config_errors):
        return SendError(f"Twilio could not be called because its URL is wrong: {exc}", code=BAD_URL,
                         retryable=False, detail={"reason": str(exc)[:200]})
    # A read timeout may come after Twilio accepted the message (the Messages API has no
    # idempotency key): the outbox asks Twilio (find_sent) before it retries.
    timed_out = isinstance(exc, requests.Timeout)
    kind = "timed out" if timed_out else "could not be reached"
    return SendError(f"Twilio {kind}; the message will be retried automatically.",
                     code=TIMED_OUT if timed_out else OFFLINE, retryable=True)


def _address(value: str, whatsapp: bool) -> str:
    value = value.strip()
    if whatsapp and not value.startswith(_WHATSAPP):
        return _WHATSAPP + value
    return value


def _check_callback_url(url: str) -> None:
    # Twilio rejects status callback hosts with underscores and non-http(s) URLs; fail
    # at start-up instead of on every send.
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"status callback URL must be an absolute http(s) URL, got {url!r}")
    if "_" in parts.hostname:
        raise ValueError(f"Twilio does not accept underscores in callback host names: {url!r}")
