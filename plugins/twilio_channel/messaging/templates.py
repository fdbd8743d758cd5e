"""WhatsApp templates from Twilio's Content API, with their approval, kept as a catalogue.

Outside WhatsApp's 24-hour window only templates WhatsApp approved are delivered: Twilio
accepts any other and fails it later with 63016. So the picker offers only templates
approved for WhatsApp; the admin page lists the rest with their status (draft, pending,
rejected and why).

* The catalogue is read from ``GET content.twilio.com/v1/ContentAndApprovals`` — the
  templates and their approval in one list — every page of it
  (https://www.twilio.com/docs/content/content-api-resources), through the twilio
  client's ``content.v1.content_and_approvals``. A template the catalogue doesn't know
  yet (made after the last refresh) is fetched on its own with
  ``contents(sid).fetch()`` and ``contents(sid).approval_fetch()``.
* It is kept in ``twilio_content_templates`` (every process shares it, restarts keep it)
  and read again when it is older than ``MAX_AGE`` or someone asks for a refresh.
* Twilio has answered the approval in two shapes: a flat object (the OpenAPI
  description of ContentAndApprovals) and one under a ``whatsapp`` key (the
  ApprovalRequests resource); :func:`whatsapp_approval` reads both.

A template's text is ``types[…].body`` with ``{{1}}``-style placeholders; :func:`render`
fills them the way Twilio does, so the message stores what the customer received.
"""
from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from collections.abc import Mapping

import requests
from flask_babel import gettext, lazy_gettext
from sqlalchemy.exc import IntegrityError
from twilio.base.exceptions import TwilioException, TwilioRestException

from host.plugin_api import db, utcnow

from plugins.twilio_channel.client import CredentialsMissing, twilio_client
from plugins.twilio_channel.models import ContentTemplate, TemplateCatalogue
from plugins.twilio_channel.settings import Account, load_config

MAX_AGE = timedelta(minutes=10)
PAGE_SIZE = 100
STATUS_LABELS = {"approved": lazy_gettext("Approved"), "pending": lazy_gettext("Waiting for WhatsApp"),
                 "received": lazy_gettext("Waiting for WhatsApp"), "rejected": lazy_gettext("Rejected"),
                 "paused": lazy_gettext("Paused by WhatsApp"), "disabled": lazy_gettext("Disabled by WhatsApp"),
                 "unsubmitted": lazy_gettext("Not submitted")}
_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


class TemplatesUnavailable(Exception):
    """Twilio could not be asked (not set up, refused, unreachable); the sentence says which."""

    def __init__(self, message: str, status: int = 502):
        super().__init__(message)
        self.status = status


def whatsapp_approval(approval: Any) -> tuple[str, str, str]:
    """(status, category, rejection reason) of a template's WhatsApp approval."""
    if isinstance(approval, Mapping) and isinstance(approval.get("whatsapp"), Mapping):
        approval = approval["whatsapp"]
    if not isinstance(approval, Mapping) or not approval.get("status"):
        return "unsubmitted", "", ""
    return (str(approval["status"]).strip().lower(), str(approval.get("category") or ""),
            str(approval.get("rejection_reason") or ""))


def body_of(types: Mapping[str, Any] | None) -> str:
    # Plain text first; other content types (quick replies, cards, media) carry a body too.
    types = types or {}
    for key in ("twilio/text", *sorted(types)):
        value = types.get(key)
        if isinstance(value, Mapping) and isinstance(value.get("body"), str):
            return value["body"]
    return ""


def render(template: ContentTemplate, variables: Mapping[str, Any] | None) -> str:
    """The text the customer receives: placeholders filled, unknown ones left as they are."""
    values = {str(k): str(v) for k, v in (variables or {}).items()}
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template.body)


def _row(account_sid: str, sid: str, content, approval) -> dict:
    status, category, reason = whatsapp_approval(approval)
    types = dict(content.types or {})
    return {"account_sid": account_sid, "sid": sid, "friendly_name": (content.friendly_name or "")[:200],
            "language": (content.language or "")[:20], "variables": dict(content.variables or {}),
            "body": body_of(types), "types": sorted(types), "whatsapp_status": status[:20],
            "whatsapp_category": category[:40], "rejection_reason": reason, "fetched_at": utcnow()}


