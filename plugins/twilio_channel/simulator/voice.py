"""Calls in the offline simulator: a small TwiML interpreter playing Twilio Voice.

No audio ever flows (there is no media server); everything else follows Twilio: a
customer on the phone page (``/simulator/phone``) dials one of our numbers and the
simulator posts the *signed* voice webhook, runs the TwiML we answer (``<Say>``,
``<Play>``, ``<Enqueue>`` with its wait URL and ``<Leave>``, ``<Dial>`` a ``<Client>`` or a
``<Number>`` with status callbacks and ``action``, ``<Record>``, ``<Hangup>``), accepts the
REST API's ``calls(sid).update(twiml=…)`` and ``calls.list(parent_call_sid=…)``, and
posts status callbacks (the number's and the TwiML App's status callback URLs are taken
as set to ``/webhooks/twilio/voice/status``).

The browser side is the widget's simulated Device (``frontend/lib/simulated_device.js``):
it hears ``voice:sim:incoming`` / ``voice:sim:accepted`` / ``voice:sim:ended`` on the
agent's room and answers with the ``voice:sim:*`` Socket.IO events
(``simulator_voice_phone.device_event``, which also serves the phone page's buttons).

Calls live in memory (one process, like ``make run``). Work Twilio does later (running
TwiML after a REST update, placing an agent's call) goes through the simulator's
scheduler, so tests run it with ``simulator.run_pending()``; timers (ring timeouts,
hold-music rounds) only run by themselves outside manual mode — tests call
:meth:`VoiceSimulator.time_out` and :meth:`VoiceSimulator.hold_round` instead.
"""
from __future__ import annotations

import functools
import io
import itertools
import math
import struct
import threading
import time
import wave
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from flask import current_app

from host.plugin_api import db
from host.plugin_api.realtime import agent_room, push

from plugins.twilio_channel.models import SimulatedMedia
from plugins.twilio_channel.settings import load_config
from plugins.twilio_channel.simulator.engine import _error, _json, new_sid, post_signed, simulator_for
from plugins.twilio_channel.transport import SimulatedAnswer, SimulatedRequest
from plugins.twilio_channel.voice.channel import VoiceUrls, agent_id_of

FINAL = ("completed", "busy", "no-answer", "failed", "canceled")
HOLD_ROUND_SECONDS = 20  # how often the wait URL is asked again (the length of a "song")


