"""A local LiveChat (Platform API v3.6) for tests and the offline demo.

Written from the documented request/response shapes (platform.text.com: Customer Chat Web
API, Agent Chat Web API, Configuration API webhooks, customer authorization, webhooks v3.6,
default properties). It is a WSGI app that routes by path and accepts any host, so the SDK's
real URLs (``https://api.livechatinc.com/v3.6/...``, ``https://accounts.livechat.com/...``)
reach it through ``httpx.WSGITransport(app=fake)``.

What it models: customer identities and tokens, chats with threads and events (active and
archived), transfers, event properties, uploaded files, registered webhooks; the auth headers,
required fields and documented error envelope ``{"error": {"type", "message"}}``. It records
every request, can fail the next N calls (429/5xx) and builds webhook bodies, carrying the
registered ``secret_key``, for tests to POST to Switchboard.

What it enforces, as LiveChat documents it: the scopes of the token on every call (a call
whose scope the token lacks answers 403, ``authorization``; :data:`REQUIRED_SCOPES`, from each
method's "Required scopes"), and webhooks only for an app installed on the license with its
license webhooks enabled, matching the registration's filters (``author_type``,
``only_my_chats``, ``source_type``). Like a real license, a new fake has the app *not*
installed: tests call :meth:`FakeLiveChat.install_app` as an admin would in the Developer
Console or the Marketplace.

Where the docs name an error type but not its HTTP status, the status is this fake's choice.
"""

from __future__ import annotations

import base64
import copy
import json
import secrets
import string
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, UTC
from typing import Any
from collections.abc import Callable

from flask import Flask, Response, request

MAX_TEXT_BYTES = 16 * 1024
MAX_FILE_BYTES = 10 * 1024 * 1024
CDN = "https://cdn.livechat-files.com/api/file/lc/att"
STATUS = {"unauthorized": 401, "insufficient_scope": 403, "invalid_grant": 400, "validation": 400, "chat_inactive": 400, "groups_offline": 400, "group_unavailable": 400,
          "limit_reached": 400, "authentication": 401, "authorization": 403, "not_found": 404,
          "group_not_found": 404, "entity_too_large": 413, "too_many_requests": 429, "internal": 500,
          "service_unavailable": 503}
WEBHOOK_ACTIONS = {"incoming_chat", "chat_deactivated", "chat_access_updated", "chat_transferred",
                   "user_added_to_chat", "user_removed_from_chat", "incoming_event", "event_updated",
                   "incoming_rich_message_postback", "event_properties_updated", "event_properties_deleted",
                   "chat_properties_updated", "thread_properties_updated", "incoming_customer",
                   "customer_session_fields_updated", "events_marked_as_seen"}
# Each method's "Required scopes" in LiveChat's documentation (any one of them will do).
REQUIRED_SCOPES: dict[tuple[str, str], tuple[str, ...]] = {
    ("accounts", "customer_token"): ("customers:own",),
    ("accounts", "account_me"): ("accounts--my:ro",),
    **{("agent", name): ("chats--all:rw", "chats--access:rw") for name in (
        "transfer_chat", "deactivate_chat", "add_user_to_chat", "send_event", "update_event_properties")},
    **{("agent", name): ("chats--all:ro", "chats--access:ro") for name in ("get_chat", "list_archives")},
    **{("configuration", name): ("webhooks.configuration:rw",) for name in (
        "register_webhook", "list_webhooks", "unregister_webhook")},
    ("configuration", "get_license_webhooks_state"): ("webhooks.state:ro",),
    ("configuration", "enable_license_webhooks"): ("webhooks.state:rw",),
    ("configuration", "disable_license_webhooks"): ("webhooks.state:rw",),
}
ALL_SCOPES = ("customers:own chats--all:rw webhooks.configuration:rw webhooks.state:ro webhooks.state:rw "
              "accounts--my:ro")


def scope_granted(granted: set[str], needed: str) -> bool:
    """LiveChat's general rules: ``rw`` contains ``ro``; ``all`` contains ``access`` and ``my``."""
    name, _, mode = needed.partition(":")
    base, _, reach = name.partition("--")
    modes = ("ro", "rw") if mode == "ro" else (mode,)
    reaches = {"my": ("my", "access", "all"), "access": ("access", "all")}.get(reach, (reach,))
    return any(f"{base}--{r}:{m}" in granted if reach else f"{base}:{m}" in granted
               for m in modes for r in reaches)


class NotDelivered(LookupError):
    """LiveChat would not send this webhook (not installed, disabled, no registration, filtered)."""


# Default event properties writable through the API, with their types (messaging/references).
EVENT_PROPERTIES = {("status", "delivered"): bool, ("test", "bool_property"): bool,
                    ("test", "int_property"): int, ("test", "string_property"): str}


class ApiError(Exception):
    def __init__(self, type: str, message: str, data: dict | None = None) -> None:  # noqa: A002
        super().__init__(message)
        self.type, self.message, self.data = type, message, data


@dataclass
class RecordedRequest:
    method: str
    host: str
    path: str
    api: str  # "accounts", "customer", "agent" or "configuration"
    action: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any = None
    files: dict[str, tuple[str, int, str]] = field(default_factory=dict)  # field -> (name, size, type)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _id(length: int = 10) -> str:
    return "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(length))


def _require(body: dict, *names: str) -> None:
    missing = [n for n in names if body.get(n) in (None, "", [], {})]
    if missing:
        raise ApiError("validation", f"`{missing[0]}` is required")


