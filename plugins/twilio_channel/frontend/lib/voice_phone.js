// The agent's phone: one voice Device per page, and the calls it carries.
//
// Every call into the Twilio Voice SDK is written in these files as `device.<method>(`
// or `call.<method>(` — tests/browser/test_call_panel.py reads those names from here
// and checks each exists on the real SDK bundle and on the simulated Device, so the
// widget and the SDK cannot drift apart. (Server call records are called `record`.)
//
// Which Device: `window.SwitchboardVoiceDevice` when a page or test provides one (same
// constructor and method names as the SDK's Device), else the simulator's stand-in when
// the token says `device: "simulator"`, else @twilio/voice-sdk's Device.
//
// Answering an incoming call: the server redirects the caller's leg to
// <Dial><Client>agent-<id></Client></Dial> (POST /api/v1/voice/calls/<id>/answer); the
// Device then receives that call and we accept it because the agent asked for it. A
// call transferred to this agent rings the Device directly: Answer accepts it.
import { Call, Device } from "@twilio/voice-sdk";
import { createDevices } from "./voice_device.js";
import { followRecords } from "./voice_records.js";
import { t } from "./kit.js";

const EXPECT_MS = 30_000; // an Answer click waits this long for the call to reach the Device

export { Call as TwilioCall, Device as TwilioDevice };


/**
 * createPhone({api, socket, agent}) → phone. `phone.state` is read by the panels;
 * `phone.subscribe(fn)` calls fn after every change.
 */
