"""The LiveChat API client: a typed wrapper around lc-sdk-python for the Platform API v3.6,
one per app and set of credentials (:func:`api_for`).

The SDK builds the requests; this module adds what the SDK leaves to its caller:

* every call checks ``status_code`` and turns the documented error envelope
  ``{"error": {"type", "message", "data"?}}`` into :class:`LiveChatError`
  (the SDK returns raw ``httpx.Response`` objects and never raises);
* logging of the SDK stays off (with it on, it logs the ``Authorization`` header),
  and tokens are scrubbed from anything that reaches an exception message;
* region routing: tokens carry a ``dal:``/``fra:`` prefix and the API wants a matching
  ``X-Region`` header; a ``misdirected_request`` answer is retried once with the
  region the API names;
* one Customer Chat client serves every customer identity: the customer token goes in
  per request instead of building an SDK client (and its HTTP pool) per phone number.

The accounts service call (agent-token grant for customer tokens) is not in the SDK and is
made with httpx through the same transport.

Tests (and the offline demo) route every LiveChat call to a fake through app config:
``SWITCHBOARD_LIVECHAT_TRANSPORT`` is an httpx transport (e.g.
``httpx.WSGITransport(app=FakeLiveChat())``); production leaves it unset and the SDK talks
to LiveChat. ``SWITCHBOARD_LIVECHAT_ACCOUNTS_URL`` moves the accounts service (used by the
browser's "Sign in with LiveChat" popup too).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, UTC
from typing import Any, Literal
from collections.abc import Callable, Mapping, Sequence

import httpx
from flask import current_app
from livechat.agent.web.api.v36 import AgentWebV36
from livechat.configuration.api.v36 import ConfigurationApiV36
from livechat.customer.web.api.v36 import CustomerWebV36

from plugins.livechat.scopes import for_call
from plugins.livechat.settings import LiveChatSettings

log = logging.getLogger(__name__)

API_VERSION = "3.6"
API_HOST = "api.livechatinc.com"
ACCOUNTS_URL = "https://accounts.livechat.com"
CUSTOMER_TOKEN_LIFETIME = 28_800  # seconds, the documented default when expires_in is absent
RETRYABLE_TYPES = frozenset({"too_many_requests", "internal", "service_unavailable", "request_timeout"})
REGIONS = frozenset({"dal", "fra"})


class LiveChatError(Exception):
    """A LiveChat call that did not succeed.

    ``type`` is the API's error type (``chat_inactive``, ``authorization``, ``validation``,
    ``too_many_requests`` …) or ``connection_error``/``request_timeout`` when LiveChat could
    not be reached. ``retryable`` is true for 429, 5xx and transport failures: the outbox
    worker retries those with backoff and treats everything else as final.
    """

    def __init__(
        self,
        type: str,  # noqa: A002 - the API calls it "type"
        message: str,
        status: int | None = None,
        retryable: bool = False,
        *,
        action: str | None = None,
        data: Mapping[str, Any] | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.type = type
        self.message = message
        self.status = status
        self.retryable = retryable
        self.action = action
        self.data = dict(data or {})
        self.retry_after = retry_after
        super().__init__(type, message, status, retryable)

    def __str__(self) -> str:
        where = f"LiveChat {self.action}" if self.action else "LiveChat call"
        status = f", HTTP {self.status}" if self.status else ""
        return f"{where} failed: {self.message} ({self.type}{status})"


@dataclass(frozen=True)
class CustomerToken:
    """A customer identity's access token (agent-token grant). The token never shows in repr."""

    access_token: str = field(repr=False)
    entity_id: str
    expires_at: datetime

    def expires_soon(self, margin: timedelta = timedelta(minutes=5), now: datetime | None = None) -> bool:
        return (now or datetime.now(UTC)) + margin >= self.expires_at


@dataclass(frozen=True)
class StartedChat:
    chat_id: str
    thread_id: str
    event_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResumedChat:
    thread_id: str
    event_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ArchivePage:
    chats: list[dict[str, Any]]
    found_chats: int
    next_page_id: str | None = None


