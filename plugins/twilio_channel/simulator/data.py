"""What the simulator answers with: Twilio's JSON shapes, demo templates, keywords.

Shapes follow Twilio's API reference (Message resource of the 2010 API, Content v1
list page, Account resource); dates in the 2010 API are RFC 2822, in v1 ISO 8601.
"""
from __future__ import annotations

import json
import re
from datetime import UTC
from email.utils import format_datetime

import phonenumbers

# Twilio's own answers to its keywords (the keyword lists are in ``keywords``).
REPLIES = {
    "STOP": "You have successfully been unsubscribed. You will not receive any more messages from "
            "this number. Reply START to resubscribe.",
    "START": "You have successfully been re-subscribed to messages from this number. Reply HELP for "
             "help. Reply STOP to unsubscribe. Msg&Data Rates May Apply.",
    "HELP": "Reply STOP to unsubscribe. Msg&Data Rates May Apply.",
}

# Twilio's magic test numbers (https://www.twilio.com/docs/iam/test-credentials).
MAGIC_NUMBERS = {
    "+15005550001": (21211, "The 'To' number +15005550001 is not a valid phone number."),
    "+15005550004": (21610, "Attempt to send to unsubscribed recipient"),
    "+15005550009": (21614, "'To' number is not a valid mobile number"),
}

# The simulator account's Content API templates with their WhatsApp approval
# ("status" as Twilio's ApprovalRequests name it; see content_templates).
TEMPLATES = [
    {"sid": "HX" + "0" * 31 + "1", "friendly_name": "order_shipped", "language": "en",
     "variables": {"1": "Alex", "2": "#4411"}, "status": "approved", "category": "UTILITY",
     "body": "Hi {{1}}, good news: your order {{2}} has shipped. Reply here if you have any questions."},
    {"sid": "HX" + "0" * 31 + "2", "friendly_name": "follow_up", "language": "en",
     "variables": {"1": "Alex"}, "status": "approved", "category": "UTILITY",
     "body": "Hi {{1}}, we tried to reach you about your request. Reply to this message to continue."},
    {"sid": "HX" + "0" * 31 + "3", "friendly_name": "appointment_reminder", "language": "en",
     "variables": {"1": "Tuesday", "2": "10:00"}, "status": "approved", "category": "UTILITY",
     "body": "Reminder: your appointment is on {{1}} at {{2}}. Reply YES to confirm."},
    {"sid": "HX" + "0" * 31 + "4", "friendly_name": "holiday_offer", "language": "en",
     "variables": {"1": "Alex"}, "status": "rejected", "category": "MARKETING",
     "rejection_reason": "The template is promotional but was submitted in the UTILITY category.",
     "body": "Hi {{1}}, enjoy 20% off everything this week only!"},
    {"sid": "HX" + "0" * 31 + "5", "friendly_name": "order_update_v2", "language": "en",
     "variables": {"1": "#4411"}, "status": "pending", "category": "UTILITY",
     "body": "Your order {{1}} has an update. Reply to see it."},
    {"sid": "HX" + "0" * 31 + "6", "friendly_name": "welcome_draft", "language": "en",
     "variables": {}, "status": "unsubmitted", "body": "Welcome! We're glad you're here."},
]


def valid_number(number: str) -> bool:
    try:
        return phonenumbers.is_possible_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        return False


def render_template(template: dict | None, variables) -> str:
    """What Twilio sends for a template: its body with the variables filled in."""
    if template is None:
        return ""
    try:
        values = json.loads(variables) if isinstance(variables, str) and variables else dict(variables or {})
    except (TypeError, ValueError):
        values = {}
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: str(values.get(m.group(1), m.group(0))), template["body"])


def _rfc2822(moment) -> str | None:
    return format_datetime(moment.replace(tzinfo=UTC)) if moment else None


def _iso(moment) -> str | None:
    return moment.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z") if moment else None