export function createPhone({ api, socket, agent }) {
  const listeners = new Set();
  const state = {
    device: "off",     // off | starting | ready | error
    mode: "",          // twilio | simulator | custom
    error: "",
    active: null,      // {chatId, call, direction, phase, startedAt, muted, recordId, to, ended, endedAt, duration}
    pending: new Map(),   // chat id -> incoming Device call not accepted yet (e.g. a transfer)
    records: new Map(),   // chat id -> the newest server call record we heard of
    onCall: new Map(),    // record id -> {agent_id, agent_name} of the agent connected to it
    transfers: new Set(), // record ids rung to this agent by a transfer, not connected yet
    connecting: null,     // chat id while an Answer request is on its way
  };
  const expecting = new Map(); // chat id -> deadline: the agent clicked Answer

  function changed() {
    for (const fn of listeners) {
      try {
        fn(state);
      } catch (exc) {
        console.error("call panel render failed", exc);
      }
    }
  }

  // --- the Device (voice_device.js) -------------------------------------------------------
  const devices = createDevices({ api, socket, state, changed, onIncoming: (call) => incoming(call) });
  const ensureDevice = () => devices.ensure();

  // --- calls -----------------------------------------------------------------------------

  function chatIdOf(call) {
    const value = call.customParameters?.get?.("chat_id") ?? call.customParameters?.chat_id;
    return Number(value) || null;
  }

  function incoming(call) {
    const chatId = chatIdOf(call);
    if (!chatId) {
      call.reject();
      return;
    }
    const deadline = expecting.get(chatId);
    expecting.delete(chatId);
    state.pending.set(chatId, call);
    call.on("cancel", () => {
      if (state.pending.get(chatId) === call) state.pending.delete(chatId);
      if (state.active?.call === call) finish(t("phone.hungUpEarly"));
      changed();
    });
    if (deadline && deadline > Date.now()) {
      accept(chatId);
    } else {
      changed();
    }
  }

  function follow(call, chatId, direction, extra = {}) {
    state.active = { chatId, call, direction, phase: "connecting", startedAt: null, muted: false, ended: null,
      recordId: state.records.get(chatId)?.id || null, hungUpByMe: false, ...extra };
    const active = state.active;
    call.on("accept", () => {
      if (state.active !== active) return;
      active.phase = "open";
      active.startedAt = active.startedAt || Date.now();
      changed();
    });
    call.on("ringing", () => {
      if (state.active !== active || active.phase !== "connecting") return;
      active.phase = "ringing";
      changed();
    });
    call.on("mute", (muted) => {
      if (state.active !== active) return;
      active.muted = Boolean(muted);
      changed();
    });
    call.on("disconnect", () => {
      if (state.active !== active || active.ended) return;
      finish(endedReason(active));
      // Twilio may drop this leg before the word of a transfer arrives: ask about the chat.
      if (!active.hungUpByMe) api(`/api/v1/chats/${chatId}`).then(notes.noteChat, () => {});
    });
    call.on("reject", () => state.active === active && finish(t("phone.declined")));
    call.on("error", (error) => {
      state.error = error?.message || t("phone.failed");
      changed();
    });
    changed();
    return active;
  }

  function endedReason(active) {
    if (active.transferredTo) return t("phone.transferredTo", { name: active.transferredTo });
    if (active.hungUpByMe) return t("phone.youHungUp");
    return active.direction === "in" ? t("phone.callerHungUp") : t("phone.customerHungUp");
  }

  function finish(reason) {
    const active = state.active;
    if (!active || active.ended) return;
    active.ended = reason;
    active.endedAt = Date.now();
    active.duration = active.startedAt ? Math.round((active.endedAt - active.startedAt) / 1000) : 0;
    active.phase = "ended";
    changed();
  }

  function accept(chatId) {
    const call = state.pending.get(chatId);
    if (!call) return false;
    state.pending.delete(chatId);
    follow(call, chatId, "in");
    call.accept();
    return true;
  }

  /** Answer the chat's waiting call (a record from the server). */
  async function answer(chatId, record) {
    state.error = "";
    if (accept(chatId)) return;
    if (busy()) throw new Error(t("phone.hangUpFirst"));
    await ensureDevice();
    expecting.set(chatId, Date.now() + EXPECT_MS);
    state.active = null;
    state.connecting = chatId;
    changed();
    try {
      await api(`/api/v1/voice/calls/${record.id}/answer`, { method: "POST" });
    } catch (exc) {
      expecting.delete(chatId);
      throw exc;
    } finally {
      state.connecting = null;
      changed();
    }
    if (!state.active || state.active.chatId !== chatId) {
      // the Device has not rung yet: show "Connecting…" until it does
      const placeholder = { chatId, call: null, direction: "in", phase: "connecting", startedAt: null, muted: false,
        ended: null, recordId: record.id, hungUpByMe: false };
      state.active = placeholder;
      changed();
      if (state.pending.has(chatId)) accept(chatId);
      setTimeout(() => {
        if (state.active !== placeholder || placeholder.ended) return;
        expecting.delete(chatId);
        finish(t("phone.notReached"));
      }, EXPECT_MS);
    }
  }

  /** Call a number (or a chat's customer): the server prepares the chat, the Device dials. */
  async function place({ to, contactId, chatId } = {}) {
    state.error = "";
    if (busy()) throw new Error(t("phone.hangUpFirst"));
    await ensureDevice();
    const placed = await api("/api/v1/voice/calls", {
      method: "POST", json: { to: to || null, contact_id: contactId || null, chat_id: chatId || null } });
    const device = devices.get();
    const call = await device.connect({ params: placed.params });
    follow(call, placed.chat.id, "out", { to: placed.to, callerId: placed.caller_id });
    return placed;
  }

  function hangUp() {
    const active = state.active;
    if (!active) return;
    if (!active.call) {
      expecting.delete(active.chatId);
      finish(t("phone.cancelled"));
      return;
    }
    active.hungUpByMe = true;
    active.call.disconnect();
    finish(t("phone.youHungUp"));
  }

  function decline(chatId) {
    const call = state.pending.get(chatId);
    if (!call) return;
    state.pending.delete(chatId);
    call.reject();
    changed();
  }

  function setMuted(muted) {
    const active = state.active;
    const call = active?.call;
    if (!call || active.phase !== "open") return;
    call.mute(muted);
    active.muted = call.isMuted();
    changed();
    if (active.recordId) {
      socket.emit("call:mute", { call_id: active.recordId, muted: active.muted }, (ack) => {
        if (ack && !ack.ok) {
          state.error = ack.error || t("phone.muteFailed");
          changed();
        }
      });
    }
  }

  function dismiss() {
    if (state.active?.ended) {
      state.active = null;
      changed();
    }
  }

  function reportError(message) {
    state.error = message;
    changed();
  }

  function busy() {
    return Boolean(state.active && !state.active.ended);
  }

  // --- what the server says (voice_records.js) -------------------------------------------
  const notes = followRecords({ state, agent, changed, finish, endedReason });

  // A closed tab must stop ringing for calls: unregister from Twilio.
  function destroy() {
    devices.destroy();
    listeners.clear();
  }
  window.addEventListener("pagehide", destroy);

  return {
    state,
    subscribe(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    ensureDevice, answer, place, hangUp, decline, setMuted, dismiss, busy, reportError, destroy,
    ...notes,
    get device() {
      return devices.get();
    },
  };
}
