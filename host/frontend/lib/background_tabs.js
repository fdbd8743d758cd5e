// Background tabs: a tab registered with `background: true` has its module imported when
// the page starts, and its optional `background(ctx)` export runs once for the page's life
// (e.g. a phone that must ring whichever tab is shown). Its ctx is a tab's ctx minus
// `chat`, plus `currentChat()`, `show()` (select this tab), `liveBar` (an element above the
// page's panes for what needs the agent now; null on pages without one) and
// `transfer(chatId)`. What `background` returns is called when the tab goes away (its
// plugin was switched off).
import { stylesheetReady } from "./tab_context.js";

/** `contextFor(mounted)` builds a tab ctx; returns {start(tab), stop(key), stopAll()}. */
export function createBackgrounds(base, contextFor, { currentChat, select }) {
  const running = new Map(); // key -> {mounted, cleanup}

  function start(tab) {
    const mounted = { closed: false, subscriptions: [] };
    const record = { mounted, cleanup: null };
    running.set(tab.key, record);
    const ctx = contextFor(mounted, tab);
    delete ctx.chat;
    ctx.currentChat = currentChat;
    ctx.show = () => select(tab.key);
    ctx.liveBar = base.liveBar || null;
    ctx.transfer = (chatId) => base.transfer?.(chatId);
    Promise.all([import(/* @vite-ignore */ tab.script), stylesheetReady(tab.stylesheet)])
      .then(([module]) => {
        if (mounted.closed) return;
        record.cleanup = typeof module.background === "function" ? module.background(ctx) : null;
      })
      .catch((exc) => console.error(`Tab ${tab.key}: background start failed`, exc));
  }

  function stop(key) {
    const record = running.get(key);
    if (!record) return;
    running.delete(key);
    record.mounted.closed = true;
    for (const [event, handler] of record.mounted.subscriptions) base.socket?.off(event, handler);
    try {
      if (typeof record.cleanup === "function") record.cleanup();
    } catch (exc) {
      console.error(`Tab ${key}: background cleanup failed`, exc);
    }
  }

  function stopAll() {
    for (const key of [...running.keys()]) stop(key);
  }

  return { start, stop, stopAll };
}
