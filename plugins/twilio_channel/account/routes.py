"""The admin's "Connect Twilio" steps: credentials, the account's numbers and services to
pick from, one click to point them here, and undo.

Every step is a POST from the page (admins only); nothing changes at Twilio before the
admin presses "Point the picked ones here" or "Undo".
"""
from __future__ import annotations

import logging

import requests
from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user
from marshmallow import ValidationError
from twilio.base.exceptions import TwilioException, TwilioRestException

from host.plugin_api import access, settings as host_settings
from host.plugin_api.access import about

from plugins.twilio_channel.account import inventory

from plugins.twilio_channel.account import webhook_setup
from plugins.twilio_channel.client import CredentialsMissing
from plugins.twilio_channel.settings import NAME, load_config
from plugins.twilio_channel.account.checks import UNVERIFIED, check_credentials

log = logging.getLogger(__name__)

bp = Blueprint("twilio_channel_connect", __name__, url_prefix="/twilio/admin/connect", template_folder="../templates")


@bp.before_request
def only_admins():
    if not current_user.is_admin:
        abort(403, description=gettext("Only administrators can connect Twilio."))


def _back():
    return redirect(url_for("twilio_channel_pages.admin") + "#connect")


def _twilio_trouble(exc: Exception) -> str:
    if isinstance(exc, TwilioRestException):
        if exc.status in (401, 403):
            return gettext("Twilio refused the credentials. Check the Account SID and the auth token (Twilio "
                           "console → Account info) or the API key.")
        return gettext("Twilio answered with an error: %(error)s (HTTP %(status)s, Twilio error %(code)s).",
                       error=exc.msg, status=exc.status, code=exc.code)
    if isinstance(exc, requests.RequestException):
        return gettext("Twilio could not be reached (%(error)s). Check the server's internet access.",
                       error=type(exc).__name__)
    return gettext("Twilio is not set up correctly: %(error)s", error=exc)


TROUBLE = (TwilioException, requests.RequestException, CredentialsMissing, ValueError)


def context() -> dict:
    """What the Connect Twilio section of /twilio/admin shows."""
    config = load_config()
    data, fetched_at = inventory.stored() if not config.account.simulator else (None, None)
    to = webhook_setup.targets(config)
    picked = set(config.numbers) | {w.removeprefix("whatsapp:") for w in config.whatsapp_senders}
    numbers = [{**n, "points_here": all(n.get(k) == v for k, v in webhook_setup.number_fields(n, to).items()),
                "picked": n["phone_number"] in picked} for n in (data or {}).get("numbers", [])]
    services = [{**s, "points_here": all(s.get(k) == v for k, v in webhook_setup.service_fields(to).items()),
                 "picked": s["sid"] in config.messaging_service_sids} for s in (data or {}).get("services", [])]
    whatsapp = [{**w, "points_here": all(w.get(k) == v for k, v in webhook_setup.sender_fields(to).items()),
                 "picked": w["sender_id"] in config.whatsapp_senders} for w in (data or {}).get("whatsapp", [])]
    unverified = config.account.mode == "live" and not config.account.verifies_webhooks
    voice_ready = not [n for n in ("api_key_sid", "api_key_secret", "twiml_app_sid") if not config.raw.get(n)]
    return {"connect": {"data": data, "fetched_at": fetched_at, "numbers": numbers, "services": services,
                        "whatsapp": whatsapp, "changes": _grouped(webhook_setup.changes()),
                        "voice_ready": voice_ready, "targets": to,
                        "unverified": str(UNVERIFIED) if unverified else ""}}


def _grouped(changes) -> list[dict]:
    """One line per number, service or created resource, with what each field pointed at before."""
    lines: dict[str, dict] = {}
    for change in sorted(changes, key=lambda c: c.id):
        line = lines.setdefault((change.owner_sid, change.resource_sid), {
            "id": change.id, "label": change.resource_label, "created": "", "what": [], "before": []})
        if change.field == webhook_setup.CREATED:
            line["created"] = gettext("Created %(what)s.",
                                      what=webhook_setup.created_label(change.resource_sid, change.resource_label))
            continue
        what = webhook_setup.what(change.field)
        line["what"].append(what)
        line["before"].append(gettext("%(what)s went to %(url)s", what=what, url=change.previous) if change.previous
                              else gettext("%(what)s went nowhere", what=what))
    for line in lines.values():
        line["what"] = webhook_setup.listed(line["what"]) if line["what"] else ""
        line["before"] = "; ".join(line["before"])
    return sorted(lines.values(), key=lambda line: -line["id"])


