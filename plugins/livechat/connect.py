""""Connect LiveChat": the authorization-code flow of a server-side LiveChat app, run for the admin.

The admin presses *Connect LiveChat*; Switchboard sends them to LiveChat's OAuth server
(``https://accounts.livechat.com/?response_type=code&client_id=…&redirect_uri=…&state=…``),
they sign in there and allow the app, and LiveChat sends them back to
``/plugins/livechat/admin/connect/callback`` with a single-use ``code``. Switchboard checks
the ``state`` it kept in the admin's session and exchanges the code at ``POST /v2/token``
(``grant_type=authorization_code`` with the client secret and the same ``redirect_uri``).
The access token, the refresh token (the worker renews the access token with it) and the
organization id are stored in the plugin's settings; the scopes LiveChat granted are
compared with :data:`plugins.livechat.scopes.NEEDED` and missing ones are named.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

import httpx
from flask import current_app, url_for
from flask_babel import gettext

from plugins.livechat import client, scopes, settings

STATE_KEY = "livechat.connect_state"


class ConnectError(Exception):
    """Connecting failed; the message is a sentence for the admin."""


@dataclass(frozen=True)
class Connected:
    organization_id: str | None
    missing_scopes: list[str] = field(default_factory=list)
    email: str | None = None


def redirect_uri() -> str:
    return current_app.config["SWITCHBOARD_PUBLIC_URL"].rstrip("/") + url_for("livechat_admin.connect_callback")


def authorize_url(config: settings.LiveChatSettings, state: str) -> str:
    if not (config.client_id and config.client_secret):
        raise ConnectError(gettext("Enter the app's Client ID and client secret in the LiveChat settings first."))
    query = urlencode({"response_type": "code", "client_id": config.client_id, "redirect_uri": redirect_uri(),
                       "state": state})
    return f"{client.accounts_url()}/?{query}"


def exchange(code: str, config: settings.LiveChatSettings) -> Connected:
    """Trade the code for tokens, store them, and say what the token may not do."""
    form = {"grant_type": "authorization_code", "code": code, "client_id": config.client_id or "",
            "client_secret": config.client_secret or "", "redirect_uri": redirect_uri()}
    try:
        with client.http_client(timeout=10) as http:
            response = http.post(f"{client.accounts_url()}/v2/token", data=form)
            data = _json(response)
            access = data.get("access_token")
            if not isinstance(access, str) or not access:
                raise ConnectError(gettext("LiveChat's answer had no access token. Try connecting again."))
            missing = scopes.missing(data.get("scope")) if data.get("scope") is not None else []
            email = None
            if "accounts--my:ro" not in missing:
                me = http.get(f"{client.accounts_url()}/v2/accounts/me", headers={"Authorization": f"Bearer {access}"})
                email = (me.json() or {}).get("email") if me.is_success and me.content else None
    except httpx.TransportError as exc:
        raise ConnectError(gettext("LiveChat could not be reached (%(error)s). Try again in a moment.",
                                   error=type(exc).__name__)) from exc
    organization = data.get("organization_id") or config.organization_id
    settings.update(agent_token=access, refresh_token=data.get("refresh_token") or config.refresh_token,
                    organization_id=organization)
    return Connected(organization_id=organization, missing_scopes=missing, email=email)


def _json(response: httpx.Response) -> dict:
    try:
        data = response.json() if response.content else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    if response.is_success:
        return data
    reason = data.get("error_description") or data.get("error") or f"HTTP {response.status_code}"
    if data.get("error") == "unauthorized_client":
        raise ConnectError(gettext("LiveChat refused the app's credentials (%(reason)s). Check the Client ID and "
                                   "client secret, and that the redirect URL is on the app's whitelist.", reason=reason))
    raise ConnectError(gettext("LiveChat did not accept the sign-in (%(reason)s). Press Connect LiveChat again.",
                               reason=reason))