@dataclass(frozen=True)
class Webhook:
    id: str
    action: str
    url: str
    type: str
    owner_client_id: str
    filters: dict[str, Any] = field(default_factory=dict)
    description: str | None = None
    secret_key: str | None = field(default=None, repr=False)


TokenLike = CustomerToken | str
Send = Callable[[dict[str, str]], httpx.Response]


class LiveChatApi:
    """One LiveChat organization, seen through one OAuth agent token (scope ``customers:own``
    for the customer-token grant, ``chats--all:rw`` for agent calls, ``webhooks.configuration:rw``
    for webhook registration).

    ``transport`` (an httpx transport) replaces the SDK clients' sessions so the SDK's real
    request building runs against it, e.g. ``httpx.WSGITransport(app=fake_livechat)``.
    """

    def __init__(
        self,
        agent_token: str,
        organization_id: str,
        client_id: str,
        transport: httpx.BaseTransport | None = None,
        *,
        api_host: str = API_HOST,
        accounts_url: str = ACCOUNTS_URL,
        timeout: float = 15.0,
    ) -> None:
        if not agent_token or not organization_id or not client_id:
            raise ValueError("agent_token, organization_id and client_id are required")
        self.organization_id = organization_id
        self.client_id = client_id
        self._accounts_url = accounts_url.rstrip("/")
        self._agent_auth = _bearer(agent_token)
        self._secrets: tuple[str, ...] = (agent_token, _raw(agent_token))
        http_timeout = httpx.Timeout(timeout)
        # The versioned classes directly: AgentWeb/ConfigurationApi.get_client instantiate a
        # client (and an httpx pool) for every API version and keep one.
        self._agent = AgentWebV36(self._agent_auth, api_host, False, None, True, True, http_timeout)
        self._config = ConfigurationApiV36(self._agent_auth, api_host, False, None, True, True, http_timeout)
        # The SDK insists on a token at construction; customer tokens are sent per request,
        # so the placeholder is dropped and a call without one fails with `authentication`.
        self._customer = CustomerWebV36(
            organization_id, "Bearer -", api_host, False, None, True, True, http_timeout
        )
        self._customer.remove_header("Authorization")
        region = _region(agent_token)
        if region:
            self._agent.modify_header({"X-Region": region})
            self._config.modify_header({"X-Region": region})
        if transport is not None:
            for client in (self._agent, self._config, self._customer):
                old = client.session
                client.session = httpx.Client(transport=transport, headers=old.headers, timeout=old.timeout)
                old.close()
        self._accounts = httpx.Client(transport=transport, timeout=http_timeout)

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        for session in (self._agent.session, self._config.session, self._customer.session, self._accounts):
            session.close()

    def __enter__(self) -> LiveChatApi:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- accounts service --------------------------------------------------------------------

    def customer_token(self, entity_id: str | None = None) -> CustomerToken:
        """Mint a customer access token: a new identity, or ``entity_id``'s existing one."""
        body = {"grant_type": "agent_token", "client_id": self.client_id, "response_type": "token"}
        if entity_id:
            body["entity_id"] = entity_id
        url = f"{self._accounts_url}/v2/customer/token"
        data = self._call(
            "customer_token",
            lambda extra: self._accounts.post(url, json=body, headers={"Authorization": self._agent_auth, **extra}),
        )
        token = _field(data, "access_token", "customer_token")
        lifetime = data.get("expires_in") or CUSTOMER_TOKEN_LIFETIME
        return CustomerToken(
            access_token=token,
            entity_id=_field(data, "entity_id", "customer_token"),
            expires_at=datetime.now(UTC) + timedelta(seconds=int(lifetime)),
        )

    # -- Customer Chat API -------------------------------------------------------------------

    def start_chat(
        self,
        customer_token: TokenLike,
        group_id: int,
        text: str | None = None,
        continuous: bool = True,
        *,
        custom_id: str | None = None,
    ) -> StartedChat:
        """Start a chat in ``group_id``; ``continuous`` so no agent needs to be online."""
        chat: dict[str, Any] = {"access": {"group_ids": [group_id]}}
        if text is not None:
            chat["thread"] = {"events": [_message(text, custom_id)]}
        data = self._call(
            "start_chat",
            lambda h: self._customer.start_chat(chat=chat, continuous=continuous, headers=h),
            customer_token=customer_token,
        )
        return StartedChat(
            chat_id=_field(data, "chat_id", "start_chat"),
            thread_id=_field(data, "thread_id", "start_chat"),
            event_ids=tuple(data.get("event_ids") or ()),
        )

    def resume_chat(
        self,
        customer_token: TokenLike,
        chat_id: str,
        group_id: int,
        continuous: bool = True,
        *,
        text: str | None = None,
        custom_id: str | None = None,
    ) -> ResumedChat:
        """Restart an archived (inactive) chat with a new thread."""
        chat: dict[str, Any] = {"id": chat_id, "access": {"group_ids": [group_id]}}
        if text is not None:
            chat["thread"] = {"events": [_message(text, custom_id)]}
        data = self._call(
            "resume_chat",
            lambda h: self._customer.resume_chat(chat=chat, continuous=continuous, headers=h),
            customer_token=customer_token,
        )
        return ResumedChat(
            thread_id=_field(data, "thread_id", "resume_chat"),
            event_ids=tuple(data.get("event_ids") or ()),
        )

    def send_event(
        self, customer_token: TokenLike, chat_id: str, text: str, *, custom_id: str | None = None
    ) -> str:
        """Send a message as the customer; returns the event id. Fails with ``chat_inactive``
        when the chat has no active thread (then ``resume_chat``)."""
        data = self._call(
            "send_event",
            lambda h: self._customer.send_event(chat_id=chat_id, event=_message(text, custom_id), headers=h),
            customer_token=customer_token,
        )
        return _field(data, "event_id", "send_event")

    def upload_file(self, customer_token: TokenLike, filename: str, content: bytes, content_type: str) -> str:
        """Upload a file (≤ 10 MB); returns its temporary CDN URL, kept once used in ``send_file``."""
        # The SDK passes `file` straight to httpx's `files=`, so it must be a field mapping,
        # not the file object its type hint suggests.
        files = {"file": (filename, content, content_type)}
        data = self._call(
            "upload_file",
            lambda h: self._customer.upload_file(file=files, headers=h),
            customer_token=customer_token,
        )
        return _field(data, "url", "upload_file")

    def send_file(self, customer_token: TokenLike, chat_id: str, url: str, *, custom_id: str | None = None) -> str:
        """Send a file event pointing at an ``upload_file`` URL; returns the event id."""
        event: dict[str, Any] = {"type": "file", "url": url}
        if custom_id:
            event["custom_id"] = custom_id
        data = self._call(
            "send_event",
            lambda h: self._customer.send_event(chat_id=chat_id, event=event, headers=h),
            customer_token=customer_token,
        )
        return _field(data, "event_id", "send_event")

    def update_customer(
        self,
        customer_token: TokenLike,
        name: str | None = None,
        email: str | None = None,
        session_fields: Sequence[Mapping[str, str]] | None = None,
    ) -> None:
        """Update the customer's name/email/session fields. While the customer has an active
        chat, LiveChat applies the change only after that chat ends."""
        if name is None and email is None and session_fields is None:
            raise ValueError("update_customer needs at least one of name, email, session_fields")
        fields = list(session_fields) if session_fields is not None else None
        self._call(
            "update_customer",
            lambda h: self._customer.update_customer(name=name, email=email, session_fields=fields, headers=h),
            customer_token=customer_token,
        )

    # -- Agent Chat API ----------------------------------------------------------------------
    # The integration's agent is not a user of the chats it manages, so every call that
    # checks requester presence is sent with ignore_requester_presence.

    def transfer_chat(
        self,
        chat_id: str,
        target_type: Literal["agent", "group"],
        ids: Sequence[str | int],
        *,
        ignore_agents_availability: bool = True,
    ) -> None:
        """Transfer an active chat. By default it may wait in the queue when no agent of the
        target is free, rather than failing (SMS conversations should not bounce)."""
        if target_type not in ("agent", "group"):
            raise ValueError("target_type must be 'agent' or 'group'")
        self._call(
            "transfer_chat",
            lambda h: self._agent.transfer_chat(
                id=chat_id,
                target={"type": target_type, "ids": list(ids)},
                ignore_agents_availability=ignore_agents_availability,
                ignore_requester_presence=True,
                headers=h,
            ),
        )

    def deactivate_chat(self, chat_id: str) -> None:
        self._call(
            "deactivate_chat",
            lambda h: self._agent.deactivate_chat(id=chat_id, ignore_requester_presence=True, headers=h),
        )

    def add_user_to_chat(
        self, chat_id: str, user_id: str, *, user_type: Literal["agent", "customer"] = "agent",
        visibility: Literal["all", "agents"] = "all",
    ) -> None:
        """Add a user to an active chat (needed before that user can ``send_agent_event``)."""
        self._call(
            "add_user_to_chat",
            lambda h: self._agent.add_user_to_chat(
                chat_id=chat_id, user_id=user_id, user_type=user_type, visibility=visibility,
                ignore_requester_presence=True, headers=h,
            ),
        )

    def send_agent_event(
        self, chat_id: str, text: str, *, visibility: Literal["all", "agents"] = "all", custom_id: str | None = None
    ) -> str:
        """Send a message as the integration's agent (``visibility="agents"`` for an internal
        note); returns the event id. The API requires the sender to be a user of the chat
        (see ``add_user_to_chat``)."""
        event = {**_message(text, custom_id), "visibility": visibility}
        data = self._call("send_event", lambda h: self._agent.send_event(chat_id=chat_id, event=event, headers=h))
        return _field(data, "event_id", "send_event")

    def update_event_properties(
        self, chat_id: str, thread_id: str, event_id: str, properties: Mapping[str, Mapping[str, Any]]
    ) -> None:
        """Set event properties, ``{namespace: {name: value}}``."""
        props = {ns: dict(values) for ns, values in properties.items()}
        self._call(
            "update_event_properties",
            lambda h: self._agent.update_event_properties(
                chat_id=chat_id, thread_id=thread_id, event_id=event_id, properties=props, headers=h
            ),
        )

    def mark_delivered(self, chat_id: str, thread_id: str, event_id: str, delivered: bool = True) -> None:
        """Set the default ``status.delivered`` property (bool, rw for agents in events), which
        marks an event as carried between LiveChat and an integration."""
        self.update_event_properties(chat_id, thread_id, event_id, {"status": {"delivered": delivered}})

    def list_archives(self, customer_id: str, *, limit: int = 10, page_id: str | None = None) -> ArchivePage:
        """One entry per thread of ``customer_id``'s chats, newest first. A ``page_id`` carries
        the original filters; the API refuses filters next to it."""
        if page_id:
            send: Send = lambda h: self._agent.list_archives(page_id=page_id, headers=h)  # noqa: E731
        else:
            send = lambda h: self._agent.list_archives(  # noqa: E731
                filters={"customer_id": customer_id}, limit=limit, headers=h
            )
        data = self._call("list_archives", send)
        return ArchivePage(
            chats=list(data.get("chats") or []),
            found_chats=int(data.get("found_chats") or 0),
            next_page_id=data.get("next_page_id"),
        )

    # -- Configuration API -------------------------------------------------------------------

    def register_webhook(
        self,
        url: str,
        action: str,
        secret_key: str,
        owner_client_id: str,
        filters: Mapping[str, Any] | None = None,
        type: Literal["license", "bot"] = "license",  # noqa: A002 - the API's name
        *,
        additional_data: Sequence[str] | None = None,
        description: str | None = None,
    ) -> str:
        """Register a webhook (at most 3 per action per Client ID); returns its id. License
        webhooks are enabled automatically when the app is installed on the license."""
        secrets = (*self._secrets, secret_key)
        data = self._call(
            "register_webhook",
            lambda h: self._config.register_webhook(
                action=action,
                secret_key=secret_key,
                url=url,
                additional_data=list(additional_data) if additional_data else None,
                description=description,
                filters=dict(filters) if filters else None,
                owner_client_id=owner_client_id,
                type=type,
                headers=h,
            ),
            secrets=secrets,
        )
        return _field(data, "id", "register_webhook")

    def list_webhooks(self, owner_client_id: str | None = None) -> list[Webhook]:
        data = self._call(
            "list_webhooks",
            lambda h: self._config.list_webhooks(owner_client_id=owner_client_id or self.client_id, headers=h),
        )
        return [_webhook(item) for item in (data if isinstance(data, list) else [])]

    def unregister_webhook(self, webhook_id: str, owner_client_id: str | None = None) -> None:
        self._call(
            "unregister_webhook",
            lambda h: self._config.unregister_webhook(
                id=webhook_id, owner_client_id=owner_client_id or self.client_id, headers=h
            ),
        )

    def license_webhooks_enabled(self, owner_client_id: str | None = None) -> bool:
        """Whether LiveChat sends this app's license webhooks to the license (it does once the
        app is installed there, unless they were disabled)."""
        data = self._call(
            "get_license_webhooks_state",
            lambda h: self._config.get_license_webhooks_state(
                owner_client_id=owner_client_id or self.client_id, headers=h),
        )
        return bool(data.get("license_webhooks_enabled")) if isinstance(data, dict) else False

    def my_account(self) -> dict[str, Any]:
        """``GET /v2/accounts/me`` for the agent token (scope ``accounts--my:ro``): the
        integration agent's account; its ``email`` is its LiveChat agent id."""
        url = f"{self._accounts_url}/v2/accounts/me"
        data = self._call("account_me", lambda h: self._accounts.get(url, headers={"Authorization": self._agent_auth,
                                                                                   **h}))
        return data if isinstance(data, dict) else {}

    # -- plumbing ----------------------------------------------------------------------------

    def _call(
        self,
        action: str,
        send: Send,
        *,
        customer_token: TokenLike | None = None,
        secrets: tuple[str, ...] | None = None,
    ) -> Any:
        headers: dict[str, str] = {}
        secrets = secrets or self._secrets
        if customer_token is not None:
            raw = customer_token.access_token if isinstance(customer_token, CustomerToken) else customer_token
            headers["Authorization"] = _bearer(raw)
            secrets = (*secrets, raw, _raw(raw))
            region = _region(raw)
            if region:
                headers["X-Region"] = region
        for attempt in (1, 2):
            try:
                response = send(headers)
            except httpx.TimeoutException as exc:
                raise LiveChatError(
                    "request_timeout", "LiveChat did not answer in time", None, True, action=action
                ) from exc
            except httpx.TransportError as exc:
                raise LiveChatError(
                    "connection_error", f"could not reach LiveChat ({type(exc).__name__})", None, True, action=action
                ) from exc
            if response.is_success:
                log.debug("LiveChat %s: HTTP %s", action, response.status_code)
                return _body(response)
            error = _error(action, response, secrets)
            log.debug("LiveChat %s: HTTP %s %s", action, response.status_code, error.type)
            region = error.data.get("region") if error.type == "misdirected_request" else None
            if attempt == 1 and isinstance(region, str) and region:
                headers = {**headers, "X-Region": region}
                continue
            raise error
        raise AssertionError("unreachable")