@bp.post("/credentials")
@about(access.ADMIN)
def credentials():
    """Save the Account SID and auth token (or an API key), check them with Twilio and fetch the account."""
    sid = request.form.get("account_sid", "").strip()
    token = request.form.get("auth_token", "").strip()
    key_sid = request.form.get("api_key_sid", "").strip()
    key_secret = request.form.get("api_key_secret", "").strip()
    stored = host_settings.stored(NAME)
    if (key_sid or key_secret) and not (key_sid and (key_secret or stored.get("api_key_secret"))):
        flash(gettext("Enter both the API key SID (SK…) and its secret (Twilio console → API keys)."), "error")
        return _back()
    has_key = bool(key_sid or (stored.get("api_key_sid") and stored.get("api_key_secret")))
    if not sid or not (token or stored.get("auth_token") or has_key):
        flash(gettext("Enter the Account SID and the auth token (Twilio console → Account info), or an API key."),
              "error")
        return _back()
    values = {"account_sid": sid, **({"auth_token": token} if token else {}),
              **({"api_key_sid": key_sid} if key_sid else {}), **({"api_key_secret": key_secret} if key_secret else {})}
    try:
        host_settings.update(NAME, values)
    except ValidationError as exc:
        flash(gettext("These credentials can't be used: %(reasons)s",
                      reasons=" ".join(host_settings.explain(NAME, exc.messages))), "error")
        return _back()
    result = check_credentials()
    if not result["ok"]:
        flash(result["message"], "error")
        return _back()
    return _fetch(result["message"])


@bp.post("/fetch")
@about(access.ADMIN)
def fetch():
    """Read the account's numbers, WhatsApp senders and Messaging Services again."""
    return _fetch("")


def _fetch(prefix: str):
    try:
        data = inventory.fetch()
    except TROUBLE as exc:
        flash(_twilio_trouble(exc), "error")
        return _back()
    # Three counts in one sentence: each is its own plural phrase, as each language counts differently.
    found = gettext("Found %(numbers)s, %(senders)s and %(services)s.",
                    numbers=ngettext("%(num)d phone number", "%(num)d phone numbers", len(data["numbers"])),
                    senders=ngettext("%(num)d WhatsApp sender", "%(num)d WhatsApp senders", len(data["whatsapp"])),
                    services=ngettext("%(num)d Messaging Service", "%(num)d Messaging Services",
                                      len(data["services"])))
    flash(" ".join(p for p in (prefix, found, gettext("Pick the ones Switchboard should answer.")) if p), "ok")
    return _back()


@bp.post("/apply")
@about(access.ADMIN)
def apply():
    """Point the picked numbers, senders and services here (and set up calls in the browser when asked)."""
    numbers = request.form.getlist("number_sid")
    services = request.form.getlist("service_sid")
    senders = request.form.getlist("sender_sid")
    voice = request.form.get("voice") == "on"
    if not (numbers or services or senders or voice):
        flash(gettext("Pick at least one number, WhatsApp sender or Messaging Service first."), "error")
        return _back()
    try:
        done = webhook_setup.connect(numbers, services, voice, senders)
    except TROUBLE as exc:
        log.warning("connecting Twilio numbers failed: %s", type(exc).__name__)
        flash(" ".join((_twilio_trouble(exc), gettext("What was changed before that is listed below and can be undone."))),
              "error")
        return _back()
    except ValidationError as exc:
        flash(gettext("The settings could not take the picked numbers: %(reasons)s",
                      reasons=" ".join(host_settings.explain(NAME, exc.messages))), "error")
        return _back()
    flash(" ".join(done) or gettext("Everything picked already points here."), "ok")
    return _back()


@bp.post("/undo")
@about(access.ADMIN)
def undo():
    """Put back what the numbers and services pointed at before (one resource, or all)."""
    ids = [int(i) for i in request.form.getlist("change_id") if i.isdigit()]
    try:
        done = webhook_setup.undo(ids or None)
    except TROUBLE as exc:
        flash(_twilio_trouble(exc), "error")
        return _back()
    flash(" ".join(done) or gettext("There was nothing to undo."), "ok")
    return _back()
