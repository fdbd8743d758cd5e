// Call tab: the open chat's phone call — answer, mute, hang up, a live timer, who is on
// it — and calling the customer or a typed number; recent calls with voicemails below.
//
// It is a background tab (WidgetTab background=True): `background(ctx)` runs when the
// page starts, creates the one phone of the page (lib/voice_phone.js), follows the
// call events for every chat, keeps the call bar (lib/call_bar.js) in the page's live bar
// and answers the Customer/Contacts tabs' Call buttons (window CustomEvent
// "switchboard:call" {detail: {contact_id, address}}).
//
// Inside another site's frame (LiveChat's Agent App) the page may be denied the microphone
// (the parent did not give the iframe allow="microphone"). Then the tab says so and offers a
// call window on Switchboard's own origin (ctx.popOut("call")), which holds the call; this
// frame neither registers a phone nor answers.
//
// Events: call:incoming, call:updated, call:connected, call:muted, chat:updated; it asks
// call:waiting when it connects, so a reloaded page rings for calls already waiting.
// API: GET /api/v1/voice/token, GET|POST /api/v1/voice/calls, POST …/calls/<id>/answer.
import { button, callTime, clock, counter, describe, parseDate, phoneOf, swap, tick, MISSED } from "./lib/call_format.js";
import { microphoneBlocked, openCallWindow, phoneFor } from "./lib/call_phone.js";
import { h, t, useHost } from "./lib/kit.js";
import { isLive } from "./lib/voice_records.js";

export { TwilioCall, TwilioDevice } from "./lib/voice_phone.js";
export { SimulatedCall, SimulatedDevice } from "./lib/simulated_device.js";
export { background, microphoneBlocked } from "./lib/call_phone.js";

// --- the tab ---------------------------------------------------------------------------------

