"""The simulator's call controls: the simulated browser Device's Socket.IO events and the
customer phone page's buttons (``/simulator/phone/voice/…``); see ``simulator_voice``."""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, request
from flask_babel import gettext

from host.plugin_api import access, SocketEvents
from host.plugin_api.access import about

from plugins.twilio_channel.messaging.channels import normalise_number
from plugins.twilio_channel.client import uses_builtin_simulator
from plugins.twilio_channel.settings import load_config
from plugins.twilio_channel.simulator.engine import bare
from plugins.twilio_channel.simulator.voice import current


# --- Socket.IO: the simulated Device ---------------------------------------------------------

def device_event(agent, action: str, data: dict) -> dict:
    sim = current()
    sid = str(data.get("call_sid") or "")
    if action == "connect":
        params = data.get("params") if isinstance(data.get("params"), dict) else {}
        call = sim.device_connects(agent.id, {str(k): str(v) for k, v in params.items()})
        return {"ok": True, "call_sid": call.sid}
    handler = {"accept": sim.device_accepts, "reject": sim.device_rejects, "hangup": sim.device_hangs_up}[action]
    ok = handler(agent.id, sid)
    return {"ok": ok} if ok else {"ok": False, "error": gettext("This call is no longer ringing or connected.")}


def _simulated(action):
    def handler(agent, data):
        if not uses_builtin_simulator():
            return {"ok": False, "error": gettext("The simulated phone works only in simulator mode.")}
        return device_event(agent, action, data if isinstance(data, dict) else {})
    handler.__name__ = f"voice_sim_{action}"
    return about(access.AGENT, reason="the simulated browser Device (simulator mode only); a call it places "
                                      "goes through the same checks as a real one")(handler)


def socket_events() -> SocketEvents:
    """``voice:sim:*``: the simulated browser Device talks to the offline simulator with these."""
    return SocketEvents({f"voice:sim:{action}": _simulated(action) for action in ("accept", "reject", "hangup", "connect")})


# --- the customer phone page's call controls ---------------------------------------------------

bp = Blueprint("twilio_channel_phone_voice", __name__, url_prefix="/simulator/phone/voice")
# The customer phone plays every customer (their numbers, what agents of every group sent
# them): admins only, like the set-up page that links to it.
access.about_blueprint("twilio_channel_phone_voice", access.ADMIN)


@bp.before_request
def _simulator_only():
    if not uses_builtin_simulator():
        abort(409, description=gettext("The customer phone works only in simulator mode (no Twilio credentials set)."))


def _number(value: str, field_name: str) -> str:
    try:
        return normalise_number(value)
    except ValueError as exc:
        abort(422, description=f"{field_name}: {exc}")  # the field keeps its name; the sentence is translated


@bp.get("/calls")
def calls():
    number = _number(request.args.get("number", ""), "number")
    return jsonify([c.public() for c in current().calls_of(number)])


@bp.post("/call")
def call():
    data = request.get_json(silent=True) or request.form
    customer = _number(data.get("from", ""), "from")
    numbers = load_config().numbers
    to = bare(data.get("to") or (numbers[0] if numbers else ""))
    if not to:
        abort(422, description=gettext("There is no number of ours to call; add one in the Twilio settings."))
    return jsonify(current().customer_dials(customer, to).public()), 201


@bp.post("/calls/<sid>/<action>")
def control(sid: str, action: str):
    sim = current()
    if sid not in sim.calls:
        abort(404)
    handlers = {"hangup": sim.customer_hangs_up, "answer": sim.customer_answers, "decline": sim.customer_hangs_up,
                "stop-recording": sim.stop_recording}
    if action not in handlers:
        abort(404)
    handlers[action](sid)
    return jsonify(sim.calls[sid].public())
