"""Pushes every notification to the agents who may see it, over Socket.IO.

Rooms are named by :mod:`host.rooms`; who may see what is :mod:`host.access`. Chat-list events go to the chat's group
and assignee; transcript events also go to the chat room.
"""
from __future__ import annotations

from host import access, hookimpl
from host.realtime import push
from host.rooms import agent_room, chat_rooms, group_room


@hookimpl
def message_received(event):
    push("message:created", {"message": dict(event.message), "chat": dict(event.chat)}, chat_rooms(event.chat))


@hookimpl
def message_queued(event):
    push("message:created", {"message": dict(event.message), "chat": dict(event.chat)}, chat_rooms(event.chat))


@hookimpl
def message_sent(event):
    push("message:updated", {"message": dict(event.message), "chat": dict(event.chat)}, chat_rooms(event.chat))


@hookimpl
def message_status_changed(event):
    push("message:updated", {"message": dict(event.message), "chat": dict(event.chat)}, chat_rooms(event.chat))


@hookimpl
def chat_started(event):
    push("chat:created", {"chat": dict(event.chat), "origin": event.origin}, chat_rooms(event.chat))


@hookimpl
def chat_reopened(event):
    push("chat:updated", {"chat": dict(event.chat), "reason": "reopened"}, chat_rooms(event.chat))


@hookimpl
def chat_assigned(event):
    push("chat:updated", {"chat": dict(event.chat), "reason": "assigned"}, chat_rooms(event.chat))


@hookimpl
def chat_transferred(event):
    rooms = chat_rooms(event.chat)
    if event.from_agent_id:
        rooms.append(agent_room(event.from_agent_id))  # so it leaves the old owner's list
    push("chat:updated", {"chat": dict(event.chat), "reason": "transferred"}, rooms)
    moved_from = event.from_group_id
    if moved_from and moved_from != event.chat.get("group_id"):
        # The old group's consoles drop it from their lists; they learn no more than
        # where it went (group names are every agent's to see).
        push("chat:gone", {"chat_id": event.chat["id"], "group_id": event.chat.get("group_id"),
                           "group_name": event.chat.get("group_name")}, [group_room(moved_from)])


@hookimpl
def chat_archived(event):
    push("chat:updated", {"chat": dict(event.chat), "reason": "archived"}, chat_rooms(event.chat))


@hookimpl
def call_status_changed(event):
    push("call:updated", {"call": dict(event.call), "chat": dict(event.chat)}, chat_rooms(event.chat))


@hookimpl
def contact_changed(event):
    """To the agents who may see the contact: those of its chats' rooms, or with no chat,
    of its group override (every agent's ``customers`` room when it has none)."""
    data = {"contact": dict(event.contact), "deleted": event.deleted}
    push("contact:updated", data, access.rooms_for_chats(event.chat_ids, event.contact.get("group_id")))
