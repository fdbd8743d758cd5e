"""What each LiveChat outbox row does when the worker runs it.

Every action is safe to run again after a crash or a retry: progress that LiveChat has
already accepted is written down before the next call (the chat id, each event id in
``payload["progress"]``), and events we post carry ``custom_id = "sb:<message id>"`` so
they are recognisable when LiveChat echoes them back.

Raise :class:`~plugins.livechat.client.LiveChatError` (retryable or not, as LiveChat said) or
:class:`SyncFailure` (final, in words); return to finish. The worker in
:mod:`.sync_queue` runs them and knows both.
"""
from __future__ import annotations

import mimetypes
from pathlib import PurePosixPath
from urllib.parse import urlparse

import httpx
from flask import current_app
from sqlalchemy.orm.attributes import flag_modified

from host.plugin_api import chats as host_chats, db, Agent, Chat, Group, Message
from plugins.livechat import identities, sync_failures
from plugins.livechat.client import LiveChatApi, LiveChatError
from plugins.livechat.models import LiveChatChat, LiveChatEvent, LiveChatSyncItem
from plugins.livechat.replies import send_reply
from plugins.livechat.settings import LiveChatSettings

MAX_FILE_BYTES = 10 * 1024 * 1024
CUSTOM_ID_PREFIX = "sb:"


class SyncFailure(Exception):
    """A final, readable failure of one sync item (no retry): one of
    :data:`~plugins.livechat.sync_failures.SENTENCES` with its values, stored in English."""

    def __init__(self, key: str, **values) -> None:
        self.key, self.values = key, values
        super().__init__(sync_failures.english(key, **values))


def perform(item: LiveChatSyncItem, config: LiveChatSettings, api: LiveChatApi) -> None:
    handler = ACTIONS.get(item.action)
    if handler is None:
        raise SyncFailure("unknown_action", action=repr(item.action))
    chat = db.session.get(Chat, item.chat_id)
    if chat is None:
        return  # the chat was deleted; nothing to mirror
    handler(Context(item, config, api, chat))


class Context:
    def __init__(self, item, config, api, chat):
        self.item, self.config, self.api, self.chat = item, config, api, chat
        self._link = None

    @property
    def payload(self) -> dict:
        return self.item.payload or {}

    def save_progress(self, **progress) -> None:
        payload = dict(self.item.payload or {})
        payload.setdefault("progress", {}).update(progress)
        self.item.payload = payload
        flag_modified(self.item, "payload")
        db.session.commit()

    @property
    def link(self) -> LiveChatChat:
        if self._link is None:
            self._link = link_for(self.chat)
        return self._link

    def token(self):
        if self.link.customer is None:
            self.link.customer = identities.customer_for(chat_view(self.chat))
        return identities.token_for(self.api, self.link.customer)

    def group(self) -> int:
        return self.config.lc_group_for(self.chat.group_id, self.chat.group.name if self.chat.group else None)

    def ensure_open(self, text: str | None = None, custom_id: str | None = None) -> list[str]:
        """Start or resume the LiveChat chat (with ``text`` as its first event); event ids."""
        link = self.link
        token = self.token()
        group = self.group()
        if link.lc_chat_id is None:
            started = self.api.start_chat(token, group, text=text, custom_id=custom_id)
            link.lc_chat_id, link.lc_thread_id, link.active, link.lc_group_id = (
                started.chat_id, started.thread_id, True, group)
            db.session.commit()
            return list(started.event_ids)
        if link.active:
            return [self.api.send_event(token, link.lc_chat_id, text, custom_id=custom_id)] if text else []
        try:
            resumed = self.api.resume_chat(token, link.lc_chat_id, group, text=text, custom_id=custom_id)
        except LiveChatError as exc:
            if exc.retryable or "active" not in exc.message.lower():
                raise
            link.active = True  # someone resumed it already
            db.session.commit()
            return [self.api.send_event(token, link.lc_chat_id, text, custom_id=custom_id)] if text else []
        link.lc_thread_id, link.active, link.lc_group_id = resumed.thread_id, True, group
        db.session.commit()
        return list(resumed.event_ids)

    def send(self, send_call, text: str | None = None, custom_id: str | None = None):
        """Run a send on the open chat; an inactive chat is resumed and the send repeated."""
        token = self.token()  # first: a replaced identity resets the link
        if not self.link.lc_chat_id or not self.link.active:
            self.ensure_open()
        try:
            return send_call(token, self.link.lc_chat_id)
        except LiveChatError as exc:
            if exc.type != "chat_inactive":
                raise
            self.link.active = False
            db.session.commit()
            self.ensure_open()
            return send_call(self.token(), self.link.lc_chat_id)

    def remember_event(self, event_id: str, message_id: int | None, direction: str) -> None:
        exists = db.session.execute(db.select(LiveChatEvent).where(
            LiveChatEvent.lc_chat_id == self.link.lc_chat_id, LiveChatEvent.lc_event_id == event_id)).scalar()
        if exists is None:
            db.session.add(LiveChatEvent(lc_chat_id=self.link.lc_chat_id, lc_thread_id=self.link.lc_thread_id,
                                         lc_event_id=event_id, message_id=message_id, direction=direction))
        db.session.commit()


