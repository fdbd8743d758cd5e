"""What the Twilio account has: phone numbers, WhatsApp senders and Messaging Services.

Fetched through the ``twilio`` client when the admin asks (``fetch``), kept in the
database per account (``AccountInventory``) and offered by the settings form as lists to
pick from (``options``), each with its capabilities and where its webhooks point now.
"""
from __future__ import annotations

from functools import partial

from flask_babel import gettext
from marshmallow import Schema

from host.plugin_api import db, utcnow
from host.plugin_api.settings import GroupMapping, Option, Picklist

from plugins.twilio_channel.client import twilio_client
from plugins.twilio_channel.models import AccountInventory
from plugins.twilio_channel.settings import SIMULATOR_NUMBER, SIMULATOR_WHATSAPP, load_config

LIMIT = 1000  # always bounded: an unbounded .list() follows next-page links for ever on a fake


def fetch() -> dict:
    """Ask Twilio for the account's numbers, WhatsApp senders and Messaging Services; store them."""
    config = load_config()
    client = twilio_client(config.account)
    numbers = [_number(n) for n in client.incoming_phone_numbers.list(limit=LIMIT) if n.phone_number]
    for sub in _subaccounts(client, config.account.sid):
        # Listed with the parent's credentials under the subaccount's own SID, and kept
        # apart by ``key`` (a number SID is only unique within what Twilio answers).
        numbers += [{**_number(n), "account_sid": sub.sid, "account_name": sub.friendly_name or sub.sid,
                     "key": f"{sub.sid}/{n.sid}"}
                    for n in client.api.v2010.accounts(sub.sid).incoming_phone_numbers.list(limit=LIMIT)
                    if n.phone_number]
    services = [{
        "sid": s.sid, "friendly_name": s.friendly_name or "", "inbound_request_url": s.inbound_request_url or "",
        "status_callback": s.status_callback or "",
        "use_inbound_webhook_on_number": bool(s.use_inbound_webhook_on_number),
    } for s in client.messaging.v1.services.list(limit=LIMIT)]
    senders = [{
        "sid": w.sid, "sender_id": w.sender_id, "status": w.status or "",
        "webhook": _webhook(w.webhook).get("callback_url") or "",
        "status_callback": _webhook(w.webhook).get("status_callback_url") or "",
        # kept so that re-pointing the sender sends its fallback back unchanged
        "fallback_url": _webhook(w.webhook).get("fallback_url") or "",
        "fallback_method": _webhook(w.webhook).get("fallback_method") or "",
    } for w in _whatsapp_senders(client) if (w.sender_id or "").startswith("whatsapp:")]
    data = {"numbers": numbers, "services": services, "whatsapp": senders}
    row = db.session.get(AccountInventory, config.account.sid) or AccountInventory(account_sid=config.account.sid)
    row.data, row.fetched_at = data, utcnow()
    db.session.add(row)
    db.session.commit()
    return data


def _number(n) -> dict:
    return {
        "sid": n.sid, "key": n.sid, "phone_number": n.phone_number, "friendly_name": n.friendly_name or "",
        "capabilities": sorted(k for k, v in (n.capabilities or {}).items() if v and k in ("sms", "mms", "voice")),
        "sms_url": n.sms_url or "", "status_callback": n.status_callback or "", "voice_url": n.voice_url or "",
        "voice_application_sid": n.voice_application_sid or "",
    }


def _subaccounts(client, own_sid: str) -> list:
    """The active subaccounts, when the credentials are a parent account's.

    Twilio's account list answers the account itself and, for a parent, its subaccounts;
    credentials that may not list accounts (a subaccount's, a restricted key) see none.
    """
    from twilio.base.exceptions import TwilioRestException

    try:
        accounts = client.api.v2010.accounts.list(status="active", limit=LIMIT)
    except TwilioRestException as exc:
        if exc.status in (401, 403, 404):
            return []
        raise
    return [a for a in accounts if a.sid != own_sid]


