"""Which agents are online: a heartbeat in the database, so every process agrees.

The console's Socket.IO connection touches ``last_seen_at`` on connect and on each
``presence:ping`` (every 30 s); an agent seen within ``ONLINE_SECONDS`` is online.
"""
from __future__ import annotations

from datetime import timedelta

from host.extensions import db
from host.models import Agent, Group, agent_groups, utcnow

ONLINE_SECONDS = 90


def touch(agent: Agent) -> None:
    agent.last_seen_at = utcnow()
    db.session.commit()


def online_agents(group_id: int | None = None) -> list[Agent]:
    since = utcnow() - timedelta(seconds=ONLINE_SECONDS)
    query = db.select(Agent).where(Agent.is_active_agent.is_(True), Agent.last_seen_at >= since)
    if group_id is not None:
        query = query.join(agent_groups).join(Group).where(Group.id == group_id)
    return list(db.session.execute(query).scalars())


def is_online(agent: Agent) -> bool:
    return agent.last_seen_at is not None and agent.last_seen_at >= utcnow() - timedelta(seconds=ONLINE_SECONDS)
