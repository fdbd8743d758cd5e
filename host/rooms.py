"""Realtime room names: who receives an event pushed to them.

``agent:<id>`` is one agent's own room, ``group:<id>`` the members of a group (and every
admin), ``ungrouped`` and ``customers`` every agent (``customers``: customer records without
a group), ``chat:<id>`` the agents with that
chat open. Who joins which room is :mod:`host.access`'s rule (:func:`host.realtime.rooms_for`);
this module only names them, so the host and plugins address the same people the same way.
"""
from __future__ import annotations

from typing import Any
from collections.abc import Mapping

UNGROUPED = "ungrouped"
CUSTOMERS = "customers"


def _field(chat: Any, name: str) -> Any:
    return chat.get(name) if isinstance(chat, Mapping) else getattr(chat, name)


def agent_room(agent_id: int) -> str:
    """The room of one agent's own connections (every console and widget they have open)."""
    return f"agent:{agent_id}"


def group_room(group_id: int | None) -> str:
    """The room of a group's members and every admin; no group is every agent's room."""
    return f"group:{group_id}" if group_id is not None else UNGROUPED


def chat_room(chat_id: int) -> str:
    """The room of the agents who have this chat's transcript open."""
    return f"chat:{chat_id}"


def list_rooms(chat: Any) -> list[str]:
    """The rooms whose chat lists show ``chat`` (a :class:`~host.models.Chat` or its
    snapshot): its group's (or everyone's when it has none) and its assignee's."""
    group_id = _field(chat, "group_id")
    rooms = [group_room(group_id or None)]
    agent_id = _field(chat, "agent_id")
    if agent_id:
        rooms.append(agent_room(agent_id))
    return rooms


def chat_rooms(chat: Any) -> list[str]:
    """Everyone who may see ``chat`` and has it listed or open: its transcript room first,
    then :func:`list_rooms`."""
    return [chat_room(_field(chat, "id")), *list_rooms(chat)]
