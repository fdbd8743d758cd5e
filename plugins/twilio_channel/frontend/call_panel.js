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
import { createCallBar } from "./lib/call_bar.js";
import { el } from "./lib/send_form.js";
import { createPhone, isLive } from "./lib/voice_phone.js";

export { TwilioCall, TwilioDevice } from "./lib/voice_phone.js";
export { SimulatedCall, SimulatedDevice } from "./lib/simulated_device.js";

let phone = null;
let phoneSubscriptions = [];

/** Whether this document is denied the microphone by the page framing it (Permissions Policy). */
export function microphoneBlocked() {
  const policy = document.permissionsPolicy || document.featurePolicy;
  return Boolean(policy && typeof policy.allowsFeature === "function") && !policy.allowsFeature("microphone");
}

/** Open the call window for the open chat; an error sentence when the browser refused. */
function openCallWindow(ctx) {
  const win = ctx.popOut ? ctx.popOut("call") : null;
  if (!win) throw new Error("Your browser blocked the call window. Allow pop-ups for Switchboard and try again.");
  win.focus?.();
  return win;
}

function phoneFor(ctx) {
  if (phone) return phone;
  const current = createPhone({ api: ctx.api, socket: ctx.socket, agent: ctx.agent });
  phone = current;
  // Page-long subscriptions (not ctx.on, which ends with a tab's mount), until the
  // plugin is switched off (stopPhone).
  const socket = ctx.socket;
  const askWaiting = () => socket.emit("call:waiting", {});
  phoneSubscriptions = [
    ["call:incoming", (data) => current.noteIncoming(data)],
    ["call:updated", (data) => current.noteRecord(data?.call)],
    ["call:connected", (data) => current.noteConnected(data)],
    ["call:muted", (data) => current.noteMuted(data)],
    ["chat:updated", (data) => current.noteChat(data?.chat)],
    // A call that started ringing before this page connected (a reload, a reconnect after
    // a network blip) is sent again as call:incoming to this connection only.
    ["connect", askWaiting],
  ];
  for (const [event, handler] of phoneSubscriptions) socket?.on(event, handler);
  if (socket?.connected) askWaiting();
  window.switchboardPhone = current; // for curious admins and tests
  return current;
}

/** The plugin was switched off: no more ringing in this browser, no more call events. */
function stopPhone(socket) {
  for (const [event, handler] of phoneSubscriptions) socket?.off(event, handler);
  phoneSubscriptions = [];
  phone?.destroy();
  phone = null;
  delete window.switchboardPhone;
}

export function background(ctx) {
  const p = phoneFor(ctx);
  const poppedOut = microphoneBlocked() && Boolean(ctx.popOut);
  const onCall = async (event) => {
    const { address, contact_id: contactId } = event.detail || {};
    ctx.show();
    if (poppedOut) return; // the Call tab offers the call window
    try {
      const placed = await p.place({ to: address, contactId });
      if (ctx.currentChat()?.id !== placed.chat.id) ctx.openChat(placed.chat.id);
    } catch (exc) {
      p.reportError(exc.message);
    }
  };
  window.addEventListener("switchboard:call", onCall);
  // Registered from the start, so a transferred call can ring this browser directly —
  // unless this frame has no microphone: then the call window registers its own.
  if (!poppedOut) p.ensureDevice().catch(() => {});
  // Bring the Call tab forward when the open chat has a call this agent can take.
  let shownFor = null;
  const showWhenWaiting = () => {
    const chat = ctx.currentChat();
    if (!chat) return;
    const record = p.state.records.get(chat.id);
    const waiting = p.state.pending.has(chat.id) || (isLive(record) && record.direction === "in"
      && (record.status === "ringing" || p.state.transfers.has(record.id)));
    const mayAnswer = !chat.agent_id || chat.agent_id === ctx.agent.id;
    const key = waiting && mayAnswer ? `${chat.id}:${record?.id}` : null;
    if (key && key !== shownFor) {
      shownFor = key;
      ctx.show();
    }
  };
  const unsubscribe = p.subscribe(showWhenWaiting);
  const timer = setInterval(showWhenWaiting, 500); // the open chat changes without telling background tabs
  // The call bar: the ringing or running call's controls, above every list, chat and tab.
  // A frame without the microphone has none: its Call tab sends calls to the call window,
  // whose own bar answers them.
  const stopBar = ctx.liveBar && !poppedOut ? createCallBar({ bar: ctx.liveBar, phone: p, ctx }) : () => {};
  return () => {
    stopBar();
    window.removeEventListener("switchboard:call", onCall);
    unsubscribe();
    clearInterval(timer);
    stopPhone(ctx.socket);
  };
}

// --- helpers ---------------------------------------------------------------------------------

