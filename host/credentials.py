"""How credentials begin and end: sign-ins (session and "remember me" cookies), API tokens.

Every path that changes an agent's access — the admin pages, the API, the command line,
a plugin's sign-in method — goes through these functions, so the rules hold everywhere:

* signing out ends that sign-in (its session cookie and its "remember me" cookie);
* a new password ends every other sign-in of the agent (an admin setting it: all);
* deactivating an agent ends all their sign-ins and revokes their API tokens for good;
* a token works until it is revoked or expires; ``last_used_at`` is written at most
  once a minute (one small UPDATE, not one per request).

Open Socket.IO connections follow within a second or two: ``host.realtime_access``
re-checks them against these rows.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.security import check_password_hash

from host.config import REMEMBER_FOR
from host.extensions import db
from host.models import Agent, AgentSession, ApiToken, secret_hash, unusable_hash, utcnow

#: A sign-in not used for this long ends (and its row is pruned at the agent's next
#: sign-in); the "remember me" cookie lasts as long.
IDLE_LIMIT = REMEMBER_FOR
#: ``last_used_at`` / ``last_seen_at`` move at most this often.
TOUCH_EVERY = timedelta(minutes=1)
TOKEN_PREFIX = "sbt_"
SESSION_PREFIX = "sbs_"


# --- sign-ins ----------------------------------------------------------------------------

def start_session(agent: Agent, remember: bool = False, user_agent: str = "", ip_address: str = "") -> AgentSession:
    """A new sign-in for ``agent`` (the caller commits and hands it to Flask-Login)."""
    now = utcnow()
    db.session.execute(db.delete(AgentSession).where(
        AgentSession.agent_id == agent.id, AgentSession.last_seen_at < now - IDLE_LIMIT))
    key = SESSION_PREFIX + secrets.token_urlsafe(32)
    row = AgentSession(agent=agent, key_hash=secret_hash(key), remember=bool(remember), created_at=now,
                       last_seen_at=now, user_agent=(user_agent or "")[:200], ip_address=(ip_address or "")[:45])
    row.key = key
    db.session.add(row)
    agent.credential = row
    return row


def session_for_key(key: str) -> AgentSession | None:
    """The live sign-in a cookie's key names, with its agent; None if ended or idle too long."""
    now = utcnow()
    row = db.session.execute(
        db.select(AgentSession).join(Agent).where(
            AgentSession.key_hash == secret_hash(key), Agent.is_active_agent.is_(True),
            AgentSession.last_seen_at >= now - IDLE_LIMIT)
    ).scalar_one_or_none()
    if row is None:
        return None
    row.key = key
    row.agent.credential = row
    _touch(AgentSession, row, "last_seen_at", now)
    return row


def renew_key(row: AgentSession) -> str:
    """A new key for this sign-in: cookies carrying the old one (copies included) stop
    working, while the sign-in itself — and connections opened with it — go on."""
    row.key = SESSION_PREFIX + secrets.token_urlsafe(32)
    row.key_hash = secret_hash(row.key)
    return row.key


def end_session(row: AgentSession) -> None:
    db.session.delete(row)


def end_sessions(agent: Agent, keep: AgentSession | None = None) -> int:
    """End every sign-in of ``agent`` but ``keep``; returns how many ended."""
    query = db.delete(AgentSession).where(AgentSession.agent_id == agent.id)
    if keep is not None and keep.id is not None:
        query = query.where(AgentSession.id != keep.id)
    return db.session.execute(query).rowcount


def sessions_of(agent: Agent) -> list[AgentSession]:
    cutoff = utcnow() - IDLE_LIMIT
    return list(db.session.execute(
        db.select(AgentSession).where(AgentSession.agent_id == agent.id, AgentSession.last_seen_at >= cutoff)
        .order_by(AgentSession.last_seen_at.desc())).scalars())


# --- passwords and deactivation ----------------------------------------------------------

def verify_password(agent: Agent | None, password: str) -> bool:
    """Whether ``password`` is ``agent``'s; the hash runs even when there is no agent."""
    if agent is None:
        check_password_hash(unusable_hash(), password)
        return False
    return agent.check_password(password)


def change_password(agent: Agent, password: str, keep: AgentSession | None = None) -> int:
    """Set a new password and end every sign-in of the agent but ``keep`` (the browser
    the agent changed it from, which the caller gives new cookies with
    ``host.auth.renew_sign_in``). Returns how many sign-ins ended. The caller commits."""
    agent.set_password(password)
    return end_sessions(agent, keep=keep)


def deactivate(agent: Agent) -> None:
    """No more sign-ins, cookies or tokens: reactivating later brings none of them back."""
    agent.is_active_agent = False
    end_sessions(agent)
    revoke_tokens(agent)


def set_active(agent: Agent, active: bool) -> None:
    if active:
        agent.is_active_agent = True
    else:
        deactivate(agent)


# --- API tokens ----------------------------------------------------------------------------

def issue_token(agent: Agent, name: str = "", expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """A new bearer token; the secret is returned once and never stored."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(agent=agent, name=(name or "")[:80], token_hash=secret_hash(secret), expires_at=expires_at)
    db.session.add(token)
    return token, secret


def expiry_in(days: int | None) -> datetime | None:
    return utcnow() + timedelta(days=days) if days else None


def token_for_secret(secret: str) -> ApiToken | None:
    """The live token with this secret (its agent active), touched; None otherwise."""
    now = utcnow()
    token = db.session.execute(
        db.select(ApiToken).join(Agent).where(
            ApiToken.token_hash == secret_hash(secret), ApiToken.revoked_at.is_(None),
            Agent.is_active_agent.is_(True),
            db.or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now))
    ).scalar_one_or_none()
    if token is None:
        return None
    token.agent.credential = token
    _touch(ApiToken, token, "last_used_at", now)
    return token


def tokens_of(agent: Agent) -> list[ApiToken]:
    return list(db.session.execute(
        db.select(ApiToken).where(ApiToken.agent_id == agent.id).order_by(ApiToken.id.desc())).scalars())


def revoke_token(token: ApiToken) -> bool:
    """Revoke one token; False when it already was."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    return True


def retire_token(token: ApiToken, overlap: timedelta) -> None:
    """End a token that has just been replaced ``overlap`` from now (or when it would have
    expired, if sooner), rather than at once: requests already on their way with it, and a
    realtime connection still made with it, finish on it while the client switches over.
    Revoking it outright would end that connection as "signed out" if the access re-check
    ran before the client reconnected with the new token."""
    ends = utcnow() + overlap
    if token.expires_at is None or token.expires_at > ends:
        token.expires_at = ends


def revoke_tokens(agent: Agent) -> int:
    return db.session.execute(
        db.update(ApiToken).where(ApiToken.agent_id == agent.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())).rowcount


# --- helpers -----------------------------------------------------------------------------

def _touch(model, row, column: str, now: datetime) -> None:
    """Write ``now`` to ``column`` when it is more than a minute old. On a connection of
    its own: the request's session may not be done, and committing it would expire
    what it loaded."""
    seen = getattr(row, column)
    if seen is not None and now - seen < TOUCH_EVERY:
        return
    attribute = getattr(model, column)
    with db.engine.begin() as connection:
        connection.execute(db.update(model).where(
            model.id == row.id, db.or_(attribute.is_(None), attribute < now - TOUCH_EVERY)).values({column: now}))
    set_committed_value(row, column, now)