# -- helpers ---------------------------------------------------------------------------------


def _raw(token: str) -> str:
    return token.split(" ", 1)[1] if token.startswith(("Bearer ", "Basic ")) else token


def _bearer(token: str) -> str:
    return token if token.startswith(("Bearer ", "Basic ")) else f"Bearer {token}"


def _region(token: str) -> str | None:
    prefix, sep, _ = _raw(token).partition(":")
    return prefix if sep and prefix in REGIONS else None


def _message(text: str, custom_id: str | None) -> dict[str, Any]:
    event: dict[str, Any] = {"type": "message", "text": text}
    if custom_id:
        event["custom_id"] = custom_id
    return event


def _body(response: httpx.Response) -> Any:
    if not response.content:
        return {}
    try:
        return response.json()
    except ValueError:
        return {}


def _field(data: Any, name: str, action: str) -> str:
    value = data.get(name) if isinstance(data, dict) else None
    if not isinstance(value, str) or not value:
        raise LiveChatError("invalid_response", f"the response has no {name!r}", action=action)
    return value


def _webhook(item: Mapping[str, Any]) -> Webhook:
    return Webhook(
        id=str(item.get("id", "")),
        action=str(item.get("action", "")),
        url=str(item.get("url", "")),
        type=str(item.get("type", "")),
        owner_client_id=str(item.get("owner_client_id", "")),
        filters=dict(item.get("filters") or {}),
        description=item.get("description"),
        secret_key=item.get("secret_key"),
    )