function parseDate(value) {
  if (!value) return null;
  const text = String(value);
  const date = new Date(/([zZ]|[+-]\d\d:?\d\d)$/.test(text) ? text : `${text}Z`);
  return Number.isNaN(date.getTime()) ? null : date;
}

function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds || 0));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(h ? 2 : 1, "0");
  return `${h ? `${h}:` : ""}${mm}:${String(s % 60).padStart(2, "0")}`;
}

/** A clock that counts up from `date`; tick() updates its text (the card is not rebuilt). */
function counter(tag, className, date, prefix = "") {
  const node = el(tag, className);
  node.dataset.since = String(date ? date.getTime() : Date.now());
  node.dataset.prefix = prefix;
  return node;
}

function tick(root) {
  for (const node of root.querySelectorAll("[data-since]")) {
    const seconds = (Date.now() - Number(node.dataset.since)) / 1000;
    node.textContent = `${node.dataset.prefix}${clock(seconds)}`;
  }
}

/** Replace a container's children only when they changed: a rebuilt button could lose a click. */
const shown = new WeakMap();
function swap(container, nodes) {
  const html = nodes.map((node) => node.outerHTML).join("");
  if (shown.get(container) === html) return;
  shown.set(container, html);
  container.replaceChildren(...nodes);
}

function phoneOf(chat) {
  const bare = String(chat?.customer_address || "").replace(/^whatsapp:/, "");
  return /^\+?[\d\s().-]{5,}$/.test(bare) ? bare : "";
}

function button(text, className, onClick, attrs = {}) {
  const node = el("button", className, text);
  node.type = "button";
  node.addEventListener("click", onClick);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });
const MISSED = new Set(["busy", "no-answer", "failed", "canceled"]);

function describe(record) {
  const way = record.direction === "in" ? "Incoming" : "Outgoing";
  if (isLive(record)) return `${way} call · ${record.status === "in-progress" ? "in progress" : "ringing"}`;
  if (!record.answered_at && MISSED.has(record.status)) return `Missed ${way.toLowerCase()} call (${record.status.replace("-", " ")})`;
  return `${way} call · ${clock(record.duration)}`;
}

// --- the tab ---------------------------------------------------------------------------------

