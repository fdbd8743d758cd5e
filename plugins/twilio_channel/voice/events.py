"""Socket.IO events of the voice panel (handlers get ``(agent, data)``, see the host).

* ``call:mute`` {call_id, muted} → the switch is recorded and ``call:muted`` is pushed to
  the chat room;
* ``call:waiting`` {} → ``call:incoming`` to this connection for each call still ringing
  for the agent, so a reloaded console rings again (answers ``{ok, count}``);
* ``voice:sim:*`` — the simulated browser Device talks to the offline simulator with
  these (simulator mode only; see ``simulator_voice_phone``).
"""
from __future__ import annotations

from switchboard import access, SocketEvents
from switchboard.access import about

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


def _simulated(action):
    def handler(agent, data):
        from plugins.twilio_channel.client import uses_builtin_simulator
        from plugins.twilio_channel.simulator.voice_phone import device_event

        if not uses_builtin_simulator():
            return {"ok": False, "error": "The simulated phone works only in simulator mode."}
        return device_event(agent, action, data if isinstance(data, dict) else {})
    handler.__name__ = f"voice_sim_{action}"
    return about(access.AGENT, reason="the simulated browser Device (simulator mode only); a call it places "
                                      "goes through the same checks as a real one")(handler)


def socket_events() -> SocketEvents:
    handlers = {"call:mute": call_mute, "call:waiting": call_waiting}
    handlers.update({f"voice:sim:{action}": _simulated(action) for action in ("accept", "reject", "hangup", "connect")})
    return SocketEvents(handlers)