def _whatsapp_senders(client) -> list:
    """The account's WhatsApp senders; an account without the Senders API has none to list."""
    from twilio.base.exceptions import TwilioRestException

    try:
        return client.messaging.v2.channels_senders.list(channel="whatsapp", limit=LIMIT)
    except TwilioRestException as exc:
        if exc.status in (403, 404):
            return []
        raise


def _webhook(webhook) -> dict:
    """A sender's ``webhook`` object (callback, fallback and status callback URLs) as a dict."""
    if isinstance(webhook, dict):
        return webhook
    return webhook.to_dict() if hasattr(webhook, "to_dict") else {}


def stored() -> tuple[dict, object] | tuple[None, None]:
    """The last fetched inventory of the configured account and when it was fetched."""
    account = load_config().account
    if not account.sid:
        return None, None
    row = db.session.get(AccountInventory, account.sid)
    return (row.data, row.fetched_at) if row else (None, None)


def _number_detail(number: dict) -> str:
    capabilities = ", ".join(c.upper() if c != "voice" else gettext("Voice") for c in number["capabilities"])
    if not number["sms_url"]:
        return gettext("%(capabilities)s · messages go nowhere", capabilities=capabilities or gettext("none"))
    return gettext("%(capabilities)s · messages go to %(url)s", capabilities=capabilities or gettext("none"),
                   url=number["sms_url"])


def options(kind: str) -> list[Option]:
    """The values the settings form offers for ``kind``: numbers, whatsapp, services, senders."""
    config = load_config()
    if config.account.simulator:
        simulated = {"numbers": [Option(SIMULATOR_NUMBER, gettext("Simulator number"),
                                        ", ".join(("SMS", "MMS", gettext("Voice"))))],
                     "whatsapp": [Option(SIMULATOR_WHATSAPP, gettext("Simulator WhatsApp sender"))]}
        if kind == "senders":
            return simulated["numbers"] + simulated["whatsapp"]
        return simulated.get(kind, [])
    data, _ = stored()
    if not data:
        return []
    numbers = [Option(n["phone_number"], n["friendly_name"], _number_detail(n)) for n in data["numbers"]]
    whatsapp = [Option(w["sender_id"], "", gettext("%(status)s · messages go to %(url)s",
                                                   status=w["status"] or gettext("status unknown"),
                                                   url=w["webhook"] or gettext("the account default")))
                for w in data["whatsapp"]]
    services = [Option(s["sid"], s["friendly_name"], gettext("messages go to %(url)s",
                                                             url=s["inbound_request_url"] or gettext("each number")))
                for s in data["services"]]
    return {"numbers": numbers, "whatsapp": whatsapp, "services": services,
            "senders": numbers + whatsapp + services}.get(kind, [])


def note(sid: str, values: dict) -> None:
    """Remember that Twilio accepted new webhook values for ``sid`` (no need to fetch again);
    a subaccount's number is named by its ``key`` (``AC…/PN…``)."""
    account = load_config().account
    row = db.session.get(AccountInventory, account.sid) if account.sid else None
    if row is None:
        return
    data = {kind: [dict(item, **values) if item.get("key", item.get("sid")) == sid else item for item in items]
            for kind, items in row.data.items()}
    row.data = data  # a new object, so the JSON column is written
    db.session.commit()


# The settings fields that offer what the account holds, and which list each offers.
OFFERED = {"numbers": "numbers", "whatsapp_senders": "whatsapp", "messaging_service_sids": "services",
           "number_groups": "senders"}


def offer_in(schema: Schema) -> None:
    """Let the settings form offer the fetched numbers, senders and services.

    Called where the plugin registers its settings, so the settings module (which every
    part of the plugin reads) does not depend on the inventory (which reads the settings).
    """
    for name, kind in OFFERED.items():
        field = schema.fields[name]
        if isinstance(field, GroupMapping):
            field.key_options = partial(options, kind)
        elif isinstance(field, Picklist):
            field.options = partial(options, kind)
