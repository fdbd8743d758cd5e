"""Realtime: pushing events to the consoles of the agents who may see them.

``push(event, data, rooms)`` sends to rooms; the room functions name them (an agent's own,
a group's, a chat's transcript, everyone who lists or has open a chat), so a plugin
addresses the same people the host does. The host's own events are catalogued in the
README ("Realtime events").
"""
from __future__ import annotations

from host.presence import is_online, online_agents
from host.realtime import push
from host.realtime import rooms_for as agent_rooms
from host.rooms import agent_room, chat_room, chat_rooms, group_room, list_rooms

__all__ = ["push", "agent_room", "group_room", "chat_room", "list_rooms", "chat_rooms", "agent_rooms",
           "is_online", "online_agents"]
