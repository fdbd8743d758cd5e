"""Subaccounts: numbers owned by a subaccount of the configured (parent) account.

Twilio gives each subaccount its own Account SID and auth token
(https://www.twilio.com/docs/iam/api/subaccounts). A webhook about one of its numbers
carries the subaccount's ``AccountSid`` and is signed with the *subaccount's* auth token —
"the Master Account's Auth Token is only used to sign webhook requests on the Master
Account itself" (Twilio, https://github.com/twilio/twilio-php/issues/436). So:

* subaccounts are listed in the settings (``subaccount_sids``) and reached with the
  parent's credentials, which may fetch a subaccount's Account resource — its
  ``auth_token`` included. That token checks the subaccount's webhooks and sends as the
  subaccount (its own credentials reach all its resources, Content API templates too,
  which the parent's do not);
* a webhook with any other AccountSid is refused, as before;
* each number, WhatsApp sender and Messaging Service is sent from by the account that
  owns it: learned from the AccountSid of its webhooks and from each subaccount's
  IncomingPhoneNumbers (the credentials check), kept in ``twilio_sender_accounts``.

Subaccount tokens are kept in memory for an hour, and fetched again at once when a
signature doesn't match (the subaccount's token may have been rotated).
"""
from __future__ import annotations

import time

import requests
from flask import current_app
from twilio.base.exceptions import TwilioException

from host.plugin_api import db

from plugins.twilio_channel.client import twilio_client
from plugins.twilio_channel.models import SenderAccount
from plugins.twilio_channel.settings import Account, load_config

TOKEN_SECONDS = 3600.0
REFETCH_SECONDS = 30.0  # a mismatching signature fetches the token again at most this often
_CACHE = "twilio_channel.subaccount_tokens"


class AccountUnavailable(RuntimeError):
    """A subaccount's token could not be had from Twilio (unreachable, refused)."""


def _tokens() -> dict:
    return current_app.extensions.setdefault(_CACHE, {})


def subaccount(sid: str, fresh: bool = False) -> Account:
    """The listed subaccount ``sid`` with its own auth token (fetched with the parent's)."""
    parent = load_config().account
    cached = _tokens().get((parent.sid, sid))
    now = time.monotonic()
    if cached and now - cached[1] < (REFETCH_SECONDS if fresh else TOKEN_SECONDS):
        return Account(sid, cached[0], "live", "subaccount")
    try:
        token = twilio_client(parent).api.v2010.accounts(sid).fetch().auth_token
    except (TwilioException, requests.RequestException, ValueError) as exc:
        raise AccountUnavailable(f"subaccount {sid} could not be fetched from Twilio ({type(exc).__name__})") \
            from exc
    if not token:
        raise AccountUnavailable(f"Twilio did not give the auth token of subaccount {sid}")
    _tokens()[(parent.sid, sid)] = (token, now)
    return Account(sid, token, "live", "subaccount")


def for_webhook(account_sid: str | None, fresh: bool = False) -> Account | None:
    """The account a webhook with this AccountSid belongs to; None when it isn't ours."""
    config = load_config()
    if account_sid and account_sid == config.account.sid:
        return config.account
    if account_sid and account_sid in config.subaccounts:
        return subaccount(account_sid, fresh)
    return None


def for_sender(sender: str | None) -> Account:
    """The account that owns one of our senders (the configured account unless a
    subaccount was seen or listed owning it)."""
    config = load_config()
    if not config.subaccounts or not sender:
        return config.account
    row = db.session.get(SenderAccount, sender)
    if row is None and sender.startswith("whatsapp:"):
        row = db.session.get(SenderAccount, sender.removeprefix("whatsapp:"))
    if row is None or row.account_sid not in config.subaccounts:
        return config.account
    return subaccount(row.account_sid)


def owns(account_sid: str, *addresses: str | None) -> None:
    """Remember which account owns these senders (a webhook's To and service). Only
    written when subaccounts are configured and the owner changed, so the common
    webhook costs nothing here."""
    config = load_config()
    if not config.subaccounts:
        return
    changed = False
    for address in filter(None, addresses):
        row = db.session.get(SenderAccount, address)
        if account_sid == config.account.sid:
            if row is not None:  # back with the parent
                db.session.delete(row)
                changed = True
        elif row is None or row.account_sid != account_sid:
            db.session.merge(SenderAccount(address=address, account_sid=account_sid))
            changed = True
    if changed:
        db.session.commit()


def numbers_of(account: Account) -> list[str]:
    """The account's phone numbers (IncomingPhoneNumbers), remembered as its senders."""
    numbers = [n.phone_number for n in twilio_client(account).incoming_phone_numbers.list(limit=1000)
               if n.phone_number]
    owns(account.sid, *numbers)
    return numbers
