"""Twilio's messaging webhooks: inbound messages and delivery status callbacks.

Both fail closed: without a valid ``X-Twilio-Signature`` for our account the answer is
403 and nothing is stored. What a request must pass, cheapest first, so that a hostile
one costs little: the body is at most :data:`MAX_BODY_BYTES` (413) with at most
:data:`MAX_FIELDS` fields (400) — both applied by the host before the view runs
(declared with ``provider_webhooks``) — then ``AccountSid`` must be ours or a listed
subaccount's (403), and only then is the signature's HMAC computed. The account is
matched by ``AccountSid`` (never by the ``To`` number), so numbers that belong to a
Messaging Service pool — which we may not list one by one — are accepted like any
other number of the account; a listed subaccount's webhooks are checked with that
subaccount's own token (``accounts``). The URL that Twilio signed is rebuilt from
``SWITCHBOARD_PUBLIC_URL`` (behind a TLS proxy Flask itself sees an internal URL).
"""
from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

from flask import Blueprint, Response, abort, g, request
from flask_babel import gettext
from twilio.request_validator import RequestValidator, compare
from twilio.twiml.messaging_response import MessagingResponse

from host.plugin_api import chats, db, inbox, utcnow, InboxHandler, StatusUpdate
from host.plugin_api.web import provider_webhooks

from plugins.twilio_channel.account import subaccounts as accounts
from plugins.twilio_channel.messaging import media as inbound_media
from plugins.twilio_channel.models import EarlyStatus, InboundMedia
from plugins.twilio_channel.messaging.parsing import channel_of, customer_key, media_count, parse_inbound
from plugins.twilio_channel.messaging.sender import explain_error
from plugins.twilio_channel.settings import load_config

log = logging.getLogger(__name__)

# What a real Twilio request needs, with room to spare. An inbound message carries a Body
# of at most 1,600 characters — 19,200 bytes form-encoded even if every character is a
# 4-byte one (%XX per byte) — up to 10 MediaUrl{N}/MediaContentType{N} pairs and some
# forty other fields (SIDs, addresses, geography, WhatsApp profile, location, buttons,
# click-to-WhatsApp referral); voice callbacks are smaller. That is under 30 KB and
# about 70 fields; a 4,096-character WhatsApp text, if Twilio passes one whole, stays
# under 55 KB. Twilio adds fields without notice, hence the margin.
MAX_BODY_BYTES = 128 * 1024
MAX_FIELDS = 200

bp = provider_webhooks(Blueprint("twilio_channel_webhooks", __name__, url_prefix="/webhooks/twilio"),
                       max_bytes=MAX_BODY_BYTES, max_fields=MAX_FIELDS)

EARLY_STATUS_DAYS = 2
# The answer to every inbound message (replies go out through the outbox, not TwiML):
# rendered once rather than serialising a TwiML document per webhook.
EMPTY_TWIML = str(MessagingResponse())


def verify_signature():
    """Abort 403 unless Twilio signed this request for our account or one of its listed
    subaccounts (each signs with its own auth token); returns that account.

    A request for another account (or with no signature at all) is refused before any
    HMAC is computed; the body's size and field count were checked before this runs.
    """
    config = load_config()
    signature = request.headers.get("X-Twilio-Signature", "")
    account_sid = request.form.get("AccountSid")
    if not signature or not config.account.verifies_webhooks:  # an API key alone can't check a signature
        _refuse("missing signature or auth token")
    try:
        account = accounts.for_webhook(account_sid)
    except accounts.AccountUnavailable as exc:
        log.warning("a webhook for subaccount %s could not be checked: %s", account_sid, exc)
        abort(503, description=gettext("This subaccount's webhook cannot be checked right now."))
    if account is None:
        _refuse("another account")
    query = request.query_string.decode("latin-1")
    url = config.public_url + request.path + (f"?{query}" if query else "")
    if _signed(account, url, signature):
        return account
    if account.source == "subaccount":  # its token may have been rotated since we fetched it
        try:
            fresh = accounts.for_webhook(account_sid, fresh=True)
        except accounts.AccountUnavailable:
            fresh = None
        if fresh is not None and fresh.token != account.token and _signed(fresh, url, signature):
            return fresh
    _refuse("signature mismatch")


def _signed(account, url: str, signature: str) -> bool:
    validator = RequestValidator(account.token)
    # Twilio signs the URL configured for the number, which is ours: one HMAC settles
    # almost every request. validate() also tries the URL with and without its port (Twilio
    # signs with the port in some set-ups) and JSON bodies' bodySHA256: two more HMACs,
    # only for what the first didn't match.
    return compare(validator.compute_signature(url, request.form), signature) \
        or validator.validate(url, request.form, signature)


def _refuse(reason: str):
    log.warning("refused a Twilio webhook on %s: %s", request.path, reason)
    abort(403, description=gettext("This request is not signed by Twilio for this account."))


def remember_media(form, sid: str) -> None:
    """Keep the Twilio URL of each attachment; the host stores our proxy URL instead."""
    if not media_count(form):
        return
    known = set(db.session.execute(db.select(InboundMedia.position).where(InboundMedia.message_sid == sid)).scalars())
    for position in range(media_count(form)):
        url = form.get(f"MediaUrl{position}")
        if url and position not in known:
            db.session.add(InboundMedia(message_sid=sid, position=position, url=url,
                                        content_type=form.get(f"MediaContentType{position}") or
                                        "application/octet-stream"))