def message_json(row, account_sid: str) -> dict:
    uri = f"/2010-04-01/Accounts/{account_sid}/Messages/{row.sid}"
    return {
        "account_sid": account_sid, "api_version": "2010-04-01", "body": row.body,
        "date_created": _rfc2822(row.created_at), "date_sent": None,
        "date_updated": _rfc2822(row.updated_at or row.created_at),
        "direction": row.direction, "error_code": int(row.error_code) if row.error_code else None,
        "error_message": None, "from": row.from_address, "messaging_service_sid": row.messaging_service_sid,
        "num_media": str(len(row.media or [])), "num_segments": "1", "price": None, "price_unit": "USD",
        "sid": row.sid, "status": row.status, "to": row.to_address, "uri": uri + ".json",
        "subresource_uris": {"media": uri + "/Media.json", "feedback": uri + "/Feedback.json"},
    }


def account_json(account_sid: str) -> dict:
    uri = f"/2010-04-01/Accounts/{account_sid}"
    return {"sid": account_sid, "owner_account_sid": account_sid, "friendly_name": "Switchboard simulator",
            "status": "active", "type": "Full", "date_created": "Mon, 02 Jan 2023 10:00:00 +0000",
            "date_updated": "Mon, 02 Jan 2023 10:00:00 +0000", "auth_token": None, "uri": uri + ".json",
            "subresource_uris": {"messages": uri + "/Messages.json"}}


def content_json(template: dict, account_sid: str) -> dict:
    url = f"https://content.twilio.com/v1/Content/{template['sid']}"
    return {"sid": template["sid"], "account_sid": account_sid, "friendly_name": template["friendly_name"],
            "language": template["language"], "variables": template["variables"],
            "types": {"twilio/text": {"body": template["body"]}},
            "date_created": "2023-01-02T10:00:00Z", "date_updated": "2023-01-02T10:00:00Z", "url": url,
            "links": {"approval_fetch": url + "/ApprovalRequests",
                      "approval_create": url + "/ApprovalRequests/whatsapp"}}


def approval_json(template: dict) -> dict:
    """The WhatsApp approval as ContentAndApprovals lists it (the flat shape of Twilio's
    OpenAPI description); ApprovalRequests wraps the same under ``whatsapp``."""
    return {"name": template["friendly_name"], "category": template.get("category", ""),
            "content_type": "twilio/text", "status": template.get("status", "unsubmitted"),
            "rejection_reason": template.get("rejection_reason", ""), "allow_category_change": True}


def approval_fetch_json(template: dict, account_sid: str) -> dict:
    url = f"https://content.twilio.com/v1/Content/{template['sid']}/ApprovalRequests"
    return {"sid": template["sid"], "account_sid": account_sid, "url": url,
            "whatsapp": {"type": "whatsapp", **approval_json(template), "flows": None}}


def page_of(templates: list, account_sid: str, params: dict, resource: str, with_approvals: bool) -> dict:
    """One page of a Content list, with Twilio's absolute next-page link."""
    size = max(1, min(int(params.get("PageSize") or 50), 1000))
    page = max(0, int(params.get("Page") or 0))
    chunk = templates[page * size:(page + 1) * size]
    base = f"https://content.twilio.com/v1/{resource}?PageSize={size}"
    more = (page + 1) * size < len(templates)
    contents = []
    for template in chunk:
        item = content_json(template, account_sid)
        if with_approvals:
            item["approval_requests"] = approval_json(template)
        contents.append(item)
    return {"contents": contents,
            "meta": {"page": page, "page_size": size, "first_page_url": f"{base}&Page=0",
                     "previous_page_url": f"{base}&Page={page - 1}&PageToken=PB{page}" if page else None,
                     "url": f"{base}&Page={page}",
                     "next_page_url": f"{base}&Page={page + 1}&PageToken=PA{page + 1}" if more else None,
                     "key": "contents"}}
