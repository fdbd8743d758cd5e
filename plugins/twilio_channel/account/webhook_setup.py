"""Point the picked numbers, WhatsApp senders and Messaging Services at this server, on the admin's click.

``connect`` updates each picked phone number (``IncomingPhoneNumbers``: SmsUrl, VoiceUrl
and the call StatusCallback), WhatsApp sender (Senders API ``/v2/Channels/Senders/XE…``:
the ``webhook`` object's ``callback_url`` and ``status_callback_url``) and Messaging
Service (``InboundRequestUrl`` and the message ``StatusCallback``) through the ``twilio``
client, and — when calls in the browser are
wanted — creates the TwiML App (Voice URL = our outbound-call webhook) and an API key
when the settings have none. Every URL it replaces is stored (``WebhookChange``) before
the update, so :func:`undo` can put it back; created resources are deleted on undo.
Nothing here runs without the admin's click.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext

from host.plugin_api import db, settings as host_settings, utcnow

from plugins.twilio_channel.client import twilio_client
from plugins.twilio_channel.account.inventory import fetch, note, stored
from plugins.twilio_channel.models import WebhookChange
from plugins.twilio_channel.settings import NAME, load_config
from plugins.twilio_channel.wording import and_list

APP_NAME = "Switchboard"
CREATED = "created"  # WebhookChange.field of a resource Switchboard created


@dataclass(frozen=True)
class Targets:
    messaging: str
    status: str
    voice: str
    voice_status: str
    voice_outbound: str


def targets(config=None) -> Targets:
    base = (config or load_config()).public_url
    return Targets(base + "/webhooks/twilio/messaging", base + "/webhooks/twilio/status",
                   base + "/webhooks/twilio/voice", base + "/webhooks/twilio/voice/status",
                   base + "/webhooks/twilio/voice/outbound")


def number_fields(number: dict, to: Targets) -> dict:
    """The webhook fields of a number that should point here (by its capabilities)."""
    wanted = {}
    if {"sms", "mms"} & set(number["capabilities"]):
        wanted["sms_url"] = to.messaging
    if "voice" in number["capabilities"]:
        wanted["voice_url"] = to.voice
        wanted["status_callback"] = to.voice_status
    return wanted


def service_fields(to: Targets) -> dict:
    return {"inbound_request_url": to.messaging, "status_callback": to.status}


def sender_fields(to: Targets) -> dict:
    """A WhatsApp sender's fields (as the inventory keeps them) that should point here."""
    return {"webhook": to.messaging, "status_callback": to.status}


def _update_sender(client, sender: dict, values: dict) -> None:
    """Send the sender's whole ``webhook`` object: the listed fields changed, the rest as it was.

    The Senders API takes JSON (``MessagingV2ChannelsSenderRequestsUpdate``); an empty URL
    goes as null, which the API documents as "not set".
    """
    from twilio.rest.messaging.v2.channels_sender import ChannelsSenderList

    merged = {**sender, **values}
    webhook = {"callback_url": merged.get("webhook") or None, "callback_method": "POST",
               "fallback_url": merged.get("fallback_url") or None,
               "fallback_method": merged.get("fallback_method") or None,
               "status_callback_url": merged.get("status_callback") or None, "status_callback_method": "POST"}
    update = ChannelsSenderList.MessagingV2ChannelsSenderRequestsUpdate({"webhook": webhook})
    client.messaging.v2.channels_senders(sender["sid"]).update(update)


def elsewhere(config, data: dict) -> list[str]:
    """The picked numbers and services whose webhooks don't point here (from ``data``)."""
    to = targets(config)
    picked = set(config.numbers) | {w.removeprefix("whatsapp:") for w in config.whatsapp_senders}
    wrong = [n["phone_number"] for n in data["numbers"] if n["phone_number"] in picked
             and any(n.get(k) != v for k, v in number_fields(n, to).items())]
    wrong += [w["sender_id"] for w in data.get("whatsapp", []) if w["sender_id"] in config.whatsapp_senders
              and any(w.get(k) != v for k, v in sender_fields(to).items())]
    wrong += [s["friendly_name"] or s["sid"] for s in data["services"] if s["sid"] in config.messaging_service_sids
              and any(s.get(k) != v for k, v in service_fields(to).items())]
    return wrong


def _record(account_sid, sid, label, field, previous, current, owner=None) -> None:
    db.session.add(WebhookChange(account_sid=account_sid, resource_sid=sid, resource_label=label, field=field,
                                 previous=previous or None, current=current, owner_sid=owner))


