// The agent console: chat lists | open chat | details tabs, kept live over Socket.IO.
import { beep, notificationButton, notify, setSound, unlockAudioOnGesture } from "./lib/alerts.js";
import { createApi } from "./lib/api.js";
import { readBootstrap } from "./lib/bootstrap.js";
import { learnChannels } from "./lib/channels.js";
import { createChatList, customerLabel } from "./lib/chat_list.js";
import { ChatStore, VIEWS } from "./lib/chat_store.js";
import { chatActions } from "./lib/chat_actions.js";
import { createChatView } from "./lib/chat_view.js";
import { createInboxSearch } from "./lib/inbox_search.js";
import { h } from "./lib/dom.js";
import { openShortcutsDialog } from "./lib/keyboard.js";
import { bindConsoleKeys } from "./lib/console_keys.js";
import { connectionIndicator, connectSocket } from "./lib/socket.js";
import { toast } from "./lib/toast.js";
import { createWidget, tabTitle } from "./lib/widget_runtime.js";
import { followPluginChanges } from "./lib/plugin_changes.js";
import { followChats } from "./lib/console_chats.js";
import { followCalls } from "./lib/console_calls.js";
import { startLocale, t } from "./lib/i18n.js";
import { followConsoleLocale } from "./lib/console_locale.js";

const CHAT_PATH = /^\/console\/chats\/(\d+)\/?$/;