_STATUS_TYPES = {401: "authentication", 403: "authorization", 404: "not_found", 413: "entity_too_large",
                 429: "too_many_requests"}


def _error(action: str, response: httpx.Response, secrets: tuple[str, ...]) -> LiveChatError:
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
    envelope = body.get("error") if isinstance(body, dict) else None
    data: dict[str, Any] = {}
    if isinstance(envelope, dict):
        error_type = str(envelope.get("type") or "")
        message = str(envelope.get("message") or "")
        if isinstance(envelope.get("data"), dict):
            data = envelope["data"]
    elif isinstance(envelope, str):
        # The accounts service answers OAuth-style: {"error": "...", "error_description": "..."}.
        error_type, message = envelope, str(body.get("error_description") or "")
    else:
        error_type, message = "", ""
    error_type = error_type or _STATUS_TYPES.get(status) or ("internal" if status >= 500 else f"http_{status}")
    message = _redact(message or response.reason_phrase or "unexpected response", secrets)
    scope = for_call(action)
    if status == 403 and scope and scope not in message:
        message += f" (the call needs the scope {scope})"
    return LiveChatError(
        error_type,
        message,
        status,
        status == 429 or status >= 500 or error_type in RETRYABLE_TYPES,
        action=action,
        data=data,
        retry_after=_retry_after(response),
    )