export function mount(element, ctx) {
  useHost(ctx);
  const p = phoneFor(ctx);
  const chat = ctx.chat;
  const poppedOut = microphoneBlocked() && Boolean(ctx.popOut);
  const root = h("div", { class: "call-panel" });
  const head = h("div", { class: "call-head" }, h("strong", null, ctx.icon("phone"), " ", t("call.phone")), h("span", { class: "call-device" }));
  const errorBox = h("p", { class: "call-error" });
  errorBox.setAttribute("role", "alert");
  const stage = h("div", { class: "call-stage" });
  stage.setAttribute("aria-live", "polite");
  const dialer = h("div", { class: "call-dialer" });
  const history = h("ol", { class: "call-history" });
  root.append(head, errorBox, stage, dialer, h("h3", { class: "call-subhead" }, t("call.recent")), history);
  element.replaceChildren(root);

  let localError = "";
  let calls = [];
  let busyAction = false;
  let loaded = false;
  let lastKey = "";
  const keyOf = (record) => (record ? `${record.id}:${record.status}:${record.recording_url || ""}` : "");

  const number = h("input", { class: "call-number" });
  Object.assign(number, { type: "tel", name: "number", placeholder: "+1 415 555 0100", autocomplete: "off" });
  number.setAttribute("aria-label", t("call.numberLabel"));
  const typedCall = button(t("call.call"), "call-typed", () => act(() => callNumber(number.value.trim())));
  // One row, kept: building a new row each render would move the field out of the row on
  // screen, and swap() keeps the shown row when nothing else changed (an empty dialer).
  const typedRow = h("div", { class: "call-typed-row" }, number, typedCall);
  number.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      typedCall.click();
    }
  });

  async function act(fn) {
    if (busyAction) return;
    busyAction = true;
    localError = "";
    render();
    try {
      await fn();
    } catch (exc) {
      localError = exc.message || String(exc);
    } finally {
      busyAction = false;
      render();
    }
  }

  async function callNumber(to) {
    if (!to) throw new Error(t("call.numberMissing"));
    const placed = await p.place({ to });
    if (placed.chat.id !== chat?.id) ctx.openChat(placed.chat.id);
  }

  async function loadHistory() {
    if (!chat) return;
    try {
      calls = await ctx.api(`/api/v1/voice/calls?chat_id=${chat.id}`);
      const known = p.state.records.get(chat.id);
      if (calls[0] && (!known || known.id <= calls[0].id)) {
        lastKey = keyOf(calls[0]);
        p.noteRecord(calls[0]);
      }
    } catch (exc) {
      localError = t("call.loadFailed", { problem: exc.message });
    }
    render();
  }

  function deviceLabel(state) {
    if (poppedOut) return t("call.deviceWindow");
    if (state.device === "ready") return state.mode === "simulator" ? t("call.deviceSimulator") : t("call.deviceReady");
    if (state.device === "starting") return t("call.deviceStarting");
    if (state.device === "error") return t("call.deviceError");
    return t("call.deviceOff");
  }

  function canAnswer() {
    if (!chat || chat.status === "archived") return false;
    return chat.agent_id ? chat.agent_id === ctx.agent.id : true;
  }

  function popOutCard(title, label) {
    return h("div", { class: "call-card call-popout" },
      h("div", { class: "call-title" }, title),
      h("div", { class: "call-sub" }, t("call.popOutText")),
      h("div", { class: "call-actions" }, button(label, "primary call-open-window", () => act(async () => openCallWindow(ctx)))));
  }

  function stageFor(state) {
    if (poppedOut) {
      const record = chat ? state.records.get(chat.id) : null;
      const live = isLive(record) ? record : null;
      const customer = chat?.customer_name || phoneOf(chat) || chat?.customer_address || t("call.theCustomer");
      const ringing = live && live.direction === "in" && (live.status === "ringing" || live.status === "queued");
      if ((ringing && canAnswer()) || (chat && state.pending.has(chat.id))) {
        return ["incoming", popOutCard(t("call.incomingFrom", { name: customer }), t("call.answerInWindow"))];
      }
      return ["pop-out", popOutCard(t("call.ownWindow"), t("call.openWindow"))];
    }
    const active = state.active;
    const record = chat ? state.records.get(chat.id) : null;
    const live = isLive(record) ? record : null;
    const customer = chat?.customer_name || phoneOf(chat) || chat?.customer_address || t("call.theCustomer");
    if (active && chat && active.chatId === chat.id) {
      if (active.phase === "ended") {
        const length = active.duration ? ` · ${clock(active.duration)}` : "";
        return ["ended", h("div", { class: "call-card ended" },
          h("div", { class: "call-title" }, t("call.ended")),
          h("div", { class: "call-reason" }, `${active.ended}${length}`),
          button(t("call.ok"), "small call-dismiss", () => p.dismiss()))];
      }
      if (active.phase === "open") {
        const started = active.startedAt ? new Date(active.startedAt) : parseDate(live?.answered_at);
        const mute = button(active.muted ? t("call.unmute") : t("call.mute"), `call-mute${active.muted ? " on" : ""}`,
          () => p.setMuted(!active.muted), { "aria-pressed": String(active.muted) });
        return ["in-call", h("div", { class: "call-card live" },
          h("div", { class: "call-title" }, t("call.onCallWith", { name: customer })),
          counter("div", "call-timer", started),
          active.muted ? h("span", { class: "badge call-muted" }, ctx.icon("mute"), " ", t("call.mutedLong")) : null,
          h("div", { class: "call-actions" }, mute, button(t("call.hangUp"), "call-hangup", () => p.hangUp())))];
      }
      const outgoing = active.direction === "out";
      const text = outgoing ? (live?.status === "ringing" ? t("call.ringingName", { name: customer }) : t("call.callingName", { name: customer }))
        : t("call.connectingCaller");
      return [outgoing ? "calling" : "connecting", h("div", { class: "call-card" },
        h("div", { class: "call-title" }, text),
        h("div", { class: "call-actions" }, button(t("call.hangUp"), "call-hangup", () => p.hangUp())))];
    }
    if (chat && state.pending.has(chat.id)) {
      return ["transfer-incoming", h("div", { class: "call-card ringing" },
        h("div", { class: "call-title" }, t("call.transferredFrom", { name: customer })),
        h("div", { class: "call-actions" },
          button(t("call.answer"), "primary call-answer", () => act(() => p.answer(chat.id, live || record))),
          button(t("call.decline"), "call-decline", () => p.decline(chat.id))))];
    }
    if (state.connecting && chat && state.connecting === chat.id) {
      return ["connecting", h("div", { class: "call-card" }, h("div", { class: "call-title" }, t("call.answering")))];
    }
    if (!live) return ["idle", null];
    const connected = state.onCall.get(live.id);
    const waiting = live.direction === "in" && (live.status === "ringing" || live.status === "queued" || state.transfers.has(live.id));
    if (waiting) {
      const waited = () => counter("span", "call-waited", parseDate(live.started_at), t("call.waitingPrefix"));
      if (canAnswer()) {
        return ["incoming", h("div", { class: "call-card ringing" },
          h("div", { class: "call-title" }, state.transfers.has(live.id) ? t("call.transferredWaiting", { name: customer })
            : t("call.incomingFrom", { name: customer })),
          h("div", { class: "call-sub" }, waited(), t("call.holdMusic")),
          h("div", { class: "call-actions" }, button(t("call.answer"), "primary call-answer", () => act(() => p.answer(chat.id, live)),
            busyAction || p.busy() ? { disabled: "" } : {})))];
      }
      return ["ringing-other", h("div", { class: "call-card ringing" },
        h("div", { class: "call-title" }, t("call.ringingFor", { name: chat.agent_name || t("call.theAssignee") })),
        h("div", { class: "call-sub" }, waited(), chat.agent_name ? t("call.onlyName", { name: chat.agent_name }) : t("call.onlyThey")))];
    }
    const who = connected?.agent_name || live.answered_by_name || chat?.agent_name || t("call.anotherAgent");
    const talking = live.status === "in-progress" || live.status === "answered";
    return ["on-call-other", h("div", { class: "call-card live other" },
      h("div", { class: "call-title" }, talking ? t("call.otherOnCall", { who }) : t("call.otherCalling", { who, name: customer })),
      talking ? counter("div", "call-timer", parseDate(live.answered_at)) : null,
      live.muted ? h("span", { class: "badge call-muted" }, ctx.icon("mute"), " ", t("call.muted")) : null)];
  }

  function renderDialer(state) {
    if (poppedOut) {
      dialer.hidden = true;
      return;
    }
    const otherCall = state.active && !state.active.ended && state.active.chatId !== chat?.id ? state.active : null;
    dialer.hidden = Boolean(state.active && !state.active.ended && state.active.chatId === chat?.id);
    const record = chat ? state.records.get(chat.id) : null;
    const busy = busyAction || p.busy() || isLive(record);
    const rows = [];
    if (otherCall) {
      rows.push(h("div", { class: "call-elsewhere" }, t("call.elsewhere"), " ",
        button(t("call.openIt"), "link", () => ctx.openChat(otherCall.chatId))));
    }
    const target = phoneOf(chat);
    if (target && chat.status !== "archived") {
      const from = chat.sender ? t("call.fromNumber", { number: chat.sender.replace(/^whatsapp:/, "") }) : "";
      rows.push(h("div", { class: "call-customer" },
        button([ctx.icon("phone"), " ", t("call.callNumber", { number: target })], "primary call-customer-button", () => act(() => p.place({ chatId: chat.id }).then(() => {})),
          busy ? { disabled: "" } : {}),
        h("span", { class: "muted" }, from)));
    }
    typedCall.disabled = busyAction || p.busy();
    rows.push(typedRow);
    swap(dialer, rows);
  }

  function renderHistory() {
    if (!chat) {
      swap(history, [h("li", { class: "muted" }, t("call.openChat"))]);
      return;
    }
    if (!calls.length) {
      swap(history, [h("li", { class: "muted" }, t("call.noCalls"))]);
      return;
    }
    swap(history, calls.map((record) => {
      const missed = !record.answered_at && MISSED.has(record.status);
      const item = h("li", { class: `call-row${missed ? " missed" : ""}` },
        h("span", { class: "call-row-icon" }, record.direction === "in" ? "↙" : "↗"),
        h("span", { class: "call-row-main" }, describe(record)),
        h("time", { class: "call-row-time" }, callTime(record.started_at)));
      if (record.answered_by_name) item.append(h("span", { class: "call-row-agent muted" }, record.answered_by_name));
      if (record.recording_url) {
        const audio = h("audio", { class: "call-recording" });
        audio.controls = true;
        audio.preload = "none";
        audio.src = record.recording_url;
        item.append(audio);
      }
      item.dataset.status = record.status;
      return item;
    }));
  }

  function render() {
    const state = p.state;
    head.querySelector(".call-device").textContent = deviceLabel(state);
    head.querySelector(".call-device").dataset.state = state.device;
    const message = localError || state.error;
    errorBox.textContent = message;
    errorBox.hidden = !message;
    const [key, card] = stageFor(state);
    root.dataset.state = key;
    swap(stage, card ? [card] : []);
    tick(stage);
    renderDialer(state);
    // Load the list, and again whenever this chat's newest call changes state.
    const recordKey = keyOf(chat ? state.records.get(chat.id) : null);
    if (chat && (!loaded || recordKey !== lastKey)) {
      loaded = true;
      lastKey = recordKey;
      loadHistory();
    }
    renderHistory();
  }

  const unsubscribe = p.subscribe(render);
  const ticker = setInterval(() => tick(stage), 1000);
  ctx.on("chat:updated", ({ chat: updated } = {}) => {
    if (updated && chat && updated.id === chat.id) render();
  });
  render();
  return () => {
    unsubscribe();
    clearInterval(ticker);
  };
}
