"""Pages of the Twilio plugin: the media proxy and the admin "Connect Twilio" page (with
the WhatsApp templates and their approval).

Both need a signed-in agent (the host's guard); the admin page also needs the admin role.
"""
from __future__ import annotations

import logging

import requests
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user
from twilio.base.exceptions import TwilioException

from host.plugin_api import access, db, Message
from host.plugin_api.access import about

from plugins.twilio_channel.account import subaccounts as accounts

from plugins.twilio_channel.messaging import templates as content_templates
from plugins.twilio_channel.messaging import media as inbound_media
from plugins.twilio_channel.client import CredentialsMissing, twilio_client
from plugins.twilio_channel.models import InboundMedia
from plugins.twilio_channel.settings import NAME, load_config
from plugins.twilio_channel.account.checks import check_credentials, webhook_urls
from plugins.twilio_channel.transport import fetch_media
from plugins.twilio_channel.voice.calls import MEDIA_PATH

log = logging.getLogger(__name__)

bp = Blueprint("twilio_channel_pages", __name__, template_folder="templates")

# Shown inline in the console; anything else is offered as a download so a hostile
# attachment (HTML, SVG with script) can never run on our origin.
INLINE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp", "audio/", "video/", "application/pdf")


@bp.app_template_global("twilio_setup")
def twilio_setup() -> dict:
    """For the host's plugin settings page, which includes ``twilio_channel_settings_extra.html``."""
    return webhook_urls()


def _media_visible(agent, message_sid) -> bool:
    message = _media_message(message_sid)
    return message is not None and access.may_see_chat(agent, message.chat)


def _media_message(message_sid: str) -> Message | None:
    return db.session.execute(db.select(Message).where(
        Message.external_id == message_sid, Message.channel.in_(("sms", "whatsapp", "voice")))).scalars().first()


access.register_check(access.MEDIA, _media_visible)


@bp.get("/twilio/media/<message_sid>/<int:position>")
@about(access.MEDIA, "message_sid")
def media(message_sid: str, position: int):
    """Stream an inbound attachment (or a voicemail), fetched from Twilio with the account's credentials."""
    message = _media_message(message_sid)
    if message is None or not access.may_see_chat(current_user, message.chat):
        abort(404)
    ref = db.session.execute(db.select(InboundMedia).where(
        InboundMedia.message_sid == message_sid, InboundMedia.position == position)).scalar_one_or_none()
    if ref is None:
        abort(404)
    try:
        account = inbound_media.owner(ref.url)
        client = twilio_client(account)
        download = fetch_media(client.http_client, ref.url, account.rest_auth)
    except (CredentialsMissing, TwilioException, requests.RequestException, ValueError,
            accounts.AccountUnavailable) as exc:
        log.warning("media %s/%s could not be fetched: %s", message_sid, position, type(exc).__name__)
        abort(502, description=gettext("The attachment could not be fetched from Twilio. Try again later."))
    if download.status >= 400:
        abort(404 if download.status == 404 else 502,
              description=gettext("Twilio answered %(status)s for this attachment.", status=download.status))
    content_type = (ref.content_type or download.content_type or "application/octet-stream").split(";")[0]
    entry = _learn_size(message, position, len(download.content))
    name = inbound_media.download_name(message_sid, position, content_type, entry.get("filename", ""))
    inline = content_type.startswith(INLINE_TYPES) and not request.args.get("download")
    response = Response(download.content, content_type=content_type)
    response.headers["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{name}"'
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


def _learn_size(message: Message, position: int, size: int) -> dict:
    """The message's entry for this file, its size filled in when Twilio's storage didn't say
    it when the message came (the transcript shows it from then on)."""
    entries = list(message.media or [])
    path = MEDIA_PATH.format(sid=message.external_id, position=position)
    index = next((i for i, e in enumerate(entries) if e.get("url") == path), None)
    if index is None:
        return {}
    if entries[index].get("size") is None:
        entries[index] = {**entries[index], "size": size}
        message.media = entries  # a new list, so the JSON column is written
        db.session.commit()
    return entries[index]


@bp.route("/twilio/admin", methods=["GET", "POST"])
@about(access.ADMIN)
def admin():
    """Webhook URLs to paste into Twilio, the mode, and a "Test credentials" button."""
    if not current_user.is_admin:
        abort(403, description=gettext("Only administrators can open the Twilio set-up page."))
    result = None
    if request.method == "POST":
        result = check_credentials()
        flash(result["message"], "ok" if result["ok"] else "error")
        back = request.form.get("back", "")
        local = back.startswith("/") and not back.startswith("//")  # never an open redirect
        return redirect(back if local else url_for("twilio_channel_pages.admin"))
    templates, templates_error = [], None
    try:
        templates = [content_templates.describe(t) for t in content_templates.catalogue()]
    except content_templates.TemplatesUnavailable as exc:
        templates_error = gettext("The templates could not be listed: %(error)s", error=exc)
    from plugins.twilio_channel.account.routes import context as connect_context

    return render_template("twilio_channel_admin.html", page="admin", section="plugins", urls=webhook_urls(),
                           config=load_config(), plugin=NAME, result=result, templates=templates,
                           templates_error=templates_error, **connect_context())


@bp.post("/twilio/admin/templates")
@about(access.ADMIN)
def refresh_templates():
    """Read the template catalogue from Twilio again (admins)."""
    if not current_user.is_admin:
        abort(403, description=gettext("Only administrators can refresh the templates."))
    try:
        count = len(content_templates.refresh())
        flash(ngettext("Read %(num)d template from Twilio.", "Read %(num)d templates from Twilio.", count), "ok")
    except content_templates.TemplatesUnavailable as exc:
        flash(gettext("The templates could not be read: %(error)s", error=exc), "error")
    return redirect(url_for("twilio_channel_pages.admin") + "#twilio-templates")
