// The console's keyboard shortcuts (lib/keyboard.js lists and binds them): moving through
// the list, switching views, and the open chat's actions.
import { bindShortcuts } from "./keyboard.js";

export function bindConsoleKeys({ liveBar, store, state, list, chatView, openChat, setView, showPane, accept, transfer, archive }) {
  function step(delta) {
    const rows = store.list(state.view);
    if (!rows.length) return;
    const at = rows.findIndex((c) => c.id === state.openId);
    const next = rows[at < 0 ? (delta > 0 ? 0 : rows.length - 1) : Math.min(Math.max(at + delta, 0), rows.length - 1)];
    openChat(next.id);
    // keep the keyboard's place in the list: the row of the chat just opened
    queueMicrotask(() => queueMicrotask(() => list.element.querySelector(`.chat-row[data-chat-id="${next.id}"]`)?.focus()));
  }
  const whenOpen = (fn) => () => {
    if (chatView.chat && !state.loading) fn(chatView.chat);
  };
  bindShortcuts({
    liveBar,
    actions: {
      next: () => step(1),
      previous: () => step(-1),
      view: (name) => {
        setView(name);
        showPane("list");
        list.element.querySelector(`.views [data-view="${name}"]`)?.focus();
      },
      reply: whenOpen(() => {
        showPane("chat");
        chatView.composer.focus();
      }),
      accept: whenOpen((chat) => chat.status === "queued" && accept()),
      transfer: whenOpen((chat) => chat.status !== "archived" && transfer()),
      archive: whenOpen((chat) => chat.status !== "archived" && archive()),
      details: whenOpen(() => showPane("details")),
    },
  });
}
