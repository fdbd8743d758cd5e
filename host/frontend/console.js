// The agent console: chat lists | open chat | details tabs, kept live over Socket.IO.
import { beep, notificationButton, notify, setSound, startRing, stopRing, unlockAudioOnGesture } from "./lib/alerts.js";
import { createApi } from "./lib/api.js";
import { readBootstrap } from "./lib/bootstrap.js";
import { createChatList, customerLabel, previewText } from "./lib/chat_list.js";
import { ChatStore, VIEWS } from "./lib/chat_store.js";
import { createChatView } from "./lib/chat_view.js";
import { createInboxSearch } from "./lib/inbox_search.js";
import { h } from "./lib/dom.js";
import { bindShortcuts, openShortcutsDialog } from "./lib/keyboard.js";
import { connectionIndicator, connectSocket } from "./lib/socket.js";
import { toast } from "./lib/toast.js";
import { openTransferDialog } from "./lib/transfer_dialog.js";
import { createWidget } from "./lib/widget_runtime.js";
import { followPluginChanges } from "./lib/plugin_changes.js";

const CHAT_PATH = /^\/console\/chats\/(\d+)\/?$/;
const RING_LIMIT_MS = 180_000; // a call nobody picks up stops ringing here (voicemail takes it)

export function startConsole(root, boot) {
  const me = boot.agent;
  setSound(me.sound_alerts !== false);
  const channels = boot.channels || [];
  const api = createApi(boot.csrfToken);
  const store = new ChatStore(me, boot.isAdmin);
  // While a chat loads, realtime updates for it are kept in `buffered` and replayed after.
  const state = { view: "queued", openId: null, loading: null, buffered: [], bufferedChats: [] };
  const ringing = new Map(); // chat id -> {callId, transfer, timer}: calls waiting (see "calls" below)
  const idleTitle = document.title;

  // --- layout ---------------------------------------------------------------------
  const indicator = connectionIndicator();
  const listHeader = h("div.pane-head", h("h1.pane-title", "Inbox"), indicator);
  const list = createChatList({ onOpen: (id) => openChat(id), onView: setView, header: listHeader });
  const shortcutsButton = h("button.link.shortcuts-button", { type: "button", "aria-keyshortcuts": "?",
    onclick: () => openShortcutsDialog(liveBar) }, "Keyboard shortcuts (?)");
  list.element.append(h("div.pane-foot", notificationButton(), shortcutsButton));
  const search = createInboxSearch({
    api, channels,
    onOpen: (id, messageId) => openChat(id).then(() => chatView.reveal?.(messageId)),
    onActive: (active) => list.element.classList.toggle("is-searching", active),
    showGroup: (g) => boot.isAdmin || (me.group_ids || []).includes(g.id),
  });
  listHeader.after(search.element);
  list.element.querySelector(".chat-list").after(search.results);
  const chatView = createChatView({
    channels, me, actions: { accept, transfer, archive, reopen, send, upload, showList: () => showPane("list"), showDetails: () => showPane("details") },
    replies: { load: () => api("canned-replies"), context: () => ({ chat: chatView.chat, agent: me }) },
  });
  const widgetRoot = h("div.details-body");
  const detailsBack = h("div.pane-nav", h("button.button.pane-back", { type: "button", onclick: () => showPane(state.openId ? "chat" : "list") }, "‹ Back to the chat"));
  const details = h("aside.pane.pane-details", { "aria-label": "Details" }, detailsBack, widgetRoot);
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
  const liveBar = h("div.live-bar", { hidden: true, role: "region", "aria-label": "Call" });
  root.before(liveBar);
  const widget = createWidget(widgetRoot, boot.tabs || [], { agent: me, api, socket, channels, openChat: (id) => openChat(id),
    liveBar, transfer: (id) => transferChat(id) });
  widget.setChat(null);
  followPluginChanges({ socket, api, widget, channels, onChange: () => {
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
      list.render({ store, view: state.view, openId: state.openId, channels, ringing: ringingRows() });
      const unread = store.totalUnread();
      document.title = unread > 0 ? `(${unread}) Switchboard` : idleTitle;
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
      toast(`Couldn't load your chats: ${exc.message}`, "error");
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
      chatView.showError(exc.status === 404 ? "This chat doesn't exist, or it belongs to a group you're not in." : exc.message);
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

  /** Fetch the open chat's transcript again (after a reconnect; a call's line when it ends). */
  async function refreshTranscript(id) {
    try {
      const messages = await api(`chats/${id}/messages`);
      if (state.openId === id && !state.loading) messages.forEach((m) => chatView.upsertMessage(m));
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

  async function act(path, { json, done, after } = {}) {
    const id = state.openId;
    try {
      const chat = await api(`chats/${id}/${path}`, { method: "POST", json });
      applyChat(chat);
      if (after) after(chat);
      if (done) toast(done(chat), "ok");
    } catch (exc) {
      toast(exc.message, "error");
    }
  }

  function accept() {
    return act("accept", { after: () => setView("mine") });
  }

  function archive() {
    return act("archive", { done: () => "Chat archived. You'll find it under Archived." });
  }

  function reopen() {
    return act("reopen", { json: {}, after: () => setView("mine"), done: () => "Chat reopened." });
  }

  async function transfer() {
    const chat = chatView.chat;
    if (!chat) return;
    const result = await openTransferDialog({ chat, api, me });
    if (!result) return;
    applyChat(result);
    toast(result.agent_id ? `Transferred to ${result.agent_name || "another agent"}.` : `Moved to the ${result.group_name || "group"} queue.`, "ok");
  }

  /** Transfer a chat from anywhere (the call bar): open it, then the same dialog. */
  async function transferChat(chatId) {
    await openChat(chatId);
    if (chatView.chat?.id === Number(chatId)) await transfer();
  }

  /** Upload a file to attach to the next reply in `chat`; the channel's limits answer at once. */
  function upload(chat, file) {
    const form = new FormData();
    form.append("file", file, file.name);
    return api(`chats/${chat.id}/attachments`, { method: "POST", form });
  }

  async function send(body, attachmentIds = []) {
    const chat = chatView.chat;
    const message = await api(`chats/${chat.id}/messages`, { method: "POST", json: { body, attachment_ids: attachmentIds } });
    chatView.upsertMessage(message);
    store.noteMessage(store.get(chat.id) || chat, message, { countUnread: false });
    if (chat.status === "queued") {
      // Replying took the chat: it now lives in My chats, so follow it there.
      applyChat({ id: chat.id, status: "active", agent_id: me.id, agent_name: me.name || me.email });
      setView("mine");
    }
    return message;
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

  socket.on("chat:created", ({ chat, origin } = {}) => {
    if (!chat) return;
    const isNew = !store.get(chat.id);
    applyChat(chat);
    if (isNew && origin !== "agent" && !attentive(chat.id)) alertAgent(chat, "New conversation");
  });

  /** The open chat went to a group this agent is not in: say where, instead of a stale view. */
  function leaveIfMovedAway(stored) {
    if (stored.id !== state.openId || store.visible(stored)) return;
    closeChat({ push: true });
    chatView.showError(`This chat was moved to ${stored.group_name || "another group"}, which you're not in.`);
    root.dataset.pane = "chat"; // a narrow screen shows the notice, not the list
  }

  socket.on("chat:updated", ({ chat } = {}) => {
    if (chat) leaveIfMovedAway(applyChat(chat));
  });

  // A chat moved to a group this agent is not in: it leaves the lists (and the open view).
  socket.on("chat:gone", ({ chat_id: chatId, group_id: groupId, group_name: groupName } = {}) => {
    const known = store.get(chatId);
    if (!known || known.group_id === groupId) return; // chat:updated told us already
    leaveIfMovedAway(applyChat({ id: known.id, group_id: groupId, group_name: groupName, agent_id: null }));
  });

  // A customer renamed anywhere: every chat of theirs shows the new name at once.
  socket.on("contact:updated", ({ contact, deleted } = {}) => {
    if (!contact?.id || deleted || !contact.name) return;
    for (const chat of [...store.chats.values()]) {
      if (chat.contact_id === contact.id && chat.customer_name !== contact.name) applyChat({ id: chat.id, customer_name: contact.name });
    }
  });

  socket.on("message:created", ({ message, chat } = {}) => {
    if (!message || !chat) return;
    const inbound = message.direction === "in";
    const watching = attentive(chat.id);
    store.noteMessage(chat, message, { countUnread: inbound && !watching });
    if (chat.id === state.openId) {
      if (state.loading === chat.id) state.buffered.push(message);
      else chatView.upsertMessage(message);
      chatView.updateChat(store.get(chat.id));
      widget.updateChat(store.get(chat.id));
    }
    if (inbound && watching) markRead(chat.id);
    if (inbound && !watching) alertAgent(chat, previewText(message));
  });

  socket.on("message:updated", ({ message } = {}) => {
    if (!message || message.chat_id !== state.openId) return;
    if (state.loading === message.chat_id) state.buffered.push(message);
    else chatView.upsertMessage(message);
  });

  // --- calls: ring while a call waits (voice plugins push call:incoming) -------------
  // The ring sounds for the agent who can answer (the assignee, or anyone in the group
  // while the chat is queued); everyone who sees the chat sees the indicator and whom
  // it rings for.

  function canAnswer(chat) {
    if (!chat || chat.status === "archived") return false;
    return chat.agent_id ? chat.agent_id === me.id : store.visible(chat);
  }

  function ringingRows() {
    const rows = new Map();
    for (const chatId of ringing.keys()) {
      const chat = store.get(chatId);
      const other = chat?.agent_id && chat.agent_id !== me.id ? chat.agent_name || "another agent" : null;
      rows.set(chatId, { forOther: other });
    }
    return rows;
  }

  function refreshRing() {
    if ([...ringing.keys()].some((id) => canAnswer(store.get(id)))) startRing();
    else stopRing();
    render();
  }

  function stopRinging(chatId, callId) {
    const entry = ringing.get(chatId);
    if (!entry || (callId !== undefined && entry.callId !== callId)) return;
    clearTimeout(entry.timer);
    ringing.delete(chatId);
    refreshRing();
  }

  socket.on("call:incoming", ({ call, chat, transfer } = {}) => {
    if (!call || !chat) return;
    applyChat(chat);
    clearTimeout(ringing.get(chat.id)?.timer);
    ringing.set(chat.id, { callId: call.id, transfer: Boolean(transfer), timer: setTimeout(() => stopRinging(chat.id), RING_LIMIT_MS) });
    refreshRing();
    if (canAnswer(store.get(chat.id)) && !attentive(chat.id)) {
      notify(customerLabel(chat), transfer ? "Transferred call — answer in the Call tab" : "Incoming call",
        { tag: `call-${call.id}`, onClick: () => openChat(chat.id) });
    }
  });

  socket.on("call:updated", ({ call } = {}) => {
    if (call?.ended_at && call.chat_id === state.openId) refreshTranscript(call.chat_id); // the call's line
    const entry = call && ringing.get(call.chat_id);
    if (!entry || entry.callId !== call.id) return;
    const answered = call.status === "in-progress" && !entry.transfer;
    if (call.ended_at || answered) stopRinging(call.chat_id, call.id);
  });

  socket.on("call:connected", ({ call } = {}) => {
    if (call) stopRinging(call.chat_id, call.id);
  });

  socket.on("chat:updated", () => {
    if (ringing.size) refreshRing(); // an assignment or transfer changes who may answer
  });

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && state.openId && store.get(state.openId)?.unread) markRead(state.openId);
  });

  window.addEventListener("popstate", () => {
    const match = window.location.pathname.match(CHAT_PATH);
    if (match) openChat(Number(match[1]), { push: false });
    else closeChat();
  });

  // --- keyboard ----------------------------------------------------------------------
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
  window.switchboard = startConsole(mountPoint, readBootstrap());
}