def _asking_twilio(work, account: Account | None):
    """Run ``work(client)``, turning what can go wrong into :class:`TemplatesUnavailable`."""
    account = account or load_config().account
    try:
        return account, work(twilio_client(account))
    except CredentialsMissing as exc:
        raise TemplatesUnavailable(str(exc), 409) from exc
    except TwilioRestException as exc:
        raise TemplatesUnavailable(gettext("Twilio refused to list templates (HTTP %(status)s): %(reason)s",
                                           status=exc.status, reason=exc.msg)) from exc
    except (TwilioException, requests.RequestException, OSError, ValueError) as exc:
        raise TemplatesUnavailable(gettext("Templates could not be loaded from Twilio (%(error)s). Try again.",
                                           error=type(exc).__name__)) from exc


def read_catalogue(client) -> list[dict]:
    """Every template with its WhatsApp approval, from every page of ContentAndApprovals."""
    return [_row(None, c.sid, c, c.approval_requests)
            for c in client.content.v1.content_and_approvals.stream(page_size=PAGE_SIZE)]


def read_one(client, sid: str) -> dict | None:
    """One template and its approval (``contents(sid)`` and its ApprovalRequests); None if unknown."""
    context = client.content.v1.contents(sid)
    try:
        content = context.fetch()
    except TwilioRestException as exc:
        if exc.status == 404:
            return None
        raise
    return _row(None, sid, content, context.approval_fetch().fetch().whatsapp)


def refresh(account: Account | None = None) -> list[ContentTemplate]:
    """Read every page of the account's templates with their approval; replace the catalogue."""
    account, rows = _asking_twilio(read_catalogue, account)
    db.session.execute(db.delete(ContentTemplate).where(ContentTemplate.account_sid == account.sid))
    for row in rows:
        db.session.add(ContentTemplate(**{**row, "account_sid": account.sid}))
    marker = db.session.get(TemplateCatalogue, account.sid) or TemplateCatalogue(account_sid=account.sid)
    marker.refreshed_at = utcnow()
    db.session.add(marker)
    try:
        db.session.commit()
    except IntegrityError:  # another process refreshed at the same moment: theirs is as good
        db.session.rollback()
    return _stored(account)


def _stored(account: Account) -> list[ContentTemplate]:
    return list(db.session.execute(db.select(ContentTemplate).where(ContentTemplate.account_sid == account.sid)
                                   .order_by(ContentTemplate.friendly_name, ContentTemplate.sid)).scalars())


def catalogue(fresh: bool = False, account: Account | None = None) -> list[ContentTemplate]:
    """Every template of the account (cached; ``fresh`` reads Twilio again). A template
    belongs to one account: a subaccount's senders use the subaccount's templates."""
    account = account or load_config().account
    marker = db.session.get(TemplateCatalogue, account.sid) if account.sid else None
    if fresh or marker is None or marker.refreshed_at < utcnow() - MAX_AGE:
        return refresh(account)
    return _stored(account)


def approved_for_whatsapp(fresh: bool = False, account: Account | None = None) -> list[ContentTemplate]:
    return [t for t in catalogue(fresh, account) if t.approved]


def find(sid: str, account: Account | None = None) -> ContentTemplate | None:
    """The template with this SID (fetched on its own when the catalogue doesn't have it
    yet); None when the account has no such template. Raises TemplatesUnavailable."""
    account = account or load_config().account
    known = db.session.get(ContentTemplate, (account.sid, sid)) if account.sid else None
    if known is not None:
        return known

    account, row = _asking_twilio(lambda client: read_one(client, sid), account)
    if row is None:
        return None
    template = db.session.merge(ContentTemplate(**{**row, "account_sid": account.sid}))
    db.session.commit()
    return template


def describe(template: ContentTemplate) -> dict:
    """A template for the API: what the picker and the admin page show."""
    return {"sid": template.sid, "friendly_name": template.friendly_name, "language": template.language,
            "variables": dict(template.variables or {}), "body": template.body, "types": list(template.types or []),
            "status": template.whatsapp_status,
            "status_label": STATUS_LABELS.get(template.whatsapp_status, template.whatsapp_status.capitalize()),
            "category": template.whatsapp_category, "rejection_reason": template.rejection_reason}
