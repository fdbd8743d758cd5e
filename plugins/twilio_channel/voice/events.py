"""Socket.IO events of the voice panel (handlers get ``(agent, data)``, see the host).

* ``call:mute`` {call_id, muted} → the switch is recorded and ``call:muted`` is pushed to
  the chat room;
* ``call:waiting`` {} → ``call:incoming`` to this connection for each call still ringing
  for the agent, so a reloaded console rings again (answers ``{ok, count}``);
* the simulated browser Device's ``voice:sim:*`` events belong to the simulator
  (:mod:`plugins.twilio_channel.simulator.voice_phone`).
"""
from __future__ import annotations

from host.plugin_api import access, SocketEvents
from host.plugin_api.access import about

from plugins.twilio_channel.voice import calls as voice_calls


@about(access.CALL, "json:call_id")
def call_mute(agent, data):
    data = data if isinstance(data, dict) else {}
    return voice_calls.set_mute(agent, data.get("call_id"), data.get("muted"))


@about(access.AGENT, reason="rings again only the calls this agent's rooms heard ring")
def call_waiting(agent, _data):
    from flask_socketio import emit

    waiting = voice_calls.waiting_calls(agent)
    for call in waiting:
        emit("call:incoming", voice_calls.ring_payload(call, call.chat))
    return {"ok": True, "count": len(waiting)}


def socket_events() -> SocketEvents:
    return SocketEvents({"call:mute": call_mute, "call:waiting": call_waiting})
