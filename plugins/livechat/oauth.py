"""'Sign in with LiveChat': check an agent's LiveChat access token, find their Switchboard agent.

The browser gets the token with LiveChat's implicit grant (a popup to the accounts
service, back to ``/login/livechat/callback``). The server then asks LiveChat's
accounts service about it — ``GET /v2/info`` (token info: which app it was issued to and
for which organization) and ``GET /v2/accounts/me`` (the agent's email) — and signs in the
active Switchboard agent with that email. A token issued to another app, or for another
organization, is refused. Tokens are neither stored nor logged.
"""
from __future__ import annotations

from dataclasses import dataclass

import httpx
from flask_babel import gettext
from sqlalchemy import func

from host.plugin_api import db, Agent
from plugins.livechat import client, scopes
from plugins.livechat.settings import LiveChatSettings

EMAIL_SCOPE = "accounts--my:ro"


def _no_email_scope() -> str:
    return gettext("LiveChat did not give Switchboard the scope %(scope)s, which it needs to read your email. An admin "
                   "adds it in the app's Authorization block in LiveChat's Developer Console; then sign in again.",
                   scope=EMAIL_SCOPE)


class SignInError(Exception):
    def __init__(self, message: str, status: int = 401):
        super().__init__(message)
        self.message, self.status = message, status


@dataclass(frozen=True)
class LiveChatIdentity:
    account_id: str
    email: str
    name: str


def authorize_url(config: LiveChatSettings, redirect_uri: str, state: str) -> str:
    from urllib.parse import urlencode

    query = urlencode({"response_type": "token", "client_id": config.client_id or "",
                       "redirect_uri": redirect_uri, "state": state})
    return f"{client.accounts_url()}/?{query}"


def identify(access_token: str, config: LiveChatSettings) -> LiveChatIdentity:
    if not config.client_id:
        raise SignInError(gettext("Sign in with LiveChat is not set up: an admin needs to enter the LiveChat Client ID."),
                          503)
    headers = {"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
    base = client.accounts_url()
    try:
        with client.http_client(timeout=10) as http:
            info = _json(http.get(f"{base}/v2/info", headers=headers))
            if info.get("client_id") != config.client_id:
                raise SignInError(gettext("This LiveChat sign-in was made for another app. Sign in again from Switchboard."))
            if config.organization_id and info.get("organization_id") not in (None, config.organization_id):
                raise SignInError(gettext("Your LiveChat account belongs to another organization than this Switchboard."),
                                  403)
            if info.get("scope") and not scopes.covers(scopes.parse(info["scope"]), EMAIL_SCOPE):
                raise SignInError(_no_email_scope(), 403)
            me = _json(http.get(f"{base}/v2/accounts/me", headers=headers), scope=EMAIL_SCOPE)
    except httpx.TransportError as exc:
        raise SignInError(gettext("LiveChat could not be reached to check your sign-in. Try again in a moment."),
                          503) from exc
    email = str(me.get("email") or "").strip().lower()
    if not email:
        raise SignInError(gettext("LiveChat did not tell Switchboard your email address, so you can't be signed in."),
                          403)
    return LiveChatIdentity(account_id=str(info.get("account_id") or me.get("account_id") or ""), email=email,
                            name=str(me.get("name") or ""))


def _json(response: httpx.Response, scope: str | None = None) -> dict:
    if response.status_code == 403 and scope:
        raise SignInError(_no_email_scope(), 403)
    if response.status_code in (400, 401, 403):
        raise SignInError(gettext("LiveChat did not accept this sign-in (it may have expired). Sign in again."))
    if not response.is_success:
        raise SignInError(gettext("LiveChat could not check your sign-in right now. Try again in a moment."), 503)
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise SignInError(gettext("LiveChat answered the sign-in check with something unexpected. Try again."), 502)
    return data


def agent_for(identity: LiveChatIdentity) -> Agent:
    agent = db.session.execute(db.select(Agent).where(func.lower(Agent.email) == identity.email)).scalar_one_or_none()
    if agent is None or not agent.is_active:
        raise SignInError(gettext("No active Switchboard agent has the email %(email)s. Ask an admin to add you, or "
                                  "sign in with your Switchboard account.", email=identity.email), 403)
    return agent