def _locked(method):
    """One simulated-Twilio action at a time (page requests, sockets, the scheduler)."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self.lock:
            return method(self, *args, **kwargs)
    return wrapper


@dataclass
class SimCall:
    sid: str
    direction: str                 # inbound (customer → us) | outbound-dial (a Dial's leg) | client (a browser's call)
    from_address: str
    to_address: str
    parent_sid: str | None = None
    status: str = "ringing"
    started: float = field(default_factory=time.monotonic)
    answered: float | None = None
    status_callback: str | None = None
    events: tuple = ("completed",)
    activity: str = "ringing"      # ringing | greeting | queued | dialing | talking | voicemail | ended
    pending: list = field(default_factory=list)   # TwiML verbs left after the blocking one
    queue: dict | None = None      # {name, sid, wait_url, action, entered}
    queue_sid: str | None = None   # the last queue it waited in
    dial: dict | None = None       # {action, child}
    record: dict | None = None     # {action, callback}
    params: dict = field(default_factory=dict)    # <Client><Parameter>s / Device.connect params
    heard: list = field(default_factory=list)     # what the customer heard, for the phone page
    seq: int = 0

    @property
    def duration(self) -> int:
        return int(time.monotonic() - self.answered) if self.answered else 0

    def public(self) -> dict:
        return {"sid": self.sid, "direction": self.direction, "from": self.from_address, "to": self.to_address,
                "status": self.status, "activity": self.activity, "duration": self.duration,
                "heard": self.heard[-6:], "parent_call_sid": self.parent_sid}


def voice_simulator_for(app) -> VoiceSimulator:
    sim = app.extensions.get("twilio_channel.simulator_voice")
    if sim is None:
        sim = app.extensions["twilio_channel.simulator_voice"] = VoiceSimulator(app)
    return sim


def current() -> VoiceSimulator:
    return voice_simulator_for(current_app._get_current_object())


class VoiceSimulator:
    def __init__(self, app):
        self.app = app
        self.sim = simulator_for(app)
        self.calls: dict[str, SimCall] = {}
        # Queues persist until deleted through the REST API, as at Twilio: name → {sid, members}.
        self.queues: dict[str, dict] = {}
        self.lock = threading.RLock()
        self._seq = itertools.count(1)

    def calls_now(self) -> list[SimCall]:
        """The calls as they are now: a copy other threads' new calls cannot change while read."""
        with self.lock:
            return list(self.calls.values())

    # --- plumbing ---------------------------------------------------------------------------

    def _urls(self) -> VoiceUrls:
        return VoiceUrls(load_config().public_url)

    def _new(self, **kwargs) -> SimCall:
        call = SimCall(sid=new_sid("CA"), seq=next(self._seq), **kwargs)
        with self.lock:
            self.calls[call.sid] = call
        return call

    def _form(self, call: SimCall, **extra) -> dict:
        form = {"AccountSid": self.sim.account_sid, "ApiVersion": "2010-04-01", "CallSid": call.sid,
                "From": call.from_address, "To": call.to_address, "Caller": call.from_address,
                "Called": call.to_address, "CallStatus": call.status, "Direction": call.direction}
        if call.parent_sid:
            form["ParentCallSid"] = call.parent_sid
        form.update({k: str(v) for k, v in extra.items()})
        return form

    def _post(self, url: str, params: dict) -> str:
        """POST a signed webhook to our app and return its body (TwiML or empty)."""
        from twilio.request_validator import RequestValidator

        public = self.app.config["SWITCHBOARD_PUBLIC_URL"].rstrip("/")
        if not url.startswith(public + "/"):
            post_signed(self.app, url, params, self.sim.token)
            return ""
        signature = RequestValidator(self.sim.token).compute_signature(url, params)
        response = self.app.test_client().post(url[len(public):], base_url=public, data=params,
                                               headers={"X-Twilio-Signature": signature})
        return response.get_data(as_text=True) if response.status_code == 200 else ""

    def _status(self, call: SimCall, status: str, event: str | None = None) -> None:
        call.status = status
        if status == "in-progress" and call.answered is None:
            call.answered = time.monotonic()
        event = event or ("completed" if status in FINAL else status)
        if call.status_callback and event in call.events:
            extra = {"CallDuration": call.duration} if status in FINAL else {}
            self._post(call.status_callback, self._form(call, CallbackSource="call-progress-events", **extra))

    def _later(self, delay: float, fn, *args) -> None:
        """Timers run by themselves only outside manual mode (tests call them)."""
        if not self.sim.manual:
            self.sim.schedule(delay, lambda *a, retry_delay=0: fn(*a), *args)

    def _soon(self, fn, *args) -> None:
        """What Twilio does asynchronously; ``simulator.run_pending()`` runs it in tests."""
        self.sim.schedule(0, lambda *a, retry_delay=0: fn(*a), *args)

    def _tell_agent(self, agent_id: int | None, event: str, data: dict) -> None:
        if agent_id:
            push(event, data, [agent_room(agent_id)])

    # --- the customer's phone --------------------------------------------------------------

    @_locked
    def customer_dials(self, customer: str, our_number: str) -> SimCall:
        call = self._new(direction="inbound", from_address=customer, to_address=our_number,
                         status_callback=self._urls().status)
        twiml = self._post(self._urls().incoming, self._form(call))
        if call.status not in FINAL:
            call.status, call.answered, call.activity = "in-progress", None, "greeting"
            self.run(call, twiml)
        return call

    @_locked
    def customer_hangs_up(self, sid: str) -> None:
        call = self.calls.get(sid)
        if call is None or call.status in FINAL:
            return
        if call.direction == "outbound-dial" and call.status != "in-progress":
            return self.end_child(call, "busy")  # declining an agent's call
        if call.direction == "outbound-dial":
            return self.end_child(call, "completed")
        self.hang_up(call, "completed", by_caller=True)

    @_locked
    def customer_answers(self, sid: str) -> None:
        call = self.calls.get(sid)
        if call is None or call.direction != "outbound-dial" or call.status != "ringing":
            return
        self.child_answers(call)

    @_locked
    def stop_recording(self, sid: str) -> None:
        call = self.calls.get(sid)
        if call is not None and call.activity == "voicemail":
            self._finish_recording(call, hung_up=False)

    # --- the agent's browser (simulated Device) -----------------------------------------

    @_locked
    def device_accepts(self, agent_id: int, sid: str) -> bool:
        call = self.calls.get(sid)
        if call is None or agent_id_of(call.to_address) != agent_id or call.status != "ringing":
            return False
        self.child_answers(call)
        return True

    @_locked
    def device_rejects(self, agent_id: int, sid: str) -> bool:
        call = self.calls.get(sid)
        if call is None or agent_id_of(call.to_address) != agent_id or call.status != "ringing":
            return False
        self.end_child(call, "busy")
        return True

    @_locked
    def device_hangs_up(self, agent_id: int, sid: str) -> bool:
        call = self.calls.get(sid)
        if call is None or call.status in FINAL:
            return False
        if agent_id_of(call.to_address) == agent_id:      # the agent's leg of a call to us
            self.end_child(call, "completed" if call.status == "in-progress" else "canceled")
        elif agent_id_of(call.from_address) == agent_id:  # a call the agent placed
            self.hang_up(call, "completed")
        else:
            return False
        return True

    @_locked
    def device_connects(self, agent_id: int, params: dict) -> SimCall:
        call = self._new(direction="client", from_address=f"client:agent-{agent_id}",
                         to_address=str(params.get("To") or ""), status="ringing",
                         status_callback=self._urls().status, params=dict(params))
        self._soon(self._place, call.sid)
        return call

    @_locked
    def _place(self, sid: str) -> None:
        call = self.calls[sid]
        if call.status in FINAL:
            return
        form = self._form(call, **{k: v for k, v in call.params.items() if k not in ("To", "From")})
        form["Direction"] = "inbound"
        twiml = self._post(self._urls().outbound, form)
        call.status = "in-progress"
        self.run(call, twiml)

    # --- TwiML -----------------------------------------------------------------------------

    def run(self, call: SimCall, twiml: str) -> None:
        try:
            verbs = list(ET.fromstring(twiml)) if twiml.strip() else []
        except ET.ParseError:
            call.heard.append("Switchboard answered with invalid TwiML")
            verbs = []
        self._continue(call, verbs)

    def _continue(self, call: SimCall, verbs: list) -> None:
        while verbs and call.status not in FINAL:
            verb = verbs.pop(0)
            if verb.tag == "Say":
                call.heard.append(f"Heard: “{verb.text or ''}”")
            elif verb.tag == "Play":
                call.heard.append("Music")
            elif verb.tag == "Enqueue":
                return self._enqueue(call, verb, verbs)
            elif verb.tag == "Dial":
                return self._dial(call, verb, verbs)
            elif verb.tag == "Record":
                return self._record(call, verb, verbs)
            elif verb.tag in ("Hangup", "Reject"):
                break
        if call.status not in FINAL:
            self.hang_up(call, "completed")

    def _enqueue(self, call: SimCall, verb, rest: list) -> None:
        call.activity, call.pending = "queued", rest
        name = (verb.text or "").strip()
        queue = self.queues.setdefault(name, {"sid": new_sid("QU"), "members": set()})  # made on demand
        queue["members"].add(call.sid)
        call.queue_sid = queue["sid"]
        call.queue = {"name": name, "sid": queue["sid"], "wait_url": verb.get("waitUrl"),
                      "action": verb.get("action"), "entered": time.monotonic()}
        self.hold_round(call.sid)

    def _dequeue(self, call: SimCall) -> dict | None:
        queue, call.queue = call.queue, None
        if queue and queue["name"] in self.queues:
            self.queues[queue["name"]]["members"].discard(call.sid)
        return queue

    @_locked
    def hold_round(self, sid: str, waited: int | None = None) -> None:
        """Ask the queue's wait URL again (Twilio does when the music ends)."""
        call = self.calls.get(sid)
        if call is None or call.activity != "queued" or not call.queue:
            return
        queue = call.queue
        seconds = int(time.monotonic() - queue["entered"]) if waited is None else waited
        size = len(self.queues.get(queue["name"], {}).get("members", ()))
        twiml = self._post(queue["wait_url"], self._form(call, QueueTime=seconds, QueuePosition=1,
                                                         QueueSid=queue["sid"], CurrentQueueSize=size,
                                                         AvgQueueTime=seconds)) if queue["wait_url"] else ""
        if "<Leave" in twiml:
            return self._leave_queue(call, "leave")
        if not call.heard or call.heard[-1] != "Hold music":
            call.heard.append("Hold music")
        self._later(HOLD_ROUND_SECONDS, self.hold_round, sid)

    def _leave_queue(self, call: SimCall, result: str) -> None:
        queue, call.activity = self._dequeue(call), "greeting"
        seconds = int(time.monotonic() - queue["entered"])
        if queue.get("action"):
            twiml = self._post(queue["action"], self._form(call, QueueResult=result, QueueTime=seconds,
                                                           QueueSid=queue["sid"]))
            if result in ("leave", "bridged") and call.status not in FINAL:
                return self.run(call, twiml)
        if result == "leave":
            self._continue(call, call.pending)

    def _dial(self, call: SimCall, verb, rest: list) -> None:
        call.activity, call.pending = "dialing", rest
        noun = next(iter(verb), None)
        if noun is None:
            return self._continue(call, rest)
        if noun.tag == "Client":
            identity = (noun.findtext("Identity") or noun.text or "").strip()
            target = f"client:{identity}"
            params = {p.get("name"): p.get("value") for p in noun.findall("Parameter")}
            caller = call.from_address if call.direction == "inbound" else call.to_address
        else:
            target, params = (noun.text or "").strip(), {}
            caller = verb.get("callerId") or call.from_address
        child = self._new(direction="outbound-dial", from_address=caller, to_address=target, parent_sid=call.sid,
                          status="queued", status_callback=noun.get("statusCallback"),
                          events=tuple((noun.get("statusCallbackEvent") or "completed").split()), params=params)
        call.dial = {"action": verb.get("action"), "child": child.sid}
        self._status(child, "initiated", "initiated")
        self._status(child, "ringing", "ringing")
        agent = agent_id_of(target)
        if agent is not None:
            call.heard.append("Ringing an agent…")
            self._tell_agent(agent, "voice:sim:incoming", {"call_sid": child.sid, "parent_call_sid": call.sid,
                                                           "from": caller, "params": params})
        self._later(float(verb.get("timeout") or 30), self.time_out, child.sid)

    @_locked
    def time_out(self, sid: str) -> None:
        """A ringing leg nobody answered: ``no-answer``."""
        call = self.calls.get(sid)
        if call is not None and call.status == "ringing":
            self.end_child(call, "no-answer")

    def child_answers(self, child: SimCall) -> None:
        parent = self.calls.get(child.parent_sid)
        self._status(child, "in-progress", "answered")
        child.activity = "talking"
        if parent is not None:
            parent.activity = "talking"
            parent.heard.append("Connected to an agent")
            if parent.direction == "client":
                parent.answered = parent.answered or time.monotonic()
                self._tell_agent(agent_id_of(parent.from_address), "voice:sim:accepted", {"call_sid": parent.sid})

    def end_child(self, child: SimCall, status: str, redirected: bool = False) -> None:
        """A Dial's leg ended: tell its status callback, then the parent's ``<Dial action>``."""
        if child.status in FINAL:
            return
        self._status(child, status)
        child.activity = "ended"
        self._tell_agent(agent_id_of(child.to_address), "voice:sim:ended", {"call_sid": child.sid, "status": status})
        parent = self.calls.get(child.parent_sid)
        if parent is None or redirected or not parent.dial or parent.dial.get("child") != child.sid:
            return
        dial, parent.dial = parent.dial, None
        outcome = {"DialCallStatus": status, "DialCallSid": child.sid, "DialCallDuration": child.duration}
        if dial.get("action"):
            twiml = self._post(dial["action"], self._form(parent, **outcome))
            if parent.status not in FINAL:
                self.run(parent, twiml)
        elif parent.status not in FINAL:
            self._continue(parent, parent.pending)

    def _record(self, call: SimCall, verb, rest: list) -> None:
        call.activity, call.pending = "voicemail", rest
        call.record = {"action": verb.get("action"), "callback": verb.get("recordingStatusCallback"),
                       "started": time.monotonic()}
        call.heard.append("Recording a voicemail (press Stop or hang up)")

    def _finish_recording(self, call: SimCall, hung_up: bool) -> None:
        record, call.record = call.record, None
        call.activity = "greeting"
        recording = new_sid("RE")
        seconds = max(1, int(time.monotonic() - record["started"]))
        db.session.add(SimulatedMedia(sid=recording, message_sid=call.sid, content_type="audio/wav", data=_tone()))
        db.session.commit()
        url = f"https://api.twilio.com/2010-04-01/Accounts/{self.sim.account_sid}/Recordings/{recording}"
        details = {"RecordingSid": recording, "RecordingUrl": url, "RecordingDuration": seconds}
        if record.get("callback"):
            self._post(record["callback"], self._form(call, RecordingStatus="completed", **details))
        if record.get("action"):
            twiml = self._post(record["action"], self._form(call, **details))
            if not hung_up:
                return self.run(call, twiml)
        if not hung_up:
            self._continue(call, call.pending)

    # --- ending and the REST API --------------------------------------------------------------

    def hang_up(self, call: SimCall, status: str, by_caller: bool = False) -> None:
        if call.status in FINAL:
            return
        if call.activity == "voicemail":
            call.status = status
            self._finish_recording(call, hung_up=True)
        elif call.activity == "queued" and by_caller:
            call.status = status
            self._leave_queue(call, "hangup")
        was_dialing = call.dial
        call.status, call.activity = status, "ended"
        if was_dialing:
            child = self.calls.get(was_dialing["child"])
            if child is not None:
                self.end_child(child, "completed" if child.status == "in-progress" else "canceled")
        call.heard.append("📴 call ended")
        self._status(call, status)
        if call.direction == "client":
            self._tell_agent(agent_id_of(call.from_address), "voice:sim:ended", {"call_sid": call.sid,
                                                                                 "status": status})

    def update(self, sid: str, twiml: str | None, status: str | None) -> SimCall | None:
        call = self.calls.get(sid)
        if call is None:
            return None
        if status in ("completed", "canceled"):
            self._soon(self._complete, sid)
        elif twiml:
            self._soon(self._redirect, sid, twiml)
        return call

    @_locked
    def _complete(self, sid: str) -> None:
        self.hang_up(self.calls[sid], "completed")

    @_locked
    def _redirect(self, sid: str, twiml: str) -> None:
        call = self.calls.get(sid)
        if call is None or call.status in FINAL:
            return
        if call.activity == "queued":
            queue = self._dequeue(call)
            if queue and queue.get("action"):
                self._post(queue["action"], self._form(call, QueueResult="redirected", QueueSid=queue["sid"]))
        if call.dial:
            dial, call.dial = call.dial, None
            child = self.calls.get(dial["child"])
            if child is not None:
                self.end_child(child, "completed" if child.status == "in-progress" else "canceled", redirected=True)
        call.pending = []
        self.run(call, twiml)

    def handle(self, req: SimulatedRequest, rest: str) -> SimulatedAnswer:
        """The REST API's Calls, Queues and Recordings resources."""
        import re

        found = re.match(r"^/Calls/(CA[0-9a-f]{32})\.json$", rest)
        if found and req.method == "POST":
            call = self.update(found.group(1), req.data.get("Twiml"), req.data.get("Status"))
            return _json(200, self._resource(call)) if call else _error(404, 20404, "Call not found")
        if found and req.method == "GET":
            call = self.calls.get(found.group(1))
            return _json(200, self._resource(call)) if call else _error(404, 20404, "Call not found")
        if rest == "/Calls.json" and req.method == "GET":
            rows = [c for c in sorted(self.calls.values(), key=lambda c: -c.seq)
                    if (not req.params.get("ParentCallSid") or c.parent_sid == req.params["ParentCallSid"])
                    and (not req.params.get("Status") or c.status == req.params["Status"])]
            size = int(req.params.get("PageSize") or 50)
            return _json(200, {"calls": [self._resource(c) for c in rows[:size]], "page": 0, "page_size": size,
                               "next_page_uri": None, "uri": f"/2010-04-01/Accounts/{self.sim.account_sid}/Calls.json"})
        found = re.match(r"^/Queues/(QU[0-9a-f]{32})\.json$", rest)
        if found:
            return self._queue_request(req.method, found.group(1))
        if rest == "/Queues.json" and req.method == "GET":
            queues = [self._queue_resource(name, q) for name, q in self.queues.items()]
            return _json(200, {"queues": queues, "page": 0, "page_size": 50, "next_page_uri": None,
                               "uri": f"/2010-04-01/Accounts/{self.sim.account_sid}/Queues.json"})
        found = re.match(r"^/Recordings/(RE[0-9a-f]{32})(\.mp3|\.wav)?$", rest)
        if found and req.method == "GET":
            media = db.session.get(SimulatedMedia, found.group(1))
            return SimulatedAnswer(200, media.data, media.content_type) if media else \
                _error(404, 20404, "Recording not found")
        return _error(404, 20404, f"The requested resource {req.path} was not found")

    @_locked
    def _queue_request(self, method: str, sid: str) -> SimulatedAnswer:
        """Fetch or delete a queue; as at Twilio, only an empty queue can be deleted."""
        name = next((n for n, q in self.queues.items() if q["sid"] == sid), None)
        if name is None:
            return _error(404, 20404, f"The requested resource /Queues/{sid}.json was not found")
        if method == "DELETE":
            if self.queues[name]["members"]:
                return _error(400, 400, "Only an empty queue can be deleted; this one has callers waiting.")
            del self.queues[name]
            return SimulatedAnswer(204, "")
        return _json(200, self._queue_resource(name, self.queues[name]))

    def _queue_resource(self, name: str, queue: dict) -> dict:
        return {"sid": queue["sid"], "account_sid": self.sim.account_sid, "friendly_name": name,
                "current_size": len(queue["members"]), "max_size": 1000, "average_wait_time": 0,
                "uri": f"/2010-04-01/Accounts/{self.sim.account_sid}/Queues/{queue['sid']}.json"}

    def _resource(self, call: SimCall) -> dict:
        return {"sid": call.sid, "account_sid": self.sim.account_sid, "parent_call_sid": call.parent_sid,
                "from": call.from_address, "to": call.to_address, "status": call.status,
                "direction": call.direction, "duration": str(call.duration), "api_version": "2010-04-01",
                "uri": f"/2010-04-01/Accounts/{self.sim.account_sid}/Calls/{call.sid}.json"}

    def calls_of(self, customer: str) -> list[SimCall]:
        with self.lock:
            rows = [c for c in self.calls.values() if customer in (c.from_address, c.to_address)]
        return sorted(rows, key=lambda c: -c.seq)[:5]


def _tone(seconds: float = 1.0, rate: int = 8000) -> bytes:
    """A short 440 Hz beep as WAV: the simulator's stand-in for a voicemail."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
                                 for i in range(int(seconds * rate))))
    return out.getvalue()