export function startConsole(root, boot) {
  const me = boot.agent;
  setSound(me.sound_alerts !== false);
  const channels = boot.channels || [];
  learnChannels(boot.channelCatalogue);
  const api = createApi(boot.csrfToken);
  const store = new ChatStore(me, boot.isAdmin);
  // While a chat loads, realtime updates for it are kept in `buffered` and replayed after.
  const state = { view: "queued", openId: null, loading: null, buffered: [], bufferedChats: [] };
  let idleTitle = document.title;

  // --- layout ---------------------------------------------------------------------
  const indicator = connectionIndicator();
  const listTitle = h("h1.pane-title", t("console.inbox"));
  const listHeader = h("div.pane-head", listTitle, indicator);
  const list = createChatList({ onOpen: (id) => openChat(id), onView: setView, header: listHeader });
  const shortcutsButton = h("button.link.shortcuts-button", { type: "button", "aria-keyshortcuts": "?",
    onclick: () => openShortcutsDialog(liveBar) }, t("console.shortcuts"));
  const notifyButton = notificationButton();
  list.element.append(h("div.pane-foot", notifyButton, shortcutsButton));
  const search = createInboxSearch({
    api, channels,
    onOpen: (id, messageId) => openChat(id).then(() => chatView.reveal?.(messageId)),
    onActive: (active) => list.element.classList.toggle("is-searching", active),
    showGroup: (g) => boot.isAdmin || (me.group_ids || []).includes(g.id),
  });
  listHeader.after(search.element);
  list.element.querySelector(".chat-list").after(search.results);
  const { accept, archive, reopen, transfer, transferChat, upload, send } = chatActions({
    api, me, state, store, view: () => chatView, applyChat, setView, openChat: (id) => openChat(id) });
  const chatView = createChatView({
    channels, me, actions: { accept, transfer, archive, reopen, send, upload, showList: () => showPane("list"), showDetails: () => showPane("details") },
    replies: { load: () => api("canned-replies"), context: () => ({ chat: chatView.chat, agent: me }) },
  });
  const widgetRoot = h("div.details-body");
  const detailsBack = h("div.pane-nav", h("button.button.pane-back", { type: "button", onclick: () => showPane(state.openId ? "chat" : "list") }, t("console.backToChat")));
  const details = h("aside.pane.pane-details", { "aria-label": t("console.details") }, detailsBack, widgetRoot);
  root.replaceChildren(list.element, chatView.element, details);
  root.classList.add("is-ready");

  /**
   * Which pane a narrow screen shows (list → chat → details; wide screens show all
   * three, medium ones the list beside the chat or the details). CSS reads data-pane.
   */
  function showPane(pane) {
    root.dataset.pane = pane;
    const target = { list: list.element, chat: chatView.element, details }[pane];
    if (target && !target.contains(document.activeElement) && window.matchMedia("(max-width: 1199px)").matches) {
      target.querySelector("h1, h2, [role=tab][aria-selected=true], button, a")?.focus({ preventScroll: true });
    }
  }
  root.dataset.pane = "list";

  const socket = connectSocket({ onState: (s) => indicator.set(s), onReconnect: resync, onAccessChanged: resync });
  // What needs the agent now (a ringing or running call), above every list, chat and tab.
  const liveBar = h("div.live-bar", { hidden: true, role: "region", "aria-label": t("console.callBar") });
  root.before(liveBar);
  const widget = createWidget(widgetRoot, boot.tabs || [], { agent: me, api, socket, channels, openChat: (id) => openChat(id),
    liveBar, transfer: (id) => transferChat(id) });
  widget.setChat(null);
  // Another language or zone chosen on the profile: the console draws itself again in it, in
  // place (the call bar follows through its tab's onLocaleChange).
  const shownReasons = () => state.loading || chatView.messages().some((m) => m.error_message);
  followConsoleLocale({ socket, api, render: () => render(), setIdleTitle: (title) => { idleTitle = title; },
    rereadReasons: () => state.openId && shownReasons() && refreshTranscript(state.openId),
    parts: { listTitle, indicator, shortcutsButton, notifyButton, details, detailsBack, liveBar, list, search, chatView, widget, channels } });
  followPluginChanges({ socket, api, widget, channels, onChange: () => {
    search.showChannels();
    render();
    if (chatView.chat) chatView.updateChat(chatView.chat);
  } });

  // --- rendering ------------------------------------------------------------------
  let renderQueued = false;
  function render() {
    if (renderQueued) return;
    renderQueued = true;
    queueMicrotask(() => {
      renderQueued = false;
      // tabs named like a text channel start chats on it (a channel's "write first" tab)
      const writeTabs = widget.tabs.filter((tab) => channels.some((c) => c.key === tab.key && !c.text_refusal)).map(tabTitle);
      list.render({ store, view: state.view, openId: state.openId, channels, ringing: ringing.rows(), writeTabs });
      const unread = store.totalUnread();
      document.title = unread > 0 ? t("console.unreadTitle", { count: unread }) : idleTitle;
    });
  }
  store.subscribe(render);
  setInterval(render, 30_000); // keep "5m ago" honest

  function setView(view) {
    if (!VIEWS.includes(view)) return;
    state.view = view;
    render();
  }

  // --- data -----------------------------------------------------------------------
  async function loadLists() {
    try {
      const results = await Promise.all(VIEWS.map((v) => api(`chats?view=${v}`)));
      VIEWS.forEach((v, i) => store.replaceView(v, results[i]));
    } catch (exc) {
      toast(t("console.loadFailed", { problem: exc.message }), "error");
    }
  }

  async function openChat(chatId, { push = true } = {}) {
    const id = Number(chatId);
    if (!id || (id === state.openId && !state.loading)) return;
    if (state.openId && state.openId !== id) socket.emit("chat:leave", { chat_id: state.openId });
    state.openId = id;
    state.loading = id;
    state.buffered = [];
    state.bufferedChats = [];
    if (push && window.location.pathname !== `/console/chats/${id}`) {
      window.history.pushState({ chatId: id }, "", `/console/chats/${id}`);
    }
    chatView.showLoading(store.get(id));
    root.dataset.pane = "chat";
    render();
    socket.emit("chat:join", { chat_id: id });
    try {
      const [chat, messages] = await Promise.all([api(`chats/${id}`), api(`chats/${id}/messages`)]);
      if (state.openId !== id) return;
      let stored = store.upsert(chat);
      for (const newer of state.bufferedChats) stored = store.upsert(newer);
      state.loading = null;
      chatView.show(stored, messages);
      for (const message of state.buffered) chatView.upsertMessage(message);
      state.buffered = [];
      state.bufferedChats = [];
      widget.setChat(stored);
      markRead(id);
      const home = store.viewOf(stored); // e.g. opened from the Contacts tab: show its list
      if (home && home !== state.view) setView(home);
    } catch (exc) {
      if (state.openId !== id) return;
      state.loading = null;
      chatView.showError(exc.status === 404 ? t("console.chatNotFound") : exc.message);
      widget.setChat(null);
    }
  }

  function closeChat({ push = false } = {}) {
    if (push && window.location.pathname !== "/console") window.history.pushState({}, "", "/console");
    if (state.openId) socket.emit("chat:leave", { chat_id: state.openId });
    state.openId = null;
    state.loading = null;
    root.dataset.pane = "list";
    chatView.showEmpty();
    widget.setChat(null);
    render();
  }

  let readTimer = null;
  function markRead(id) {
    store.markRead(id);
    clearTimeout(readTimer);
    readTimer = setTimeout(() => {
      api(`chats/${id}/read`, { method: "POST" }).catch(() => {});
    }, 150);
  }

  /** Fetch the open chat's transcript again (after a reconnect; a call's line when it ends;
   *  a failure's reason, in this agent's words). While the chat is still loading, the load's
   *  own read may have been answered before what this read was asked for (a message failing):
   *  its messages wait with the pushes and are drawn over the load's, not dropped. */
  async function refreshTranscript(id) {
    try {
      const messages = await api(`chats/${id}/messages`);
      if (state.openId !== id) return;
      if (state.loading === id) state.buffered.push(...messages);
      else messages.forEach((m) => chatView.upsertMessage(m));
    } catch {
      /* the next reconnect will try again */
    }
  }

  async function resync() {
    await loadLists();
    const id = state.openId;
    if (!id) return;
    socket.emit("chat:join", { chat_id: id });
    await refreshTranscript(id);
  }

  // --- agent actions ----------------------------------------------------------------
  function applyChat(chat) {
    if (chat.id === state.loading) state.bufferedChats.push(chat);
    const stored = store.upsert(chat);
    if (chat.id === state.openId && attentive(chat.id) && stored.unread) store.markRead(chat.id);
    if (chat.id === state.openId) {
      chatView.updateChat(stored);
      widget.updateChat(stored);
    }
    return stored;
  }

  // --- realtime ---------------------------------------------------------------------
  function attentive(chatId) {
    return chatId === state.openId && document.visibilityState === "visible";
  }

  function alertAgent(chat, text) {
    if (!store.viewOf(store.get(chat.id) || chat)) return;
    beep();
    notify(customerLabel(chat), text, { tag: `chat-${chat.id}`, onClick: () => openChat(chat.id) });
  }

  /** The open chat went to a group this agent is not in: say where, instead of a stale view. */
  function leaveIfMovedAway(stored) {
    if (stored.id !== state.openId || store.visible(stored)) return;
    closeChat({ push: true });
    chatView.showError(t("console.chatMovedAway", { group: stored.group_name || t("console.anotherGroup") }));
    root.dataset.pane = "chat"; // a narrow screen shows the notice, not the list
  }

  followChats({ socket, store, state, applyChat, attentive, alertAgent, markRead, leaveIfMovedAway, chatView, widget,
    refreshTranscript });
  const ringing = followCalls({ socket, store, me, state, render, applyChat, attentive, openChat, refreshTranscript,
    tabTitle: (key) => { const tab = widget.tabs.find((one) => one.key === key); return tab ? tabTitle(tab) : ""; } });

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && state.openId && store.get(state.openId)?.unread) markRead(state.openId);
  });

  window.addEventListener("popstate", () => {
    const match = window.location.pathname.match(CHAT_PATH);
    if (match) openChat(Number(match[1]), { push: false });
    else closeChat();
  });

  // --- keyboard ----------------------------------------------------------------------
  bindConsoleKeys({ liveBar, store, state, list, chatView, openChat, setView, showPane, accept, transfer, archive });

  unlockAudioOnGesture();
  render();
  loadLists().then(() => {
    const match = window.location.pathname.match(CHAT_PATH);
    if (match) openChat(Number(match[1]), { push: false });
  });

  return { store, openChat, setView, socket, api };
}

const mountPoint = document.getElementById("console");
if (mountPoint) {
  const boot = readBootstrap();
  startLocale(boot);
  window.switchboard = startConsole(mountPoint, boot);
}