def _numbers_api(client, owner: str | None):
    """A number's resource under the account that owns it: a subaccount's is reached with the
    parent's credentials at /Accounts/<subaccount>/IncomingPhoneNumbers/."""
    return client.api.v2010.accounts(owner).incoming_phone_numbers if owner else client.incoming_phone_numbers


def connect(number_sids: list[str], service_sids: list[str], voice: bool,
            sender_sids: list[str] = ()) -> list[str]:
    """Point the picked resources here and pick them in the settings; what was done, in sentences."""
    config = load_config()
    data, _ = stored()
    if data is None:
        data = fetch()
    client = twilio_client(config.account)
    to = targets(config)
    done = []
    numbers = [n for n in data["numbers"] if n.get("key", n["sid"]) in number_sids]
    services = [s for s in data["services"] if s["sid"] in service_sids]
    senders = [w for w in data.get("whatsapp", []) if w["sid"] in sender_sids]
    for number in numbers:
        wanted = {k: v for k, v in number_fields(number, to).items() if number.get(k) != v}
        if not wanted:
            continue
        owner = number.get("account_sid")
        label = number["phone_number"] + (f" ({number['account_name']})" if owner else "")
        for field, url in wanted.items():  # kept before Twilio changes anything
            _record(config.account.sid, number["sid"], label, field, number.get(field), url, owner)
        db.session.commit()
        methods = {k.replace("_url", "_method").replace("status_callback", "status_callback_method"): "POST"
                   for k in wanted}
        _numbers_api(client, owner)(number["sid"]).update(**wanted, **methods)
        note(number.get("key", number["sid"]), wanted)
        done.append(gettext("%(number)s now sends its %(what)s here.", number=label,
                            what=listed([what(k) for k in wanted if k != "status_callback"])))
    for service in services:
        wanted = {k: v for k, v in service_fields(to).items() if service.get(k) != v}
        if not wanted:
            continue
        for field, url in wanted.items():
            _record(config.account.sid, service["sid"], service["friendly_name"] or service["sid"], field,
                    service.get(field), url)
        db.session.commit()
        extra = {"inbound_method": "POST"} if "inbound_request_url" in wanted else {}
        client.messaging.v1.services(service["sid"]).update(**wanted, **extra)
        note(service["sid"], wanted)
        done.append(gettext("Messaging Service “%(name)s” now sends its messages here.",
                            name=service["friendly_name"] or service["sid"]))
    for sender in senders:
        wanted = {k: v for k, v in sender_fields(to).items() if sender.get(k) != v}
        if not wanted:
            continue
        for field, url in wanted.items():
            _record(config.account.sid, sender["sid"], "WhatsApp " + sender["sender_id"].removeprefix("whatsapp:"),
                    field, sender.get(field), url)
        db.session.commit()
        _update_sender(client, sender, wanted)
        note(sender["sid"], wanted)
        done.append(gettext("WhatsApp sender %(number)s now sends its messages and status updates here.",
                            number=sender["sender_id"].removeprefix("whatsapp:")))
    _pick(numbers, services, senders)
    _add_subaccounts(sorted({n["account_sid"] for n in numbers if n.get("account_sid")}))
    if voice:
        done += _voice(client, config, to)
    return done


def what(field: str) -> str:
    """What a webhook field carries, in words of the request's language."""
    words = {"sms_url": gettext("messages"), "voice_url": gettext("calls"), "status_callback": gettext("status updates"),
             "inbound_request_url": gettext("messages"), "webhook": gettext("messages")}
    return words.get(field, field)


def listed(words: list[str]) -> str:
    """"messages and calls" in the request's language."""
    return and_list(words)


def created_label(sid: str, label: str) -> str:
    """What Switchboard created, named in the reader's language (the stored label is English)."""
    if sid.startswith("AP"):
        return gettext("the TwiML App “%(name)s”", name=APP_NAME)
    if sid.startswith("SK"):
        return gettext("the API key “%(name)s”", name=APP_NAME)
    return label


def _pick(numbers: list[dict], services: list[dict], senders: list[dict] = ()) -> None:
    """The connected numbers, senders and services become the ones agents send from."""
    current = host_settings.get(NAME)
    chosen = list(current.get("numbers") or [])
    for number in numbers:
        if number["phone_number"] not in chosen and {"sms", "mms"} & set(number["capabilities"]):
            chosen.append(number["phone_number"])
    chosen_services = list(current.get("messaging_service_sids") or [])
    chosen_services += [s["sid"] for s in services if s["sid"] not in chosen_services]
    chosen_senders = list(current.get("whatsapp_senders") or [])
    chosen_senders += [w["sender_id"] for w in senders if w["sender_id"] not in chosen_senders]
    host_settings.update(NAME, {"numbers": chosen, "messaging_service_sids": chosen_services,
                                "whatsapp_senders": chosen_senders})