def chat_view(chat: Chat) -> dict:
    return {"id": chat.id, "contact_id": chat.contact_id, "customer_address": chat.customer_address,
            "channel": chat.channel}


def link_for(chat: Chat) -> LiveChatChat:
    link = db.session.execute(db.select(LiveChatChat).where(LiveChatChat.chat_id == chat.id)).scalar_one_or_none()
    if link is None:
        customer = identities.customer_for(chat_view(chat))
        link = LiveChatChat(chat_id=chat.id, customer_id=customer.id)
        db.session.add(link)
        db.session.commit()
    return link


# --- actions ------------------------------------------------------------------------------

def open_chat(ctx: Context) -> None:
    """Start or resume the mirror (a chat started or reopened by the customer)."""
    if ctx.chat.status == "archived":
        return
    later_message = db.session.execute(db.select(LiveChatSyncItem.id).where(
        LiveChatSyncItem.chat_id == ctx.chat.id, LiveChatSyncItem.state == "pending",
        LiveChatSyncItem.action == "message", LiveChatSyncItem.id > ctx.item.id)).first()
    if later_message is not None:
        return  # the message opens the chat with its text: one call instead of two
    if not ctx.link.lc_chat_id or not ctx.link.active:
        ctx.ensure_open()


def copy_message(ctx: Context) -> None:
    """A customer message becomes a LiveChat event (text via send_event, MMS via upload_file)."""
    message = db.session.get(Message, ctx.payload.get("message_id"))
    if message is None:
        return
    progress = dict(ctx.payload.get("progress") or {})
    custom_id = f"{CUSTOM_ID_PREFIX}{message.id}"
    text = (message.body or "").strip()
    ctx.token()  # a valid identity first (a replaced one starts a new LiveChat chat)
    if text and not progress.get("text_event"):
        if not ctx.link.lc_chat_id or not ctx.link.active:
            ids = ctx.ensure_open(text=text, custom_id=custom_id)
            event_id = ids[0] if ids else None
        else:
            event_id = ctx.send(lambda token, chat_id: ctx.api.send_event(token, chat_id, text, custom_id=custom_id))
        if event_id:
            ctx.remember_event(event_id, message.id, "in")
        ctx.save_progress(text_event=event_id or "sent")
    for index, media in enumerate(message.media or []):
        if index < int(progress.get("files", 0)):
            continue
        event_id = _copy_file(ctx, media, custom_id)
        if event_id:
            ctx.remember_event(event_id, message.id if not text and index == 0 else None, "in")
        ctx.save_progress(files=index + 1)
    if not text and not message.media and (not ctx.link.lc_chat_id or not ctx.link.active):
        ctx.ensure_open()


def _copy_file(ctx: Context, media: dict, custom_id: str) -> str | None:
    url = str(media.get("url") or "")
    content_type = media.get("content_type") or "application/octet-stream"
    try:
        content = fetch_media(url, ctx.chat)
    except _MediaUnavailable as exc:
        link = current_app.config["SWITCHBOARD_PUBLIC_URL"].rstrip("/") + url if url.startswith("/") else url
        note = f"[An attachment could not be copied to LiveChat ({exc}): {link}]"
        return ctx.send(lambda token, chat_id: ctx.api.send_event(token, chat_id, note, custom_id=custom_id))
    name = PurePosixPath(urlparse(url).path).name or "attachment"
    if "." not in name:
        name += mimetypes.guess_extension(content_type.split(";")[0].strip()) or ""
    token = ctx.token()
    file_url = ctx.api.upload_file(token, name, content, content_type)
    return ctx.send(lambda token, chat_id: ctx.api.send_file(token, chat_id, file_url, custom_id=custom_id))