@bp.post("/messaging")
def messaging():
    account = verify_signature()
    accounts.owns(account.sid, request.form.get("To"), request.form.get("MessagingServiceSid"))
    inbound = parse_inbound(request.form)  # a 400 for what could never be stored
    # The whole form, as Twilio sent it: the worker parses it again (host.inbox).
    inbox.record("twilio", "message:" + inbound.external_id, "twilio.message", customer_key(inbound.from_address),
                 request.form.to_dict())
    return Response(EMPTY_TWIML, content_type="text/xml; charset=utf-8")


def handle_message(form: dict) -> None:
    """The inbox worker's half of an inbound message: media, then the host stores it."""
    inbound = parse_inbound(form)
    # Documents are shown with their size and name: Twilio's storage is asked here, in the
    # worker, so the webhook itself answers at once.
    inbound = replace(inbound, media=tuple(
        inbound_media.described(m, form.get(f"MediaUrl{m.url.rsplit('/', 1)[1]}") or "") for m in inbound.media))
    # route_chat only hears the To number; a pool number is routed by its service.
    g.twilio_messaging_service_sid = form.get("MessagingServiceSid")
    remember_media(form, inbound.external_id)
    chats.receive(inbound)  # commits (media rows included)


def handle_messages(forms: list[dict]) -> None:
    """Several customers' inbound messages at once (the inbox worker's batches): one
    transaction for all of them (``host.chats.receive_many``)."""
    config = load_config()  # read once for the batch
    inbounds = [parse_inbound(form, config) for form in forms]
    services = {}
    for form, inbound in zip(forms, inbounds, strict=True):
        services[inbound.external_id] = form.get("MessagingServiceSid")
        remember_media(form, inbound.external_id)

    def route_by_service(inbound):
        g.twilio_messaging_service_sid = services[inbound.external_id]

    chats.receive_many(inbounds, before_each=route_by_service)


@bp.post("/status")
def status():
    verify_signature()
    form = request.form
    sid = form.get("MessageSid") or form.get("SmsSid")
    raw = (form.get("MessageStatus") or form.get("SmsStatus") or "").lower()
    if not sid or not raw:
        abort(400, description=gettext("%(first)s and %(second)s are required.", first="MessageSid", second="MessageStatus"))
    # Each status of a message is its own event; a re-delivered one is stored once.
    inbox.record("twilio", f"status:{sid}:{raw}", "twilio.status", customer_key(form.get("To")), form.to_dict())
    return Response(status=204)


def handle_status(form: dict) -> None:
    sid = form.get("MessageSid") or form.get("SmsSid")
    raw = (form.get("MessageStatus") or form.get("SmsStatus") or "").lower()
    if not apply(sid, raw, form.get("ErrorCode") or None, channel_of(form)):
        _keep_early(sid, raw, form.get("ErrorCode") or None)


def describe_message(form: dict) -> str:
    body = str(form.get("Body") or "")
    words = f"“{body[:80]}{'…' if len(body) > 80 else ''}”" if body else "a message without text"
    return f"{channel_of(form).replace('sms', 'SMS').replace('whatsapp', 'WhatsApp')} from {form.get('From')}: {words}"


def describe_status(form: dict) -> str:
    status = (form.get("MessageStatus") or form.get("SmsStatus") or "").lower()
    return f"Twilio status “{status}” of message {form.get('MessageSid') or form.get('SmsSid')} to {form.get('To')}"


def inbox_handlers() -> list[InboxHandler]:
    return [InboxHandler("twilio.message", handle_message, describe_message, handle_batch=handle_messages),
            InboxHandler("twilio.status", handle_status, describe_status)]


def apply(sid: str, raw_status: str, error_code: str | None, channel: str) -> bool:
    """Hand a status to the host; False when no message has this sid (yet)."""
    code = str(error_code) if error_code else None
    for key in (channel, "whatsapp" if channel == "sms" else "sms"):
        update = StatusUpdate(channel=key, external_id=sid, status=raw_status, error_code=code,
                              error_message=explain_error(code) if code else None, opted_out=code == "21610")
        if chats.apply_status(update) is not None:
            return True
    return False


def _keep_early(sid: str, raw_status: str, error_code: str | None) -> None:
    db.session.execute(db.delete(EarlyStatus).where(
        EarlyStatus.received_at < utcnow() - timedelta(days=EARLY_STATUS_DAYS)))
    db.session.add(EarlyStatus(message_sid=sid, status=raw_status, error_code=error_code))
    db.session.commit()


def apply_early_statuses(external_id: str | None, channel: str) -> None:
    """``message_sent``: apply callbacks that arrived before the outbox stored the sid."""
    if not external_id:
        return
    rows = db.session.execute(db.select(EarlyStatus).where(EarlyStatus.message_sid == external_id)
                              .order_by(EarlyStatus.id)).scalars().all()
    if not rows:
        return
    for row in rows:
        db.session.delete(row)
    db.session.commit()
    for row in rows:
        apply(row.message_sid, row.status, row.error_code, channel)