def _add_subaccounts(sids: list[str]) -> None:
    """A connected subaccount number's webhooks are checked with that subaccount's auth token:
    its SID joins the listed subaccounts (see accounts.py)."""
    listed = list(host_settings.get(NAME).get("subaccount_sids") or [])
    missing = [sid for sid in sids if sid not in listed]
    if missing:
        host_settings.update(NAME, {"subaccount_sids": listed + missing})


def _voice(client, config, to: Targets) -> list[str]:
    """The TwiML App and API key calls in the browser need, created when missing."""
    raw, done, updates = config.raw, [], {}
    if not raw.get("twiml_app_sid"):
        app = client.applications.create(friendly_name=APP_NAME, voice_url=to.voice_outbound, voice_method="POST")
        _record(config.account.sid, app.sid, f"TwiML App “{APP_NAME}”", CREATED, None, to.voice_outbound)
        updates["twiml_app_sid"] = app.sid
        done.append(gettext("Created the TwiML App “%(name)s” (%(sid)s) for calls placed in the browser.",
                            name=APP_NAME, sid=app.sid))
    if not (raw.get("api_key_sid") and raw.get("api_key_secret")):
        key = client.new_keys.create(friendly_name=APP_NAME)
        _record(config.account.sid, key.sid, f"API key “{APP_NAME}”", CREATED, None, None)
        updates.update(api_key_sid=key.sid, api_key_secret=key.secret)
        done.append(gettext("Created the API key “%(name)s” (%(sid)s); its secret is stored, not shown.",
                            name=APP_NAME, sid=key.sid))
    if updates:
        db.session.commit()
        host_settings.update(NAME, updates)
    return done


def changes() -> list[WebhookChange]:
    """What Switchboard changed at Twilio for the configured account, newest first."""
    account = load_config().account
    return list(db.session.execute(db.select(WebhookChange).where(
        WebhookChange.account_sid == (account.sid or ""), WebhookChange.undone_at.is_(None))
        .order_by(WebhookChange.id.desc())).scalars())


def undo(change_ids: list[int] | None = None) -> list[str]:
    """Put back the URLs Switchboard replaced (all, or the given changes); delete what it created."""
    config = load_config()
    client = twilio_client(config.account)
    current = changes()
    # Undoing one change undoes its resource's: a number's webhooks go back together.
    resources = {(c.owner_sid, c.resource_sid) for c in current if change_ids is None or c.id in change_ids}
    rows = [c for c in current if (c.owner_sid, c.resource_sid) in resources]
    by_resource: dict[tuple, list[WebhookChange]] = {}
    for row in rows:
        by_resource.setdefault((row.owner_sid, row.resource_sid), []).append(row)
    done = []
    for (owner, sid), group in by_resource.items():
        label = group[0].resource_label
        if any(c.field == CREATED for c in group):
            _delete_created(client, sid)
            done.append(gettext("Deleted %(what)s at Twilio.", what=created_label(sid, label)))
            _forget(sid)
        else:
            # A field that had no address before is sent as an empty string, which Twilio
            # takes as "clear it" (the Senders API's null is sent for "" by _update_sender).
            previous = {c.field: c.previous or "" for c in sorted(group, key=lambda c: c.id)}
            if sid.startswith("XE"):
                _update_sender(client, _inventory_item(sid), previous)
            elif sid.startswith("PN"):
                _numbers_api(client, owner)(sid).update(**previous)
            elif sid.startswith("MG"):
                client.messaging.v1.services(sid).update(**previous)
            note(f"{owner}/{sid}" if owner else sid, previous)
            done.append(gettext("%(label)s points where it did before.", label=label))
        for row in group:
            row.undone_at = utcnow()
        db.session.commit()
    return done


def _inventory_item(sid: str) -> dict:
    data, _ = stored()
    return next((item for items in (data or {}).values() for item in items if item.get("sid") == sid), {"sid": sid})


def _delete_created(client, sid: str) -> None:
    if sid.startswith("AP"):
        client.applications(sid).delete()
    elif sid.startswith("SK"):
        client.keys(sid).delete()


def _forget(sid: str) -> None:
    values = host_settings.get(NAME)
    cleared = {k: None for k in ("twiml_app_sid", "api_key_sid") if values.get(k) == sid}
    if "api_key_sid" in cleared:
        cleared["api_key_secret"] = None
    if cleared:
        host_settings.forget(NAME, cleared)
