"""What the benchmarks set up the same way: agents spread over groups.

Imported inside an app context (``from benchmarks.fixtures import …``, with the
repository's root on ``sys.path`` as each benchmark puts it).
"""
from __future__ import annotations

import secrets

from host import credentials
from host.extensions import db
from host.models import Agent, Group


def agents_in_groups(groups: int, agents: int, *, group_name: str, email: str, token_label: str | None = None,
                     first_is_default: bool = False) -> tuple[list, list, list]:
    """``groups`` groups (``group_name`` formatted with the number) and ``agents`` agents
    spread round-robin over them, one group each (``email`` formatted with the index);
    flushed, not committed. With ``token_label`` each agent gets an API token (its secret
    in the third list), which is how the benchmarks' clients connect."""
    group_rows = [Group(name=group_name.format(g + 1), is_default=first_is_default and g == 0)
                  for g in range(groups)]
    db.session.add_all(group_rows)
    db.session.flush()
    template = Agent(email="template@bench.test")
    template.set_password(secrets.token_urlsafe(16))  # hashed once: the agents connect by token
    agent_rows = []
    for i in range(agents):
        agent = Agent(email=email.format(i), name=f"Agent {i}", role="agent", password_hash=template.password_hash)
        agent.groups.append(group_rows[i % groups])
        agent_rows.append(agent)
    db.session.add_all(agent_rows)
    db.session.flush()
    tokens = [credentials.issue_token(agent, token_label)[1] for agent in agent_rows] if token_label else []
    return group_rows, agent_rows, tokens
