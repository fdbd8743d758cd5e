"""The host's realtime events: name, when it is sent, to whom, and its payload.

The console and plugins' widget tabs listen for these (``ctx.on(name, handler)``); the
catalogue is rendered into the README (``python -m host.realtime_events``) and a test
keeps the two equal, checks that every event the host sends is listed here, and that
the payloads sent carry exactly the fields listed. Plugins' own events are prefixed with
the plugin's name (``<plugin>:<event>``) and documented by the plugin.
"""
from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Mapping

from marshmallow import Schema

from host.schemas import CallSchema, ChatSchema, MessageSchema


@dataclass(frozen=True)
class RealtimeEvent:
    name: str
    when: str
    rooms: str
    payload: Mapping[str, str | type[Schema]]  # field → a schema of the REST API, or what it holds


_TRANSCRIPT = "the chat's rooms (`chat_rooms`: its transcript, its group or every agent, its assignee)"
_MESSAGE = {"message": MessageSchema, "chat": ChatSchema}

EVENTS: tuple[RealtimeEvent, ...] = (
    RealtimeEvent("chat:created", "a customer's first message or call starts a chat, or an agent starts one",
                  _TRANSCRIPT, {"chat": ChatSchema, "origin": "who started it: `inbound` (a customer) or `agent`"}),
    RealtimeEvent("chat:updated", "a chat is reopened, accepted, transferred or archived", _TRANSCRIPT + ", and "
                  "after a transfer the previous assignee",
                  {"chat": ChatSchema, "reason": "`reopened`, `assigned`, `transferred` or `archived`"}),
    RealtimeEvent("chat:gone", "a transfer moved a chat to another group", "the previous group's room",
                  {"chat_id": "the chat's id", "group_id": "the group it went to (or null)",
                   "group_name": "that group's name (or null)"}),
    RealtimeEvent("message:created", "a message is received, or an agent's reply is queued", _TRANSCRIPT,
                  _MESSAGE),
    RealtimeEvent("message:updated", "a message was sent, or its delivery status moved on", _TRANSCRIPT, _MESSAGE),
    RealtimeEvent("call:updated", "a call's status changed (ringing, answered, ended …)", _TRANSCRIPT,
                  {"call": CallSchema, "chat": ChatSchema}),
    RealtimeEvent("contact:updated", "a plugin's customer record changed or was deleted",
                  "the rooms of its chats, or without a chat its group's (every agent's `customers` room "
                  "when it has none)",
                  {"contact": "the record, as the plugin that keeps it shows it", "deleted": "true when it is gone"}),
    RealtimeEvent("session:ended", "the connection's sign-in ended (signed out, token revoked, deactivated)",
                  "that connection only; it is closed next", {"message": "a sentence saying why"}),
    RealtimeEvent("access:changed", "what the connection's agent may see changed (groups, role, a chat moved)",
                  "that connection only; its rooms were already changed", {}),
    RealtimeEvent("agent:preferences", "an agent chose another language or time zone (profile page, or `PATCH /api/v1/me`)",
                  "that agent's own room (`agent_room`: every console and widget they have open)",
                  {"language": "the language's code (`en`, `es`, `pl` …), or null for the browser's",
                   "time_zone": "an IANA time zone name, or null for the browser's"}),
    RealtimeEvent("plugins:changed", "a plugin was switched on or off", "every connection of the process",
                  {"enabled": "the names of the enabled plugins"}),
)


def by_name() -> dict[str, RealtimeEvent]:
    return {event.name: event for event in EVENTS}


START, END = "<!-- realtime-events:start -->", "<!-- realtime-events:end -->"


def _describe(value: str | type[Schema]) -> str:
    return f"a {value.__name__.removesuffix('Schema')} (below)" if isinstance(value, type) else value


def render() -> str:
    lines = [START, "", "| Event | Sent when | To | Payload |", "| --- | --- | --- | --- |"]
    schemas: dict[str, type[Schema]] = {}
    for event in EVENTS:
        fields = "; ".join(f"`{key}`: {_describe(value)}" for key, value in event.payload.items()) or "nothing"
        lines.append(f"| `{event.name}` | {event.when} | {event.rooms} | {fields} |")
        schemas.update({v.__name__: v for v in event.payload.values() if isinstance(v, type)})
    lines.append("")
    for name in sorted(schemas):
        names = ", ".join(f"`{field}`" for field in schemas[name]().fields)
        lines += [f"**{name.removesuffix('Schema')}** (as `{name}` in the REST API): {names}.", ""]
    lines.append(END)
    return "\n".join(lines)


if __name__ == "__main__":  # python -m host.realtime_events > block, then paste into README.md
    print(render())