class FakeLiveChat:
    """Call it as a WSGI app. ``agent_token`` is a valid agent token for agent ``agent_id``."""

    def __init__(self, organization_id: str = "3b4a1c2e-0000-4000-8000-fakeorg00001",
                 client_id: str = "fake-client-id", group_ids: tuple[int, ...] = (0, 1),
                 agent_ids: tuple[str, ...] = ("agent@example.com", "smith@example.com")) -> None:
        self.organization_id, self.client_id = organization_id, client_id
        self.client_secret = "fake-client-secret"
        self._refresh_tokens: dict[str, str] = {}
        self._refresh_scope: dict[str, str] = {}
        # Groups start with nobody online, like a license at night: only continuous chats start.
        self.groups: dict[int, bool] = {g: False for g in group_ids}
        self.agents: set[str] = set(agent_ids)
        self.customers: dict[str, dict[str, Any]] = {}
        self.chats: dict[str, dict[str, Any]] = {}
        self.webhooks: dict[str, dict[str, Any]] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self.requests: list[RecordedRequest] = []
        self._agent_tokens: dict[str, str] = {}
        self._token_info: dict[str, dict[str, str]] = {}
        self._customer_tokens: dict[str, str] = {}
        self._codes: dict[str, dict[str, str]] = {}
        self.installed = False  # the app is installed on this license (Developer Console / Marketplace)
        self.license_webhooks_enabled = True  # until disable_license_webhooks
        self.redirect_uris: tuple[str, ...] = ()  # the app's redirect URI whitelist; empty: any
        self._failures: list[tuple[int, str, str]] = []
        self._lock = threading.RLock()
        self.agent_id = agent_ids[0]
        self.agent_token = self.add_agent_token(self.agent_id)
        self.app = Flask(__name__)
        self.app.add_url_rule("/", "authorize", self._authorize_view, methods=["GET"])
        self.app.add_url_rule("/v2/customer/token", "token", self._token_view, methods=["POST"])
        self.app.add_url_rule("/v2/info", "token_info", self._token_info_view, methods=["GET"])
        self.app.add_url_rule("/v2/token", "oauth_token", self._oauth_token_view, methods=["POST"])
        self.app.add_url_rule("/v2/accounts/me", "account_me", self._account_me_view, methods=["GET"])
        self.app.add_url_rule("/v3.6/<api>/action/<name>", "action", self._action_view, methods=["GET", "POST"])

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        return self.app(environ, start_response)

    # -- test controls -----------------------------------------------------------------------

    def add_agent_token(self, agent_id: str, region: str = "dal", *, client_id: str | None = None,
                        scope: str = ALL_SCOPES) -> str:
        """A valid agent token for ``agent_id`` (an email). ``client_id`` is the app it was
        issued to (default: this fake's), as the accounts service's token info reports it."""
        token = f"{region}:agent-{secrets.token_urlsafe(12)}"
        self.agents.add(agent_id)
        self._agent_tokens[token] = agent_id
        self._token_info[token] = {"client_id": client_id or self.client_id, "scope": scope}
        return token

    def install_app(self) -> None:
        """Install the app on the license: from now on its license webhooks are sent."""
        self.installed = True

    def uninstall_app(self) -> None:
        self.installed = False

    def authorization_code(self, redirect_uri: str, agent_id: str | None = None, scope: str = ALL_SCOPES) -> str:
        """The code LiveChat's OAuth server hands back after ``agent_id`` allowed the app."""
        code = f"dal:code-{secrets.token_urlsafe(12)}"
        self._codes[code] = {"agent_id": agent_id or self.agent_id, "redirect_uri": redirect_uri, "scope": scope}
        return code

    def revoke_token(self, token: str) -> None:
        self._agent_tokens.pop(token, None)
        self._customer_tokens.pop(token, None)

    def set_group_online(self, group_id: int, online: bool = True) -> None:
        self.groups[group_id] = online

    def fail_next(self, count: int = 1, status: int = 429, error_type: str | None = None,
                  message: str = "Injected failure") -> None:
        """Answer the next ``count`` requests (any endpoint) with an error envelope."""
        kind = error_type or {429: "too_many_requests", 503: "service_unavailable"}.get(status, "internal")
        self._failures.extend([(status, kind, message)] * count)

    def add_customer(self, name: str | None = None) -> str:
        """Seed a customer identity without the token round trip; returns its entity id."""
        entity_id = str(uuid.uuid4())
        self.customers[entity_id] = {"id": entity_id, "type": "customer", "session_fields": [],
                                     **({"name": name} if name else {})}
        return entity_id

    def add_chat(self, customer_id: str, group_id: int = 0, text: str | None = None) -> str:
        """Seed an active continuous chat for ``customer_id``; returns the chat id."""
        thread = {"events": [{"type": "message", "text": text}]} if text else {}
        with self._lock:
            started = self._customer_start_chat(
                {"chat": {"access": {"group_ids": [group_id]}, "thread": thread}, "continuous": True}, customer_id)
        return started["chat_id"]

    def reopen_chat(self, chat_id: str) -> str:
        """Resume an archived chat as its customer would; returns the new thread id."""
        with self._lock:
            return self._customer_resume_chat({"chat": {"id": chat_id}}, self.chats[chat_id]["customer_id"])["thread_id"]

    def add_webhook(self, action: str, secret_key: str, url: str = "https://switchboard.example.com/hook",
                    filters: dict | None = None) -> str:
        """Seed a license webhook registration for this fake's client id; returns its id."""
        body = {"action": action, "secret_key": secret_key, "url": url, "owner_client_id": self.client_id,
                "type": "license", "filters": filters or {}}
        with self._lock:
            return self._configuration_register_webhook(body, self.agent_id)["id"]

    def requests_for(self, action: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.action == action]

    def active_thread(self, chat_id: str) -> dict[str, Any] | None:
        threads = self.chats[chat_id]["threads"]
        return threads[-1] if threads and threads[-1]["active"] else None

    def events(self, chat_id: str) -> list[dict[str, Any]]:
        return [e for t in self.chats[chat_id]["threads"] for e in t["events"]]

    # -- webhook bodies for tests ----------------------------------------------------------

    def build_webhook(self, action: str, payload: dict[str, Any], *, secret_key: str | None = None,
                      webhook_id: str | None = None, additional_data: dict | None = None) -> dict[str, Any]:
        """The v3.6 envelope. Without ``secret_key`` it is what LiveChat sends: it uses the
        first webhook registered for ``action`` (its secret and id), and raises
        :class:`NotDelivered` when LiveChat would send nothing — the app is not installed on
        the license or its license webhooks are disabled. With ``secret_key`` it is any
        body anyone could post (forgeries, replays)."""
        if secret_key is None:
            self.check_delivery()
            registered = next((w for w in self.webhooks.values() if w["action"] == action), None)
            if registered is None:
                raise NotDelivered(f"no {action} webhook registered; pass secret_key")
            secret_key, webhook_id = registered["secret_key"], webhook_id or registered["id"]
        webhook_id, self._webhook_id = webhook_id or getattr(self, "_webhook_id", None), None
        body = {"webhook_id": webhook_id or str(uuid.uuid4()), "secret_key": secret_key, "action": action,
                "organization_id": self.organization_id, "payload": copy.deepcopy(payload)}
        if additional_data is not None:
            body["additional_data"] = additional_data
        return body

    def check_delivery(self) -> None:
        """Raise :class:`NotDelivered` unless LiveChat sends this app's license webhooks."""
        if not self.installed:
            raise NotDelivered("the app is not installed on the license, so LiveChat sends none of its webhooks")
        if not self.license_webhooks_enabled:
            raise NotDelivered("the app's license webhooks are disabled on this license")

    def _delivered(self, action: str, chat: dict, *, author_type: str | None = None,
                   source_client_id: str | None = None, secret_key: str | None = None) -> str | None:
        """For the helpers below: the secret of the webhook LiveChat calls (``secret_key`` when
        given: a body posted by anyone). Raises :class:`NotDelivered` when no registration
        matches — the app is not installed, or every registration's filters leave it out."""
        if secret_key is not None:
            return secret_key
        self._webhook_id = None
        self.check_delivery()
        hooks = self.matching_webhooks(action, author_type=author_type, chat_id=chat["id"],
                                       source_client_id=source_client_id)
        if not hooks:
            raise NotDelivered(f"no registered {action} webhook matches this event (filters)")
        self._webhook_id = hooks[0]["id"]
        return hooks[0]["secret_key"]

    def incoming_event_webhook(self, chat_id: str, text: str, *, agent_id: str | None = None,
                               secret_key: str | None = None,
                               source_client_id: str = "agent-app") -> dict[str, Any]:
        """An agent writes ``text`` in the chat's active thread (from LiveChat's Agent App,
        ``source_client_id``); returns the webhook body LiveChat sends."""
        with self._lock:
            chat, author = self.chats[chat_id], agent_id or self.agent_id
            secret_key = self._delivered("incoming_event", chat, author_type="agent",
                                         source_client_id=source_client_id, secret_key=secret_key)
            thread = self.active_thread(chat_id)
            if thread is None:
                raise ValueError(f"chat {chat_id} has no active thread")
            event = self._add_event(thread, {"type": "message", "text": text}, author)
            if author not in chat["agent_ids"]:
                chat["agent_ids"].append(author)
        payload = {"chat_id": chat_id, "thread_id": thread["id"], "event": event}
        return self.build_webhook("incoming_event", payload, secret_key=secret_key, additional_data={})

    def chat_transferred_webhook(self, chat_id: str, *, group_ids: list[int] | None = None,
                                 agent_ids: list[str] | None = None, requester_id: str | None = None,
                                 reason: str = "manual", secret_key: str | None = None) -> dict[str, Any]:
        """Transfers the chat in the fake's state; the documented sample has no additional_data."""
        with self._lock:
            chat = self.chats[chat_id]
            secret_key = self._delivered("chat_transferred", chat, source_client_id="agent-app",
                                         secret_key=secret_key)
            self._transfer(chat, "group" if group_ids else "agent", list(group_ids or agent_ids or []))
            thread = self.active_thread(chat_id)
        payload: dict[str, Any] = {"chat_id": chat_id, "requester_id": requester_id or self.agent_id,
                                   "reason": reason, "transferred_to": {"group_ids": chat["access"]["group_ids"],
                                                                        "agent_ids": list(chat["agent_ids"])}}
        if thread:
            payload["thread_id"] = thread["id"]
        return self.build_webhook("chat_transferred", payload, secret_key=secret_key)

    def chat_deactivated_webhook(self, chat_id: str, *, user_id: str | None = None,
                                 secret_key: str | None = None) -> dict[str, Any]:
        with self._lock:
            thread = self.active_thread(chat_id)
            if thread is None:
                raise ValueError(f"chat {chat_id} is not active")
            secret_key = self._delivered("chat_deactivated", self.chats[chat_id],
                                         source_client_id="agent-app" if user_id else None, secret_key=secret_key)
            self._deactivate(self.chats[chat_id])
        payload = {"chat_id": chat_id, "thread_id": thread["id"]}
        if user_id:
            payload["user_id"] = user_id
        return self.build_webhook("chat_deactivated", payload, secret_key=secret_key, additional_data={})

    def incoming_chat_webhook(self, chat_id: str, *, secret_key: str | None = None) -> dict[str, Any]:
        chat = self.chats[chat_id]
        secret_key = self._delivered("incoming_chat", chat, source_client_id=chat["properties"]["source"]["client_id"],
                                     secret_key=secret_key)
        payload = {"chat": {**self._chat_out(chat), "thread": self._thread_out(chat["threads"][-1])}}
        return self.build_webhook("incoming_chat", payload, secret_key=secret_key, additional_data={})

    def matching_webhooks(self, action: str, author_type: str | None = None, *, chat_id: str | None = None,
                          source_client_id: str | None = None) -> list[dict[str, Any]]:
        """Registered webhooks LiveChat would call for ``action``, honouring the documented
        filters: ``author_type``; ``only_my_chats`` (the chat's ``source.client_id`` is the
        owner's); ``source_type`` (``my_client``: the owner's client id caused it,
        ``other_clients``: another app's, ``system``: none)."""
        chat = self.chats.get(chat_id) if chat_id else None
        chat_source = ((chat or {}).get("properties") or {}).get("source", {}).get("client_id")

        def matches(w: dict) -> bool:
            filters = w["filters"] or {}
            if author_type is not None and filters.get("author_type") not in (None, author_type):
                return False
            if filters.get("only_my_chats") and chat is not None and chat_source != w["owner_client_id"]:
                return False
            if filters.get("source_type"):
                source = ("system" if not source_client_id else
                          "my_client" if source_client_id == w["owner_client_id"] else "other_clients")
                if source not in filters["source_type"]:
                    return False
            return True

        return [w for w in self.webhooks.values() if w["action"] == action and matches(w)]

    # -- HTTP --------------------------------------------------------------------------------

    def _token_view(self) -> Response:
        return self._handle("accounts", "customer_token", self._customer_token)

    def _token_info_view(self) -> Response:
        return self._handle("accounts", "token_info", lambda body: self._account_token_info())

    def _oauth_token_view(self) -> Response:
        return self._handle("accounts", "oauth_token", lambda body: self._refresh_agent_token())

    def issue_refresh_token(self, agent_id: str | None = None) -> str:
        """A refresh token (authorization code grant) for ``agent_id``'s agent tokens."""
        token = f"dal:refresh-{secrets.token_urlsafe(12)}"
        self._refresh_tokens[token] = agent_id or self.agent_id
        return token

    def _authorize_view(self) -> Response:
        """LiveChat's OAuth server (``https://accounts.livechat.com/``) for the agent signed in
        there (``agent_id``), who allows the app at once: back to ``redirect_uri`` with a code
        (``response_type=code``) or a token in the fragment (``response_type=token``)."""
        from urllib.parse import urlencode

        args = request.args
        if args.get("client_id") != self.client_id:
            return Response("Unknown client_id", status=400)
        redirect_uri = args.get("redirect_uri") or ""
        if self.redirect_uris and not any(redirect_uri.startswith(u) for u in self.redirect_uris):
            return Response("redirect_uri is not on the app's whitelist", status=400)
        state = {"state": args["state"]} if "state" in args else {}
        if args.get("response_type") == "code":
            query = urlencode({"code": self.authorization_code(redirect_uri), **state})
            return Response(status=302, headers={"Location": f"{redirect_uri}?{query}"})
        if args.get("response_type") == "token":
            fragment = urlencode({"access_token": self.add_agent_token(self.agent_id), "expires_in": 28800,
                                  "token_type": "Bearer", **state})
            return Response(status=302, headers={"Location": f"{redirect_uri}#{fragment}"})
        return Response("response_type must be code or token", status=400)

    def _refresh_agent_token(self) -> dict:
        """``POST /v2/token`` (form fields): ``grant_type`` ``authorization_code`` (a server-side
        app with its client secret and the same ``redirect_uri``) or ``refresh_token``."""
        form = request.form
        if form.get("grant_type") not in ("refresh_token", "authorization_code"):
            raise ApiError("unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            raise ApiError("unauthorized_client", "client_id or client_secret is invalid")
        scope = ALL_SCOPES
        if form.get("grant_type") == "authorization_code":
            grant = self._codes.pop(form.get("code", ""), None)  # single use
            if grant is None:
                raise ApiError("invalid_grant", "code is invalid or was used already")
            if form.get("redirect_uri") != grant["redirect_uri"]:
                raise ApiError("unauthorized_client", "redirect_uri does not match")
            agent_id, scope = grant["agent_id"], grant["scope"]
        else:
            agent_id = self._refresh_tokens.pop(form.get("refresh_token", ""), None)
            if agent_id is None:
                raise ApiError("invalid_grant", "refresh token is invalid")
            scope = self._refresh_scope.get(agent_id, scope)
        self._refresh_scope[agent_id] = scope
        access = self.add_agent_token(agent_id, scope=scope)
        return {"access_token": access, "refresh_token": self.issue_refresh_token(agent_id),
                "account_id": self.account_id(agent_id), "expires_in": 28800,
                "organization_id": self.organization_id,
                "scope": ",".join(self._token_info[access]["scope"].split()),
                "token_type": "Bearer"}

    def _account_me_view(self) -> Response:
        return self._handle("accounts", "account_me", lambda body: self._account_me())

    def _action_view(self, api: str, name: str) -> Response:
        handler = getattr(self, f"_{api}_{name}", None) if api in ("customer", "agent", "configuration") else None
        return self._handle(api, name, handler)

    def _handle(self, api: str, action: str, handler: Callable | None) -> Response:
        body = request.get_json(silent=True) if request.is_json else None
        files = {k: (f.filename or "", len(f.stream.read()), f.mimetype) for k, f in request.files.items()}
        for f in request.files.values():
            f.stream.seek(0)
        with self._lock:
            self.requests.append(RecordedRequest(request.method, request.host, request.path, api, action,
                                                 dict(request.args), dict(request.headers), body, files))
            if self._failures:
                status, kind, message = self._failures.pop(0)
                return self._error(ApiError(kind, message), status)
            try:
                if handler is None:
                    raise ApiError("not_found", f"Unknown action `{action}`")
                if api == "accounts":
                    token = request.headers.get("Authorization", "").partition(" ")[2]
                    if (api, action) in REQUIRED_SCOPES and token in self._agent_tokens:
                        self._check_scope(api, action, token)
                    return self._json(handler(body if isinstance(body, dict) else {}))
                if request.method == "POST" and not isinstance(body, dict) and request.mimetype != "multipart/form-data":
                    raise ApiError("validation", "Request body must be a JSON object")
                requester = self._authenticate(api)
                if api != "customer":
                    self._check_scope(api, action, request.headers["Authorization"].partition(" ")[2])
                return self._json(handler(body if isinstance(body, dict) else {}, requester))
            except ApiError as exc:
                if api == "accounts":  # OAuth-style answers from the accounts service
                    return self._json({"error": exc.type, "error_description": exc.message},
                                      STATUS.get(exc.type, 400))
                return self._error(exc)

    def _authenticate(self, api: str) -> str:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or not token:
            raise ApiError("authentication", "Invalid access token")
        if api == "customer":
            org = request.args.get("organization_id")
            if not org:
                raise ApiError("validation", "`organization_id` query parameter is required")
            if org != self.organization_id:
                raise ApiError("authorization", "Token does not belong to this organization")
            if token not in self._customer_tokens:
                raise ApiError("authentication", "Invalid access token")
            return self._customer_tokens[token]
        if token not in self._agent_tokens:
            raise ApiError("authentication", "Invalid access token")
        return self._agent_tokens[token]

    def _check_scope(self, api: str, action: str, token: str) -> None:
        needed = REQUIRED_SCOPES.get((api, action))
        granted = set(self._token_info.get(token, {}).get("scope", "").replace(",", " ").split())
        if needed and not any(scope_granted(granted, n) for n in needed):
            if api == "accounts":
                raise ApiError("insufficient_scope", f"the access token lacks the scope {needed[0]}")
            raise ApiError("authorization", f"Required scope: {' or '.join(needed)}")

    @staticmethod
    def _json(data: Any, status: int = 200) -> Response:
        return Response(json.dumps(data), status=status, mimetype="application/json")

    def _error(self, exc: ApiError, status: int | None = None) -> Response:
        error: dict[str, Any] = {"type": exc.type, "message": exc.message}
        if exc.data:
            error["data"] = exc.data
        return self._json({"error": error}, status or STATUS.get(exc.type, 400))

    # -- accounts ----------------------------------------------------------------------------

    def _customer_token(self, body: dict) -> dict:
        scheme, _, agent_token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or agent_token not in self._agent_tokens:
            raise ApiError("unauthorized", "agent access token is missing or invalid")
        if body.get("grant_type") != "agent_token" or body.get("response_type") != "token":
            raise ApiError("invalid_request", "grant_type must be agent_token and response_type token")
        if body.get("client_id") != self.client_id:
            raise ApiError("unauthorized_client", "client_id not found")
        entity_id = body.get("entity_id")
        if entity_id and entity_id not in self.customers:
            raise ApiError("invalid_request", "entity_id not found")
        if not entity_id:
            entity_id = str(uuid.uuid4())
            self.customers[entity_id] = {"id": entity_id, "type": "customer", "session_fields": []}
        token = f"{agent_token.split(':', 1)[0]}:cust-{secrets.token_urlsafe(12)}"
        self._customer_tokens[token] = entity_id
        return {"access_token": token, "client_id": self.client_id, "entity_id": entity_id,
                "expires_in": 28800, "token_type": "Bearer", "organization_id": self.organization_id}

    def _bearer_agent_token(self) -> str:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or token not in self._agent_tokens:
            raise ApiError("unauthorized", "access token is missing or invalid")
        return token

    @staticmethod
    def account_id(agent_id: str) -> str:
        """The stable accounts-service id this fake gives an agent (a UUID derived from the email)."""
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"livechat-agent:{agent_id}"))

    def _account_token_info(self) -> dict:
        """``GET /v2/info`` (token info) of the accounts service, for agent tokens."""
        token = self._bearer_agent_token()
        agent_id, info = self._agent_tokens[token], self._token_info.get(token, {})
        return {"access_token": token, "account_id": self.account_id(agent_id),
                "client_id": info.get("client_id", self.client_id), "entity_id": self.account_id(agent_id),
                "expires_in": 28800, "organization_id": self.organization_id,
                "scope": info.get("scope", ""), "token_type": "Bearer"}

    def _account_me(self) -> dict:
        """``GET /v2/accounts/me``: the token owner's account (LiveChat agent ids are emails)."""
        agent_id = self._agent_tokens[self._bearer_agent_token()]
        return {"account_id": self.account_id(agent_id), "email": agent_id,
                "name": agent_id.split("@")[0].title(), "email_verified": True,
                "default_organization_id": self.organization_id}

    # -- Customer Chat API -------------------------------------------------------------------

    def _customer_start_chat(self, body: dict, customer_id: str) -> dict:
        chat_in = body.get("chat") or {}
        group_ids = self._groups((chat_in.get("access") or {}).get("group_ids") or [0])
        continuous = bool(body.get("continuous", False))
        self._check_online(group_ids, continuous, body.get("active", True))
        chat = {"id": _id(), "customer_id": customer_id, "access": {"group_ids": group_ids}, "agent_ids": [],
                "properties": {"routing": {"continuous": continuous}, "source": {"client_id": self.client_id}},
                "threads": []}
        events = self._events_in(chat_in)
        thread = self._new_thread(chat, body.get("active", True))
        self.chats[chat["id"]] = chat
        ids = [self._add_event(thread, e, customer_id)["id"] for e in events]
        return {"chat_id": chat["id"], "thread_id": thread["id"], **({"event_ids": ids} if ids else {})}

    def _customer_resume_chat(self, body: dict, customer_id: str) -> dict:
        chat_in = body.get("chat") or {}
        _require(chat_in, "id")
        chat = self._own_chat(chat_in["id"], customer_id)
        if self.active_thread(chat["id"]):
            raise ApiError("validation", "Chat is already active")
        if "continuous" in body:
            chat["properties"]["routing"]["continuous"] = bool(body["continuous"])
        if (chat_in.get("access") or {}).get("group_ids"):
            chat["access"]["group_ids"] = self._groups(chat_in["access"]["group_ids"])
        self._check_online(chat["access"]["group_ids"], chat["properties"]["routing"]["continuous"],
                           body.get("active", True))
        events = self._events_in(chat_in)
        thread = self._new_thread(chat, body.get("active", True))
        ids = [self._add_event(thread, e, customer_id)["id"] for e in events]
        return {"thread_id": thread["id"], **({"event_ids": ids} if ids else {})}

    def _customer_send_event(self, body: dict, customer_id: str) -> dict:
        _require(body, "chat_id", "event")
        chat = self._own_chat(body["chat_id"], customer_id)
        thread = self._writable_thread(chat, body.get("attach_to_last_thread"))
        return {"event_id": self._add_event(thread, self._event_in(body["event"]), customer_id)["id"]}

    def _customer_deactivate_chat(self, body: dict, customer_id: str) -> dict:
        _require(body, "id")
        chat = self._own_chat(body["id"], customer_id)
        if not self.active_thread(chat["id"]):
            raise ApiError("chat_inactive", "No active chat thread")
        self._deactivate(chat)
        return {}

    def _customer_upload_file(self, body: dict, customer_id: str) -> dict:
        upload = request.files.get("file")
        if upload is None:
            raise ApiError("validation", "`file` is required")
        content = upload.stream.read()
        if len(content) > MAX_FILE_BYTES:
            raise ApiError("entity_too_large", "Upload limit exceeded (10MB).")
        url = f"{CDN}/{uuid.uuid4().hex}/{upload.filename or 'file'}"
        self.files[url] = {"name": upload.filename, "content_type": upload.mimetype, "size": len(content),
                           "content": content}
        return {"url": url}

    def _customer_update_customer(self, body: dict, customer_id: str) -> dict:
        fields = {k: body[k] for k in ("name", "email", "avatar", "session_fields") if body.get(k) is not None}
        if not fields:
            raise ApiError("validation", "At least one optional parameter needs to be included")
        if "email" in fields and "@" not in str(fields["email"]):
            raise ApiError("validation", "`email` is not a valid email address")
        customer = self.customers[customer_id]
        # Documented: with an active chat, the update takes effect after the chat ends.
        active = any(c["customer_id"] == customer_id and self.active_thread(c["id"]) for c in self.chats.values())
        if active:
            customer.setdefault("pending", {}).update(fields)
        else:
            customer.update(fields)
        return {}

    def _customer_get_customer(self, body: dict, customer_id: str) -> dict:
        return {k: v for k, v in self.customers[customer_id].items() if k != "pending"}

    # -- Agent Chat API ----------------------------------------------------------------------

    def _agent_transfer_chat(self, body: dict, agent_id: str) -> dict:
        _require(body, "id")
        chat = self._chat(body["id"])
        if not self.active_thread(chat["id"]):
            raise ApiError("chat_inactive", "The transferred chat must be active")
        self._check_presence(chat, agent_id, body)
        target = body.get("target")
        if target is None:
            return {}
        if not isinstance(target, dict) or target.get("type") not in ("agent", "group"):
            raise ApiError("validation", "`target.type` must be `agent` or `group`")
        _require(target, "ids")
        if target["type"] == "group":
            self._groups(target["ids"])
            if not body.get("ignore_agents_availability") and not any(self.groups[g] for g in target["ids"]):
                raise ApiError("group_unavailable", "No agent available for group")
        elif unknown := [a for a in target["ids"] if a not in self.agents]:
            raise ApiError("validation", f"Agent `{unknown[0]}` not found")
        self._transfer(chat, target["type"], list(target["ids"]))
        return {}

    def _agent_deactivate_chat(self, body: dict, agent_id: str) -> dict:
        _require(body, "id")
        chat = self._chat(body["id"])
        self._check_presence(chat, agent_id, body)
        if not self.active_thread(chat["id"]):
            raise ApiError("chat_inactive", "No active chat thread")
        self._deactivate(chat)
        return {}

    def _agent_add_user_to_chat(self, body: dict, agent_id: str) -> dict:
        _require(body, "chat_id", "user_id", "user_type", "visibility")
        chat = self._chat(body["chat_id"])
        if not self.active_thread(chat["id"]):
            raise ApiError("chat_inactive", "No active chat thread")
        self._check_presence(chat, agent_id, body)
        if body["user_type"] != "agent" or body["user_id"] not in self.agents:
            raise ApiError("validation", "Only existing agents can be added in this fake")
        if body["visibility"] not in ("all", "agents"):
            raise ApiError("validation", "`visibility` must be `all` or `agents`")
        if body["user_id"] not in chat["agent_ids"]:
            chat["agent_ids"].append(body["user_id"])
        chat.setdefault("agent_visibility", {})[body["user_id"]] = body["visibility"]
        return {}

    def _agent_send_event(self, body: dict, agent_id: str) -> dict:
        _require(body, "chat_id", "event")
        chat = self._chat(body["chat_id"])
        event = self._event_in(body["event"])
        if agent_id not in chat["agent_ids"]:
            raise ApiError("authorization", "The requester is not a user of this chat")
        if chat.get("agent_visibility", {}).get(agent_id) == "agents" and event.get("visibility", "all") != "agents":
            raise ApiError("authorization", "Users with visibility:agents cannot send events with visibility:all")
        if not self.active_thread(chat["id"]) and event["type"] != "system_message":
            raise ApiError("chat_inactive", "Only system messages can be sent to inactive chats")
        thread = self._writable_thread(chat, body.get("attach_to_last_thread"))
        return {"event_id": self._add_event(thread, event, agent_id)["id"]}

    def _agent_update_event_properties(self, body: dict, agent_id: str) -> dict:
        _require(body, "chat_id", "thread_id", "event_id", "properties")
        chat = self._chat(body["chat_id"])
        thread = next((t for t in chat["threads"] if t["id"] == body["thread_id"]), None)
        event = next((e for e in thread["events"] if e["id"] == body["event_id"]), None) if thread else None
        if event is None:
            raise ApiError("not_found", "Event not found")
        for namespace, values in body["properties"].items():
            for name, value in (values if isinstance(values, dict) else {}).items():
                kind = EVENT_PROPERTIES.get((namespace, name))
                if kind is None:
                    raise ApiError("validation", f"Property `{namespace}.{name}` does not exist")
                if type(value) is not kind:  # noqa: E721 - bool must not pass as int
                    raise ApiError("validation", f"Property `{namespace}.{name}` must be {kind.__name__}")
                event.setdefault("properties", {}).setdefault(namespace, {})[name] = value
        return {}

    def _agent_get_chat(self, body: dict, agent_id: str) -> dict:
        _require(body, "chat_id")
        chat = self._chat(body["chat_id"])
        thread = next((t for t in chat["threads"] if t["id"] == body.get("thread_id")), chat["threads"][-1])
        return {**self._chat_out(chat), "thread": self._thread_out(thread)}

    def _agent_list_archives(self, body: dict, agent_id: str) -> dict:
        if body.get("page_id"):
            if set(body) - {"page_id"}:
                raise ApiError("validation", "`filters`, `limit` and `sort_order` can't go with `page_id`")
            cursor = json.loads(base64.b64decode(body["page_id"]))
        else:
            cursor = {"filters": body.get("filters") or {}, "limit": int(body.get("limit") or 10), "offset": 0}
        if not 1 <= cursor["limit"] <= 100:
            raise ApiError("validation", "`limit` must be between 1 and 100")
        customer_id = cursor["filters"].get("customer_id")
        rows = sorted(((chat, thread) for chat in self.chats.values() for thread in chat["threads"]
                       if customer_id in (None, chat["customer_id"])), key=lambda r: r[1]["created_at"], reverse=True)
        start, end = cursor["offset"], cursor["offset"] + cursor["limit"]
        page = {"chats": [{**self._chat_out(c), "thread": self._thread_out(t)} for c, t in rows[start:end]],
                "found_chats": len(rows)}
        if end < len(rows):
            page["next_page_id"] = base64.b64encode(json.dumps({**cursor, "offset": end}).encode()).decode()
        return page

    # -- Configuration API -------------------------------------------------------------------

    def _configuration_register_webhook(self, body: dict, agent_id: str) -> dict:
        _require(body, "action", "secret_key", "url", "owner_client_id", "type")
        if body["action"] not in WEBHOOK_ACTIONS:
            raise ApiError("validation", f"Unknown webhook action `{body['action']}`")
        if body["type"] not in ("license", "bot"):
            raise ApiError("validation", "`type` must be `license` or `bot`")
        if not str(body["url"]).startswith(("http://", "https://")):
            raise ApiError("validation", "`url` must be an http(s) URL")
        filters = body.get("filters") or {}
        if set(filters) - {"author_type", "only_my_chats", "chat_presence", "source_type"}:
            raise ApiError("validation", "Unknown webhook filter")
        if "author_type" in filters:
            if body["action"] not in ("incoming_event", "event_updated"):
                raise ApiError("validation", "`author_type` is allowed only for incoming_event and event_updated")
            if filters["author_type"] not in ("customer", "agent"):
                raise ApiError("validation", "`author_type` must be `customer` or `agent`")
        if "only_my_chats" in filters and not isinstance(filters["only_my_chats"], bool):
            raise ApiError("validation", "`only_my_chats` must be a boolean")
        if set(filters.get("source_type") or []) - {"my_client", "other_clients", "system"}:
            raise ApiError("validation", "Unknown `source_type`")
        same = [w for w in self.webhooks.values()
                if w["owner_client_id"] == body["owner_client_id"] and w["action"] == body["action"]]
        if len(same) >= 3:
            raise ApiError("limit_reached", "A Client ID can register up to three webhooks for every action")
        webhook_id = uuid.uuid4().hex
        self.webhooks[webhook_id] = {"id": webhook_id, "url": body["url"], "description": body.get("description"),
                                     "action": body["action"], "secret_key": body["secret_key"],
                                     "type": body["type"], "filters": filters,
                                     "additional_data": body.get("additional_data") or [],
                                     "owner_client_id": body["owner_client_id"]}
        return {"id": webhook_id}

    def _configuration_list_webhooks(self, body: dict, agent_id: str) -> list:
        _require(body, "owner_client_id")
        return [w for w in self.webhooks.values() if w["owner_client_id"] == body["owner_client_id"]]

    def _configuration_unregister_webhook(self, body: dict, agent_id: str) -> dict:
        _require(body, "id", "owner_client_id")
        webhook = self.webhooks.get(body["id"])
        if webhook is None or webhook["owner_client_id"] != body["owner_client_id"]:
            raise ApiError("not_found", "Webhook not found")
        del self.webhooks[body["id"]]
        return {}

    def _configuration_get_license_webhooks_state(self, body: dict, agent_id: str) -> dict:
        return {"license_webhooks_enabled": self.installed and self.license_webhooks_enabled}

    def _configuration_enable_license_webhooks(self, body: dict, agent_id: str) -> dict:
        self.license_webhooks_enabled = True
        return {}

    def _configuration_disable_license_webhooks(self, body: dict, agent_id: str) -> dict:
        self.license_webhooks_enabled = False
        return {}

    # -- state helpers -----------------------------------------------------------------------

    def _chat(self, chat_id: str) -> dict[str, Any]:
        if chat_id not in self.chats:
            raise ApiError("not_found", "Chat not found")
        return self.chats[chat_id]

    def _own_chat(self, chat_id: str, customer_id: str) -> dict[str, Any]:
        chat = self.chats.get(chat_id)
        if chat is None or chat["customer_id"] != customer_id:
            raise ApiError("not_found", "Chat not found")
        return chat

    def _groups(self, group_ids: Any) -> list[int]:
        if not isinstance(group_ids, list) or not group_ids:
            raise ApiError("validation", "`group_ids` must be a non-empty array")
        unknown = [g for g in group_ids if g not in self.groups]
        if unknown:
            raise ApiError("group_not_found", f"Group `{unknown[0]}` not found")
        return list(group_ids)

    def _check_online(self, group_ids: list[int], continuous: bool, active: bool) -> None:
        if active and not continuous and not any(self.groups[g] for g in group_ids):
            raise ApiError("groups_offline", "Groups offline")

    @staticmethod
    def _check_presence(chat: dict, agent_id: str, body: dict) -> None:
        if not body.get("ignore_requester_presence") and agent_id not in chat["agent_ids"]:
            raise ApiError("authorization", "The requester is not a user of this chat")

    def _writable_thread(self, chat: dict, attach_to_last_thread: Any) -> dict[str, Any]:
        thread = self.active_thread(chat["id"])
        if thread is None and not attach_to_last_thread:
            raise ApiError("chat_inactive", "No active chat thread")
        return thread or chat["threads"][-1]

    def _events_in(self, chat_in: dict) -> list[dict[str, Any]]:
        events = (chat_in.get("thread") or {}).get("events") or []
        return [self._event_in(e) for e in events]

    def _event_in(self, event: Any) -> dict[str, Any]:
        if not isinstance(event, dict) or event.get("type") not in ("message", "file", "system_message"):
            raise ApiError("validation", "`event.type` must be message, file or system_message in this fake")
        if event["type"] in ("message", "system_message"):
            text = event.get("text")
            if not isinstance(text, str) or not text:
                raise ApiError("validation", "`event.text` is required")
            if len(text.encode("utf-8")) > MAX_TEXT_BYTES:
                raise ApiError("validation", "`event.text` exceeds 16 KB")
        elif event.get("url") not in self.files:
            raise ApiError("validation", "`event.url` has to point to the LiveChat CDN (use upload_file)")
        return event

    def _new_thread(self, chat: dict, active: bool) -> dict[str, Any]:
        thread = {"id": _id(), "created_at": _now(), "active": bool(active), "events": [], "properties": {},
                  "access": {"group_ids": list(chat["access"]["group_ids"])}}
        chat["threads"].append(thread)
        return thread

    def _add_event(self, thread: dict, event_in: dict, author_id: str) -> dict[str, Any]:
        event = {"id": f"{thread['id']}_{len(thread['events']) + 1}", "created_at": _now(),
                 "type": event_in["type"], "author_id": author_id,
                 "visibility": event_in.get("visibility", "all")}
        for key in ("text", "custom_id", "properties"):
            if key in event_in:
                event[key] = event_in[key]
        if event["type"] == "file":
            meta = self.files[event_in["url"]]
            event.update(url=event_in["url"], name=meta["name"], content_type=meta["content_type"], size=meta["size"])
        thread["events"].append(event)
        return event

    def _transfer(self, chat: dict, target_type: str, ids: list) -> None:
        if target_type == "group":
            chat["access"]["group_ids"] = list(ids)
            chat["agent_ids"] = []
        else:
            chat["agent_ids"] = list(ids)
        chat.setdefault("transfers", []).append({"type": target_type, "ids": list(ids), "at": _now()})

    def _deactivate(self, chat: dict) -> None:
        chat["threads"][-1]["active"] = False
        customer = self.customers.get(chat["customer_id"], {})
        customer.update(customer.pop("pending", {}))

    def _chat_out(self, chat: dict) -> dict[str, Any]:
        customer = {k: v for k, v in self.customers.get(chat["customer_id"], {}).items()
                    if k in ("id", "name", "email", "avatar")}
        users = [{**customer, "type": "customer", "present": True}]
        users += [{"id": a, "type": "agent", "present": True,
                   "visibility": chat.get("agent_visibility", {}).get(a, "all")} for a in chat["agent_ids"]]
        return {"id": chat["id"], "users": users, "properties": chat["properties"], "access": chat["access"],
                "is_followed": False}

    @staticmethod
    def _thread_out(thread: dict) -> dict[str, Any]:
        return {**thread, "events": list(thread["events"])}
