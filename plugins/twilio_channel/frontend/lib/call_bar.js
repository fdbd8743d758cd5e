// The call bar: while a call rings for this agent or runs, its controls stay on screen
// whatever list, chat or tab is shown — caller's name, a timer, Answer / Mute / Transfer
// / Hang up, and a way back to the call's chat. It lives in the page's live bar
// (ctx.liveBar, above the console) and follows the one phone of the page.
import { h, t } from "./kit.js";
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
    node.dataset.shortcutLabel = t("bar.shortcut", { action: text });
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
    return chat?.customer_name || String(chat?.customer_address || "").replace(/^whatsapp:/, "") || t("call.theCustomer");
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
      : button(t("bar.openChat"), "small call-bar-open", () => ctx.openChat(chatId), t("bar.openChatWith", { name: nameOf(chatId) }));
  }

  /** What the bar shows now: [state, title, timer start or null, buttons]. */
  function current() {
    const state = phone.state;
    const active = state.active;
    if (active && !active.ended) {
      const name = nameOf(active.chatId);
      const hangUp = button(t("call.hangUp"), "call-bar-hangup", () => phone.hangUp(), t("bar.hangUpWith", { name }), "h");
      if (active.phase === "open") {
        const record = state.records.get(active.chatId);
        const mute = button(active.muted ? t("call.unmute") : t("call.mute"), `call-bar-mute${active.muted ? " on" : ""}`,
          () => phone.setMuted(!active.muted), null, "m");
        mute.setAttribute("aria-pressed", String(active.muted));
        const transfer = button(t("bar.transfer"), "call-bar-transfer", () => ctx.transfer(active.chatId), t("bar.transferWith", { name }));
        return ["in-call", active.muted ? t("bar.onCallMuted", { name }) : t("call.onCallWith", { name }),
          active.startedAt || since(record?.answered_at), [mute, transfer, hangUp, openButton(active.chatId)]];
      }
      const title = active.direction === "out" ? t("call.callingName", { name }) : t("bar.connecting", { name });
      return ["connecting", title, null, [hangUp, openButton(active.chatId)]];
    }
    if (state.connecting) return ["connecting", t("bar.answering", { name: nameOf(state.connecting) }), null, []];
    for (const chatId of state.pending.keys()) {
      const name = nameOf(chatId);
      return ["ringing", t("call.transferredWaiting", { name }), null, [
        button(t("call.answer"), "primary call-bar-answer", () => act(() => phone.answer(chatId, state.records.get(chatId))),
          t("bar.answerFrom", { name }), "p"),
        button(t("call.decline"), "call-bar-decline", () => phone.decline(chatId)), openButton(chatId)]];
    }
    const waiting = [...state.records.values()].filter((r) => isLive(r) && r.direction === "in"
      && (r.status === "ringing" || r.status === "queued" || state.transfers.has(r.id)) && mayAnswer(r.chat_id));
    if (waiting.length) {
      const record = waiting[0];
      const name = nameOf(record.chat_id);
      const title = waiting.length > 1 ? t("bar.incomingMore", { name, count: waiting.length - 1 }) : t("call.incomingFrom", { name });
      return ["ringing", title, since(record.started_at), [
        button(t("call.answer"), "primary call-bar-answer", () => act(async () => {
          await phone.answer(record.chat_id, record);
          if (ctx.currentChat()?.id !== record.chat_id) ctx.openChat(record.chat_id);
        }), t("bar.answerFrom", { name }), "p"),
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
  // The agent switched language: the bar speaks it at once, not at the call's next event.
  const stopLocale = ctx.onLocaleChange(render);
  const ticker = setInterval(tick, 1000);
  render();
  return () => {
    unsubscribe();
    stopLocale();
    clearInterval(ticker);
    bar.hidden = true;
    bar.replaceChildren();
  };
}
