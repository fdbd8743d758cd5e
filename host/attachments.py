"""Files agents attach to replies: checked against the channel's rules, stored in the
database, handed to the provider as a signed URL that expires.

Providers fetch a message's media themselves (Twilio sends ``GET`` and ``HEAD`` to each
``MediaUrl`` and checks its ``Content-Type``), so each attachment has a public address,
``/media/<token>/<file name>``: the token is signed with the secret key and names the
attachment and when it was made; it works for :data:`LINK_LIFETIME` and answers 404
after, or when altered. It is made when the outbox sends the message, so a retry hours
later gets a fresh one. Agents read attachments through ``/api/v1/attachments/<id>``,
which follows the chat's visibility like every chat route.

Each channel says what it takes with a :class:`host.contracts.MediaRules` (adapter
attribute ``media_rules``); a channel without one takes no attachments. The rules are
checked when a file is uploaded and again, for the files together, when the reply is
queued, so nothing a provider would refuse is sent.
"""
from __future__ import annotations

from flask_babel import gettext
import re
import unicodedata
from urllib.parse import quote

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from host.extensions import db
from host.i18n import format_number
from host.models import Attachment, Chat

LINK_LIFETIME = 24 * 3600  # Twilio may queue a message for hours before fetching its media
_SALT = "switchboard.attachment"


class AttachmentRefused(ValueError):
    """The channel won't take this file (or these files); the text says why."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def safe_filename(name: str) -> str:
    """A name a phone shows well: no path, no spaces or special characters (Twilio asks
    for short plain names in ``Content-Disposition``), the extension kept."""
    name = unicodedata.normalize("NFKD", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = name.encode("ascii", "ignore").decode()
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).strip("_")[:60] or "attachment"
    ext = re.sub(r"[^A-Za-z0-9]+", "", ext)[:10]
    return f"{stem}.{ext}" if ext else stem


def rules_for(channel_key: str):
    adapter = current_app.extensions["switchboard"].enabled_channels().get(channel_key)
    return getattr(adapter, "media_rules", None), getattr(adapter, "label", channel_key)


def check(channel_key: str, files: list[tuple[str, str, int]]) -> None:
    """Raise :class:`AttachmentRefused` unless the channel takes these (name, type, size) files."""
    rules, label = rules_for(channel_key)
    if rules is None:
        raise AttachmentRefused(gettext("%(channel)s messages can't carry attachments. Send a link instead.",
                                        channel=label))
    problem = rules.problem(files)
    if problem:
        raise AttachmentRefused(problem)


def check_message(channel_key: str, media: list[dict]) -> None:
    """Raise :class:`AttachmentRefused` unless the channel takes a message carrying ``media``
    (uploaded files and links given by URL together).

    A link is checked for what is known of it before the provider fetches it: how many
    files there are and the type it was declared with (an undeclared type and its size
    are the provider's to judge). A channel without rules decides for itself when it sends.
    """
    rules, _ = rules_for(channel_key)
    if rules is None or not media:
        return
    files = [(m.get("filename") or _name_in(m.get("url", "")), m.get("content_type") or "", m.get("size") or 0)
             for m in media]
    declared = [f for f in files if f[1] not in ("", "application/octet-stream")]
    # Too many files is said first, whatever their types.
    problem = rules.problem(files if len(files) > rules.max_files else declared)
    if problem:
        raise AttachmentRefused(problem)


def _name_in(url: str) -> str:
    return url.split("?")[0].rstrip("/").rsplit("/", 1)[-1] or "the file"


def store(chat: Chat, agent, filename: str, content_type: str, data: bytes) -> Attachment:
    content_type = (content_type or "application/octet-stream").split(";")[0].strip().lower()
    name = safe_filename(filename)
    check(chat.channel, [(name, content_type, len(data))])
    attachment = Attachment(chat_id=chat.id, agent_id=agent.id if agent else None, filename=name,
                            content_type=content_type, size=len(data), data=data)
    db.session.add(attachment)
    db.session.commit()
    return attachment


def for_reply(chat: Chat, ids: list[int], channel_key: str | None = None) -> list[dict]:
    """The message ``media`` entries for attachments uploaded to this chat, checked
    together against the channel's rules."""
    if not ids:
        return []
    found = {a.id: a for a in db.session.execute(
        db.select(Attachment).where(Attachment.id.in_(ids), Attachment.chat_id == chat.id)).scalars()}
    missing = [i for i in ids if i not in found]
    if missing:
        raise AttachmentRefused(gettext("That attachment is gone or belongs to another chat. Attach the file again."))
    chosen = [found[i] for i in ids]
    check(channel_key or chat.channel, [(a.filename, a.content_type, a.size) for a in chosen])
    return [{"url": f"/api/v1/attachments/{a.id}", "content_type": a.content_type, "filename": a.filename,
             "size": a.size, "attachment_id": a.id} for a in chosen]


def public_url(attachment_id: int, filename: str = "") -> str:
    token = _serializer().dumps(attachment_id)
    base = current_app.config["SWITCHBOARD_PUBLIC_URL"].rstrip("/")
    return f"{base}/media/{token}/{quote(filename or 'file')}"


def from_token(token: str) -> Attachment | None:
    """The attachment a public link names, while the link is valid."""
    try:
        attachment_id = _serializer().loads(token, max_age=LINK_LIFETIME)
    except (SignatureExpired, BadSignature):
        return None
    return db.session.get(Attachment, attachment_id) if isinstance(attachment_id, int) else None


def readable_size(size: int) -> str:
    """"5.2 MB", "820 KB" with the request's decimal mark (1 MB = 1,000,000 bytes, as
    providers count)."""
    if size >= 1_000_000:
        return f"{format_number(size / 1_000_000, format='0.0')} MB"
    return f"{format_number(max(1, round(size / 1000)))} KB"
