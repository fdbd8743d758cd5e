// The call bar: while a call rings for this agent or runs, its controls stay on screen
// whatever list, chat or tab is shown — caller's name, a timer, Answer / Mute / Transfer
// / Hang up, and a way back to the call's chat. It lives in the page's live bar
// (ctx.liveBar, above the console) and follows the one phone of the page.
import { h } from "./kit.js";
import { isLive } from "./voice_records.js";

function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds || 0));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(h ? 2 : 1, "0");
  return `${h ? `${h}:` : ""}${mm}:${String(s % 60).padStart(2, "0")}`;
}

function since(value) {
  if (!value) return Date.now();
  const text = String(value);
  const date = new Date(/([zZ]|[+-]\d\d:?\d\d)$/.test(text) ? text : `${text}Z`);
  return Number.isNaN(date.getTime()) ? Date.now() : date.getTime();
}

function button(text, className, onClick, label, shortcut) {
  const node = h("button", { class: className }, text);
  node.type = "button";
  if (label) node.setAttribute("aria-label", label);
  if (shortcut) {
    // the console presses it for this key (and lists it under "?")
    node.dataset.shortcut = shortcut;
    node.dataset.shortcutLabel = `${text} (the call bar)`;
    node.setAttribute("aria-keyshortcuts", shortcut);
  }
  node.addEventListener("click", onClick);
  return node;
}

/**
 * createCallBar({bar, phone, ctx}) keeps `bar` (an element) showing the call that needs
 * the agent now. `ctx` is the Call tab's background ctx (agent, on, openChat, transfer,
 * currentChat, icon).
 */
export function createCallBar({ bar, phone, ctx }) {
  const chats = new Map(); // chat id -> the newest snapshot heard (for the caller's name)
  let error = "";
  let working = false;

  const noteChat = (chat) => {
    if (!chat?.id) return;
    chats.set(chat.id, { ...chats.get(chat.id), ...chat });
    render(); // the phone may have changed before this snapshot arrived (who may answer, the name)
  };
  ctx.on("call:incoming", ({ chat } = {}) => noteChat(chat));
  ctx.on("call:connected", ({ chat } = {}) => noteChat(chat));
  ctx.on("chat:updated", ({ chat } = {}) => {
    if (chat && chats.has(chat.id)) noteChat(chat);
  });

  function nameOf(chatId) {
    const chat = chats.get(chatId) || (ctx.currentChat()?.id === chatId ? ctx.currentChat() : null);
    return chat?.customer_name || String(chat?.customer_address || "").replace(/^whatsapp:/, "") || "the customer";
  }

  function mayAnswer(chatId) {
    const chat = chats.get(chatId);
    if (!chat || chat.status === "archived") return false;
    return !chat.agent_id || chat.agent_id === ctx.agent.id;
  }

  async function act(fn) {
    if (working) return;
    working = true;
    error = "";
    try {
      await fn();
    } catch (exc) {
      error = exc?.message || String(exc);
    } finally {
      working = false;
      render();
    }
  }

  function openButton(chatId) {
    return ctx.currentChat()?.id === chatId ? null
      : button("Open chat", "small call-bar-open", () => ctx.openChat(chatId), `Open the chat with ${nameOf(chatId)}`);
  }

  /** What the bar shows now: [state, title, timer start or null, buttons]. */
  function current() {
    const state = phone.state;
    const active = state.active;
    if (active && !active.ended) {
      const name = nameOf(active.chatId);
      const hangUp = button("Hang up", "call-bar-hangup", () => phone.hangUp(), `Hang up the call with ${name}`, "h");
      if (active.phase === "open") {
        const record = state.records.get(active.chatId);
        const mute = button(active.muted ? "Unmute" : "Mute", `call-bar-mute${active.muted ? " on" : ""}`,
          () => phone.setMuted(!active.muted), null, "m");
        mute.setAttribute("aria-pressed", String(active.muted));
        const transfer = button("Transfer", "call-bar-transfer", () => ctx.transfer(active.chatId), `Transfer the call with ${name}`);
        return ["in-call", `On call with ${name}${active.muted ? " · muted" : ""}`,
          active.startedAt || since(record?.answered_at), [mute, transfer, hangUp, openButton(active.chatId)]];
      }
      const title = active.direction === "out" ? `Calling ${name}…` : `Connecting ${name}…`;
      return ["connecting", title, null, [hangUp, openButton(active.chatId)]];
    }
    if (state.connecting) return ["connecting", `Answering ${nameOf(state.connecting)}…`, null, []];
    for (const chatId of state.pending.keys()) {
      const name = nameOf(chatId);
      return ["ringing", `Transferred call from ${name}`, null, [
        button("Answer", "primary call-bar-answer", () => act(() => phone.answer(chatId, state.records.get(chatId))), `Answer the call from ${name}`, "p"),
        button("Decline", "call-bar-decline", () => phone.decline(chatId)), openButton(chatId)]];
    }
    const waiting = [...state.records.values()].filter((r) => isLive(r) && r.direction === "in"
      && (r.status === "ringing" || r.status === "queued" || state.transfers.has(r.id)) && mayAnswer(r.chat_id));
    if (waiting.length) {
      const record = waiting[0];
      const name = nameOf(record.chat_id);
      const more = waiting.length > 1 ? ` · ${waiting.length - 1} more waiting` : "";
      return ["ringing", `Incoming call from ${name}${more}`, since(record.started_at), [
        button("Answer", "primary call-bar-answer", () => act(async () => {
          await phone.answer(record.chat_id, record);
          if (ctx.currentChat()?.id !== record.chat_id) ctx.openChat(record.chat_id);
        }), `Answer the call from ${name}`, "p"),
        openButton(record.chat_id)]];
    }
    return ["idle", "", null, []];
  }

  let shownKey = "";
  const timer = h("span", { class: "call-bar-timer" });
  function render() {
    const [state, title, startedAt, buttons] = current();
    bar.hidden = state === "idle";
    bar.dataset.state = state;
    timer.dataset.since = startedAt ? String(startedAt) : "";
    tick();
    const key = `${state}|${title}|${error}|${buttons.filter(Boolean).map((b) => b.textContent).join(",")}`;
    if (key === shownKey) return; // a rebuilt button could lose a click
    shownKey = key;
    if (state === "idle") {
      bar.replaceChildren();
      return;
    }
    const icon = ctx.icon("phone", "call-bar-icon");
    const status = h("span", { class: "call-bar-status" }, icon, h("strong", { class: "call-bar-title" }, title), startedAt ? timer : null);
    status.setAttribute("role", "status");
    const parts = [status, h("span", { class: "call-bar-actions" }, ...buttons.filter(Boolean))];
    if (error) parts.push(h("span", { class: "call-bar-error" }, error));
    bar.replaceChildren(...parts);
  }

  function tick() {
    const start = Number(timer.dataset.since);
    timer.textContent = start ? clock((Date.now() - start) / 1000) : "";
  }

  const unsubscribe = phone.subscribe(render);
  const ticker = setInterval(tick, 1000);
  render();
  return () => {
    unsubscribe();
    clearInterval(ticker);
    bar.hidden = true;
    bar.replaceChildren();
  };
}