class _MediaUnavailable(Exception):
    pass


def fetch_media(url: str, chat: Chat | None = None) -> bytes:
    """Download an attachment (≤ 10 MB). Network faults and 5xx are retried by the outbox.

    A path on this app (e.g. the Twilio plugin's ``/twilio/media/…`` proxy, which fetches
    from Twilio with the account's credentials) is requested in-process, as the chat's
    agent or an admin, through the app's normal routing and guards.
    """
    if url.startswith("/") and not url.startswith("//"):
        return _fetch_from_this_app(url, chat)
    transport = current_app.config.get("SWITCHBOARD_LIVECHAT_MEDIA_TRANSPORT")
    try:
        with httpx.Client(transport=transport, timeout=30, follow_redirects=True) as http:
            with http.stream("GET", url) as response:
                if response.status_code >= 500 or response.status_code == 429:
                    raise LiveChatError("media_unavailable", f"the attachment host answered HTTP "
                                        f"{response.status_code}", response.status_code, True, action="upload_file")
                if response.status_code >= 400:
                    raise _MediaUnavailable(f"HTTP {response.status_code}")
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > MAX_FILE_BYTES:
                        raise _MediaUnavailable("larger than LiveChat's 10 MB limit")
                    chunks.append(chunk)
                return b"".join(chunks)
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
        raise _MediaUnavailable("not a downloadable URL") from exc
    except httpx.TransportError as exc:
        raise LiveChatError("media_unavailable", f"the attachment could not be downloaded ({type(exc).__name__})",
                            None, True, action="upload_file") from exc


def _fetch_from_this_app(path: str, chat: Chat | None) -> bytes:
    from host.plugin_api.signin import request_as

    agent = chat.agent if chat is not None and chat.agent is not None and chat.agent.is_active else None
    agent = agent or db.session.execute(db.select(Agent).where(
        Agent.role == "admin", Agent.is_active_agent.is_(True)).order_by(Agent.id)).scalars().first()
    if agent is None:
        raise _MediaUnavailable("no agent may open it")
    app = current_app._get_current_object()
    with request_as(agent, path, base_url=app.config["SWITCHBOARD_PUBLIC_URL"]):
        response = app.full_dispatch_request()
        status, content = response.status_code, response.get_data()
    if status >= 500 or status == 429:
        raise LiveChatError("media_unavailable", f"the attachment proxy answered HTTP {status}", status, True,
                            action="upload_file")
    if status >= 300:
        raise _MediaUnavailable(f"HTTP {status}")
    if len(content) > MAX_FILE_BYTES:
        raise _MediaUnavailable("larger than LiveChat's 10 MB limit")
    return content


def update_customer(ctx: Context) -> None:
    """Name and email of the contact (LiveChat applies them once an active chat ends)."""
    name = (ctx.payload.get("name") or "").strip() or None
    email = (ctx.payload.get("email") or "").strip() or None
    customer = ctx.link.customer or identities.customer_for(chat_view(ctx.chat))
    if name == customer.pushed_name:
        name = None
    if email == customer.pushed_email:
        email = None
    if name is None and email is None:
        return
    try:
        ctx.api.update_customer(ctx.token(), name=name, email=email)
    except LiveChatError as exc:
        if exc.type == "validation":
            raise SyncFailure("details_refused", detail=exc.message) from exc
        raise
    if name is not None:
        customer.pushed_name = name
    if email is not None:
        customer.pushed_email = email
    db.session.commit()


