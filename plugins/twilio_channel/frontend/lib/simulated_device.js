// A stand-in for @twilio/voice-sdk's Device and Call, for the offline simulator.
//
// Same method and event names as the SDK (Device: register, unregister, connect,
// updateToken, disconnectAll, destroy, on/off; Call: accept, reject, ignore, disconnect,
// mute, isMuted, status, sendDigits, on/off; events incoming, registered, error,
// tokenWillExpire / accept, disconnect, cancel, reject, mute, error), so the widget
// drives it exactly like the real one. Instead of WebRTC and Twilio's signalling it
// speaks Socket.IO with the simulator (plugins/twilio_channel/simulator/voice.py):
// `voice:sim:incoming|accepted|ended` arrive on the agent's room, `voice:sim:accept|
// reject|hangup|connect` go back. No audio flows.

class Emitter {
  constructor() {
    this._handlers = new Map();
  }

  on(event, handler) {
    if (!this._handlers.has(event)) this._handlers.set(event, new Set());
    this._handlers.get(event).add(handler);
    return this;
  }

  off(event, handler) {
    this._handlers.get(event)?.delete(handler);
    return this;
  }

  removeListener(event, handler) {
    return this.off(event, handler);
  }

  emit(event, ...args) {
    for (const handler of [...(this._handlers.get(event) || [])]) {
      try {
        handler(...args);
      } catch (exc) {
        console.error(`simulated ${event} handler failed`, exc);
      }
    }
  }
}

function ask(socket, event, data) {
  return new Promise((resolve) => socket.emit(event, data, (ack) => resolve(ack || { ok: false })));
}

export class SimulatedCall extends Emitter {
  constructor(device, { sid, from = "", to = "", params = {}, direction }) {
    super();
    this._device = device;
    this._muted = false;
    this._status = direction === "INCOMING" ? "pending" : "connecting";
    this.direction = direction;
    this.parameters = { CallSid: sid, From: from, To: to };
    this.customParameters = new Map(Object.entries(params || {}));
  }

  get sid() {
    return this.parameters.CallSid;
  }

  async accept() {
    if (this._status !== "pending") return;
    this._status = "connecting";
    const ack = await ask(this._device.socket, "voice:sim:accept", { call_sid: this.sid });
    if (!ack.ok) {
      this._status = "closed";
      this.emit("error", { message: ack.error || "The call could not be answered." });
      this.emit("cancel");
      return;
    }
    this._open();
  }

  reject() {
    if (this._status !== "pending") return;
    this._status = "closed";
    ask(this._device.socket, "voice:sim:reject", { call_sid: this.sid });
    this.emit("reject");
  }

  ignore() {
    this._status = "closed";
  }

  disconnect() {
    if (this._status === "closed") return;
    ask(this._device.socket, "voice:sim:hangup", { call_sid: this.sid });
    this._close();
  }

  mute(shouldMute = true) {
    this._muted = Boolean(shouldMute);
    this.emit("mute", this._muted, this);
  }

  isMuted() {
    return this._muted;
  }

  status() {
    return this._status;
  }

  sendDigits() {}

  _open() {
    if (this._status === "open" || this._status === "closed") return;
    this._status = "open";
    this.emit("accept", this);
  }

  _close() {
    if (this._status === "closed") return;
    const wasPending = this._status === "pending";
    this._status = "closed";
    this._device._forget(this);
    this.emit(wasPending ? "cancel" : "disconnect", this);
  }
}

export class SimulatedDevice extends Emitter {
  constructor(token, options = {}) {
    super();
    this.token = token;
    this.socket = options.socket;
    this.state = "unregistered";
    this.calls = new Map();
    this._listeners = {
      "voice:sim:incoming": (data) => this._incoming(data),
      "voice:sim:accepted": (data) => this.calls.get(data?.call_sid)?._open(),
      "voice:sim:ended": (data) => this.calls.get(data?.call_sid)?._close(),
    };
  }

  async register() {
    if (!this.socket) throw new Error("The simulated phone needs the Socket.IO connection.");
    if (this.state === "registered") return;
    for (const [event, handler] of Object.entries(this._listeners)) this.socket.on(event, handler);
    this.state = "registered";
    this.emit("registered");
  }

  async unregister() {
    for (const [event, handler] of Object.entries(this._listeners)) this.socket?.off(event, handler);
    this.state = "unregistered";
    this.emit("unregistered");
  }

  async connect({ params = {} } = {}) {
    const ack = await ask(this.socket, "voice:sim:connect", { params });
    if (!ack.ok) throw new Error(ack.error || "The simulator refused the call.");
    const call = new SimulatedCall(this, { sid: ack.call_sid, to: params.To, params, direction: "OUTGOING" });
    this.calls.set(call.sid, call);
    return call;
  }

  updateToken(token) {
    this.token = token;
  }

  disconnectAll() {
    for (const call of [...this.calls.values()]) call.disconnect();
  }

  destroy() {
    this.disconnectAll();
    this.unregister();
    this.state = "destroyed";
    this.emit("destroyed");
  }

  _incoming({ call_sid: sid, from, params } = {}) {
    if (!sid || this.calls.has(sid)) return;
    const call = new SimulatedCall(this, { sid, from, params, direction: "INCOMING" });
    this.calls.set(sid, call);
    this.emit("incoming", call);
  }

  _forget(call) {
    this.calls.delete(call.sid);
  }
}