export function mount(element, ctx) {
  const p = phoneFor(ctx);
  injectStyle();
  const chat = ctx.chat;
  const poppedOut = microphoneBlocked() && Boolean(ctx.popOut);
  const root = el("div", "call-panel");
  const head = el("div", "call-head", el("strong", null, ctx.icon("phone"), " Phone"), el("span", "call-device"));
  const errorBox = el("p", "call-error");
  errorBox.setAttribute("role", "alert");
  const stage = el("div", "call-stage");
  stage.setAttribute("aria-live", "polite");
  const dialer = el("div", "call-dialer");
  const history = el("ol", "call-history");
  root.append(head, errorBox, stage, dialer, el("h3", "call-subhead", "Recent calls"), history);
  element.replaceChildren(root);

  let localError = "";
  let calls = [];
  let busyAction = false;
  let loaded = false;
  let lastKey = "";
  const keyOf = (record) => (record ? `${record.id}:${record.status}:${record.recording_url || ""}` : "");

  const number = el("input", "call-number");
  Object.assign(number, { type: "tel", name: "number", placeholder: "+1 415 555 0100", autocomplete: "off" });
  number.setAttribute("aria-label", "Number to call");
  const typedCall = button("Call", "call-typed", () => act(() => callNumber(number.value.trim())));
  // One row, kept: building a new row each render would move the field out of the row on
  // screen, and swap() keeps the shown row when nothing else changed (an empty dialer).
  const typedRow = el("div", "call-typed-row", number, typedCall);
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
    if (!to) throw new Error("Type the number to call.");
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
      localError = `Couldn't load the calls: ${exc.message}`;
    }
    render();
  }

  function deviceLabel(state) {
    if (poppedOut) return "Calls in a Switchboard window";
    if (state.device === "ready") return state.mode === "simulator" ? "Simulator phone · no audio" : "Phone ready";
    if (state.device === "starting") return "Starting the phone…";
    if (state.device === "error") return "Phone unavailable";
    return "Phone off";
  }

  function canAnswer() {
    if (!chat || chat.status === "archived") return false;
    return chat.agent_id ? chat.agent_id === ctx.agent.id : true;
  }

  function popOutCard(title, label) {
    return el("div", "call-card call-popout",
      el("div", "call-title", title),
      el("div", "call-sub", "LiveChat doesn't let this panel use your microphone, so calls happen in a Switchboard "
        + "window next to it."),
      el("div", "call-actions", button(label, "primary call-open-window", () => act(async () => openCallWindow(ctx)))));
  }

  function stageFor(state) {
    if (poppedOut) {
      const record = chat ? state.records.get(chat.id) : null;
      const live = isLive(record) ? record : null;
      const customer = chat?.customer_name || phoneOf(chat) || chat?.customer_address || "the customer";
      const ringing = live && live.direction === "in" && (live.status === "ringing" || live.status === "queued");
      if ((ringing && canAnswer()) || (chat && state.pending.has(chat.id))) {
        return ["incoming", popOutCard(`Incoming call from ${customer}`, "Answer in call window")];
      }
      return ["pop-out", popOutCard("Calls open in their own window", "Open call window")];
    }
    const active = state.active;
    const record = chat ? state.records.get(chat.id) : null;
    const live = isLive(record) ? record : null;
    const customer = chat?.customer_name || phoneOf(chat) || chat?.customer_address || "the customer";
    if (active && chat && active.chatId === chat.id) {
      if (active.phase === "ended") {
        const length = active.duration ? ` · ${clock(active.duration)}` : "";
        return ["ended", el("div", "call-card ended",
          el("div", "call-title", "Call ended"),
          el("div", "call-reason", `${active.ended}${length}`),
          button("OK", "small call-dismiss", () => p.dismiss()))];
      }
      if (active.phase === "open") {
        const started = active.startedAt ? new Date(active.startedAt) : parseDate(live?.answered_at);
        const mute = button(active.muted ? "Unmute" : "Mute", `call-mute${active.muted ? " on" : ""}`,
          () => p.setMuted(!active.muted), { "aria-pressed": String(active.muted) });
        return ["in-call", el("div", "call-card live",
          el("div", "call-title", `On call with ${customer}`),
          counter("div", "call-timer", started),
          active.muted ? el("span", "badge call-muted", ctx.icon("mute"), " Muted — the customer can't hear you") : null,
          el("div", "call-actions", mute, button("Hang up", "call-hangup", () => p.hangUp())))];
      }
      const outgoing = active.direction === "out";
      const text = outgoing ? `${live?.status === "ringing" ? "Ringing" : "Calling"} ${customer}…`
        : "Connecting the caller to this browser…";
      return [outgoing ? "calling" : "connecting", el("div", "call-card",
        el("div", "call-title", text),
        el("div", "call-actions", button("Hang up", "call-hangup", () => p.hangUp())))];
    }
    if (chat && state.pending.has(chat.id)) {
      return ["transfer-incoming", el("div", "call-card ringing",
        el("div", "call-title", `Incoming transferred call from ${customer}`),
        el("div", "call-actions",
          button("Answer", "primary call-answer", () => act(() => p.answer(chat.id, live || record))),
          button("Decline", "call-decline", () => p.decline(chat.id))))];
    }
    if (state.connecting && chat && state.connecting === chat.id) {
      return ["connecting", el("div", "call-card", el("div", "call-title", "Answering…"))];
    }
    if (!live) return ["idle", null];
    const connected = state.onCall.get(live.id);
    const waiting = live.direction === "in" && (live.status === "ringing" || live.status === "queued" || state.transfers.has(live.id));
    if (waiting) {
      const waited = () => counter("span", "call-waited", parseDate(live.started_at), "Waiting ");
      if (canAnswer()) {
        return ["incoming", el("div", "call-card ringing",
          el("div", "call-title", `${state.transfers.has(live.id) ? "Transferred call" : "Incoming call"} from ${customer}`),
          el("div", "call-sub", waited(), " · the caller hears hold music"),
          el("div", "call-actions", button("Answer", "primary call-answer", () => act(() => p.answer(chat.id, live)),
            busyAction || p.busy() ? { disabled: "" } : {})))];
      }
      return ["ringing-other", el("div", "call-card ringing",
        el("div", "call-title", `Ringing for ${chat.agent_name || "the assigned agent"}`),
        el("div", "call-sub", waited(), `. Only ${chat.agent_name || "they"} can answer.`))];
    }
    const who = connected?.agent_name || live.answered_by_name || chat?.agent_name || "another agent";
    const talking = live.status === "in-progress" || live.status === "answered";
    return ["on-call-other", el("div", "call-card live other",
      el("div", "call-title", talking ? `${who} is on this call` : `${who} is calling ${customer}`),
      talking ? counter("div", "call-timer", parseDate(live.answered_at)) : null,
      live.muted ? el("span", "badge call-muted", ctx.icon("mute"), " Muted") : null)];
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
      rows.push(el("div", "call-elsewhere", "You're on a call in another chat. ",
        button("Open it", "link", () => ctx.openChat(otherCall.chatId))));
    }
    const target = phoneOf(chat);
    if (target && chat.status !== "archived") {
      const from = chat.sender ? ` from ${chat.sender.replace(/^whatsapp:/, "")}` : "";
      rows.push(el("div", "call-customer",
        button([ctx.icon("phone"), ` Call ${target}`], "primary call-customer-button", () => act(() => p.place({ chatId: chat.id }).then(() => {})),
          busy ? { disabled: "" } : {}),
        el("span", "muted", from)));
    }
    typedCall.disabled = busyAction || p.busy();
    rows.push(typedRow);
    swap(dialer, rows);
  }

  function renderHistory() {
    if (!chat) {
      swap(history, [el("li", "muted", "Open a chat to see its calls.")]);
      return;
    }
    if (!calls.length) {
      swap(history, [el("li", "muted", "No calls in this chat yet.")]);
      return;
    }
    swap(history, calls.map((record) => {
      const missed = !record.answered_at && MISSED.has(record.status);
      const started = parseDate(record.started_at);
      const item = el("li", `call-row${missed ? " missed" : ""}`,
        el("span", "call-row-icon", record.direction === "in" ? "↙" : "↗"),
        el("span", "call-row-main", describe(record)),
        el("time", "call-row-time", started ? timeFormat.format(started) : ""));
      if (record.answered_by_name) item.append(el("span", "call-row-agent muted", record.answered_by_name));
      if (record.recording_url) {
        const audio = el("audio", "call-recording");
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

// --- style -----------------------------------------------------------------------------------

function injectStyle() {
  if (document.getElementById("sb-call-panel-style")) return;
  const style = document.createElement("style");
  style.id = "sb-call-panel-style";
  style.textContent = `
.call-panel { display: grid; gap: 12px; }
.call-head { display: flex; align-items: center; justify-content: space-between; gap: 8px; }
.call-device { font-size: 12px; color: var(--muted); display: inline-flex; align-items: center; gap: 6px; }
.call-device::before { content: ""; width: 8px; height: 8px; border-radius: 50%; background: var(--faint); }
.call-device[data-state=ready]::before { background: #12b76a; }
.call-device[data-state=error]::before { background: var(--danger); }
.call-error { margin: 0; padding: 8px 10px; border-radius: var(--radius-sm); background: var(--danger-weak); color: var(--danger); font-size: 13px; }
.call-card { display: grid; gap: 8px; padding: 14px; border: 1px solid var(--border); border-radius: var(--radius); background: var(--subtle); }
.call-card.ringing { border-color: #f9a8d4; background: #fdf2fa; animation: call-glow 1.6s ease-in-out infinite; }
.call-card.live { border-color: #a6f4c5; background: var(--ok-weak); }
.call-card.live.other { background: var(--subtle); border-color: var(--border); }
.call-card.ended { background: var(--hover); }
.call-title { font-weight: 650; font-size: 15px; }
.call-sub, .call-reason { font-size: 13px; color: var(--text-2); }
.call-timer { font-size: 30px; font-weight: 650; font-variant-numeric: tabular-nums; letter-spacing: 0.02em; }
.call-actions { display: flex; gap: 8px; flex-wrap: wrap; }
.call-dismiss { justify-self: start; }
.call-hangup { background: var(--danger); border-color: var(--danger); color: #fff; }
.call-hangup:hover:not(:disabled) { background: #b42318 !important; }
.call-mute.on { background: var(--warn-weak); border-color: #fec84b; color: var(--warn); }
.call-muted { justify-self: start; background: var(--warn-weak); color: var(--warn); border-color: #fedf89; }
.call-dialer { display: grid; gap: 8px; }
.call-customer { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; font-size: 13px; }
.call-typed-row { display: flex; gap: 8px; }
.call-typed-row input { flex: 1; min-width: 0; }
.call-elsewhere { font-size: 13px; padding: 8px 10px; border-radius: var(--radius-sm); background: var(--warn-weak); }
.call-subhead { margin: 6px 0 0; font-size: 12px; text-transform: uppercase; letter-spacing: 0.05em; color: var(--muted); }
.call-history { list-style: none; margin: 0; padding: 0; display: grid; gap: 6px; }
.call-row { display: grid; grid-template-columns: 18px 1fr auto; gap: 2px 8px; align-items: center; padding: 8px 10px; border: 1px solid var(--border); border-radius: var(--radius-sm); background: var(--panel); font-size: 13px; }
.call-row.missed .call-row-main, .call-row.missed .call-row-icon { color: var(--danger); font-weight: 600; }
.call-row-time { color: var(--muted); font-size: 12px; }
.call-row-agent { grid-column: 2 / 4; font-size: 12px; }
.call-recording { grid-column: 1 / 4; width: 100%; height: 32px; }
@keyframes call-glow { 50% { box-shadow: 0 0 0 4px rgba(238, 70, 188, 0.15); } }
`;
  document.head.append(style);
}