def transfer(ctx: Context) -> None:
    """Follow a Switchboard transfer in LiveChat (active chats only; LiveChat's rule)."""
    link = ctx.link
    if not link.lc_chat_id or not link.active:
        return  # nothing to move now; a resume uses the chat's current group
    agent = db.session.get(Agent, ctx.payload["to_agent_id"]) if ctx.payload.get("to_agent_id") else None
    group = db.session.get(Group, ctx.payload["to_group_id"]) if ctx.payload.get("to_group_id") else None
    try:
        if agent is not None:
            try:
                ctx.api.transfer_chat(link.lc_chat_id, "agent", [agent.email])
                return
            except LiveChatError as exc:
                if exc.retryable or exc.type == "chat_inactive":
                    raise
                # LiveChat does not know this agent (or refuses them): move the chat to their group.
                group = group or (agent.groups[0] if agent.groups else None)
                if group is None:
                    raise SyncFailure("transfer_refused", agent=agent.email, detail=exc.message) \
                        from exc
        if group is None:
            return
        mapped = ctx.config.group_mapping or {}
        if group.name not in mapped and str(group.id) not in mapped:
            raise SyncFailure("group_not_mapped", group=group.name)
        lc_group = ctx.config.lc_group_for(group.id, group.name)
        ctx.api.transfer_chat(link.lc_chat_id, "group", [lc_group])
        link.lc_group_id = lc_group
        db.session.commit()
    except LiveChatError as exc:
        if exc.type != "chat_inactive":
            raise
        link.active = False
        db.session.commit()


def deactivate(ctx: Context) -> None:
    """Close the LiveChat chat when the Switchboard chat was archived."""
    link = ctx.link
    if not link.lc_chat_id or ctx.chat.status != "archived":
        return  # never mirrored, or reopened since: LiveChat's chat stays open
    try:
        ctx.api.deactivate_chat(link.lc_chat_id)
    except LiveChatError as exc:
        if exc.type != "chat_inactive":
            raise
    link.active = False
    db.session.commit()


def mark_delivered(ctx: Context) -> None:
    """Write Twilio's "delivered" onto the LiveChat agent's event (``status.delivered``)."""
    event = db.session.get(LiveChatEvent, ctx.payload.get("event_row_id"))
    if event is None or event.delivered:
        return
    try:
        ctx.api.mark_delivered(event.lc_chat_id, event.lc_thread_id, event.lc_event_id)
    except LiveChatError as exc:
        if exc.type == "not_found":
            raise SyncFailure("event_gone") from exc
        raise
    event.delivered = True
    db.session.commit()


def agents_note(ctx: Context) -> None:
    """An agents-only note in the LiveChat chat (``visibility: agents``), e.g. why a LiveChat
    agent's reply did not reach the customer. LiveChat lets only users of a chat write in it,
    so the integration's agent joins it first, visible to agents only."""
    link = ctx.link
    if not link.lc_chat_id:
        return  # never mirrored: there is no LiveChat chat to write in
    text = str(ctx.payload.get("text") or "")[:4000]
    author = integration_agent_id(ctx.api, ctx.config)
    try:
        ctx.api.add_user_to_chat(link.lc_chat_id, author, visibility="agents")
    except LiveChatError as exc:
        if exc.retryable or exc.status in (401, 403):
            raise
        if exc.type == "chat_inactive":
            raise SyncFailure("chat_closed", text=text) from exc
        # otherwise (e.g. already a user of the chat) the note can still be written
    try:
        ctx.api.send_agent_event(link.lc_chat_id, text, visibility="agents", custom_id=f"{CUSTOM_ID_PREFIX}note:{ctx.item.id}")
    except LiveChatError as exc:
        if exc.type == "chat_inactive":
            raise SyncFailure("chat_closed", text=text) from exc
        raise


def integration_agent_id(api: LiveChatApi, config: LiveChatSettings) -> str:
    """The LiveChat agent id (email) of the account the agent token belongs to, asked once per token."""
    cache = current_app.extensions.setdefault("livechat.integration_agent", {})
    if config.agent_token not in cache:
        email = str(api.my_account().get("email") or "").strip()
        if not email:
            raise SyncFailure("account_unknown")
        cache.clear()
        cache[config.agent_token] = email
    return cache[config.agent_token]


def deliver_reply(ctx: Context) -> None:
    """A LiveChat agent's reply that could not go out at once (e.g. the chat was archived)."""
    try:
        send_reply(ctx.chat, ctx.payload)
    except host_chats.ChatError as exc:
        raise SyncFailure("reply_not_sent", reason=str(exc)) from exc


ACTIONS = {
    "open": open_chat,
    "message": copy_message,
    "update_customer": update_customer,
    "transfer": transfer,
    "deactivate": deactivate,
    "mark_delivered": mark_delivered,
    "reply": deliver_reply,
    "note": agents_note,
}