def _redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, "[redacted]")
    return text


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


# --- one client per app and set of credentials --------------------------------------------

_LOCK = threading.Lock()
_KEY = "livechat.clients"


def transport() -> httpx.BaseTransport | None:
    return current_app.config.get("SWITCHBOARD_LIVECHAT_TRANSPORT")


def accounts_url() -> str:
    return (current_app.config.get("SWITCHBOARD_LIVECHAT_ACCOUNTS_URL") or ACCOUNTS_URL).rstrip("/")


def api_for(config: LiveChatSettings) -> LiveChatApi:
    """The cached API client for these credentials (a new one when they change)."""
    if not config.configured:
        raise RuntimeError("LiveChat is not configured: " + ", ".join(config.missing))
    key = (config.agent_token, config.organization_id, config.client_id, id(transport()), accounts_url())
    cache = current_app.extensions.setdefault(_KEY, {})
    with _LOCK:
        api = cache.get(key)
        if api is None:
            for old in cache.values():
                old.close()
            cache.clear()
            api = LiveChatApi(config.agent_token, config.organization_id, config.client_id,
                              transport=transport(), accounts_url=accounts_url())
            cache[key] = api
        return api


def http_client(timeout: float = 15.0) -> httpx.Client:
    """A plain httpx client on the same transport (accounts endpoints the SDK lacks)."""
    return httpx.Client(transport=transport(), timeout=timeout)
