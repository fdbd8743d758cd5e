// The details widget on its own (/widget): the same plugin tabs as the console's
// sidebar, for one chat. The chat comes from `?chat_id=` or from a postMessage
// {type: "switchboard:chat", chat_id} — so a host page (e.g. LiveChat's Agent App
// bridge) can drive it; `?tab=` opens that tab. `mountWidget` is exported for such
// bridges to reuse.
import { createApi } from "./lib/api.js";
import { readBootstrap } from "./lib/bootstrap.js";
import { learnChannels } from "./lib/channels.js";
import { h, replace } from "./lib/dom.js";
import { connectionIndicator, connectSocket } from "./lib/socket.js";
import { openTransferDialog } from "./lib/transfer_dialog.js";
import { createWidget } from "./lib/widget_runtime.js";
import { followPluginChanges } from "./lib/plugin_changes.js";
import { followPreferences, startLocale, t } from "./lib/i18n.js";

/**
 * Mount the widget into `root`. Returns {showChat(chatId|null), api, socket}.
 * `showChat` loads the chat (access-checked by the API) and remounts the tabs.
 * `boot.token` (an API token kept in memory) authenticates the API and Socket.IO
 * instead of the session cookie; `setToken` swaps in a renewed one, and `boot.onSignedOut`
 * replaces the "signed out" notice when the connection's sign-in ends. Tabs may open the widget in a window of its own
 * (ctx.popOut, e.g. calls where a frame has no microphone): `boot.popOutUrl(chatId, tab)`
 * says where, by default this page (`/widget?chat_id=…&tab=…`).
 */
export function mountWidget(root, boot = readBootstrap()) {
  startLocale(boot);
  let token = boot.token || null;
  const api = createApi(boot.csrfToken, { token: token && (() => token) });
  const indicator = connectionIndicator();
  const title = h("span.widget-chat-title", { dir: "auto" }, t("widget.noChatShort"));
  const body = h("div.details-body");
  // A ringing or running call's controls stay above the tabs, whichever one is shown.
  const liveBar = h("div.live-bar", { hidden: true, role: "region", "aria-label": t("console.callBar") });
  replace(root, h("header.widget-head", h("span.widget-brand", "☎ Switchboard"), title, indicator), liveBar, body);

  let current = null;
  let shown = null; // the chat as last loaded or updated
  const socket = connectSocket({
    token: token && (() => token),
    ...(boot.onSignedOut ? { onSignedOut: boot.onSignedOut } : {}),
    onState: (s) => indicator.set(s),
    onReconnect: () => current && socket.emit("chat:join", { chat_id: current }),
    onAccessChanged: () => current && showChat(current),
  });
  const message = h("div");
  const emptyState = [h("strong", t("widget.noChat")), message];
  const setMessage = (text) => { message.textContent = text; };
  const idleMessage = () => t("widget.idle");
  setMessage(idleMessage());
  const channels = boot.channels || [];
  learnChannels(boot.channelCatalogue);
  const transfer = async (id) => {
    const chat = await api(`chats/${id}`);
    const result = await openTransferDialog({ chat, api, me: boot.agent });
    if (result && result.id === current) widget.updateChat(result);
  };
  const popOutUrl = boot.popOutUrl || ((chatId, tab) =>
    `/widget?${new URLSearchParams({ ...(chatId ? { chat_id: String(chatId) } : {}), ...(tab ? { tab } : {}) })}`);
  // Not "noopener": a window opened from a frame signed in by token asks its opener for it.
  const popOut = (chatId, tab) => window.open(popOutUrl(chatId, tab), `switchboard-${tab || "widget"}`,
    "popup,width=440,height=720");
  const widget = createWidget(body, boot.tabs || [], { agent: boot.agent, api, socket, channels, openChat: (id) => showChat(id),
    liveBar, transfer, popOut },
    { requireChat: true, emptyState });
  const plugins = followPluginChanges({ socket, api, widget, channels });
  // Another language or zone chosen on the profile: redrawn in place (a reload would lose
  // the in-memory token of the widget inside LiveChat's Agent App).
  followPreferences({ socket, api, redraw: async () => {
    liveBar.setAttribute("aria-label", t("console.callBar"));
    emptyState[0].textContent = t("widget.noChat");
    if (!current) {
      title.textContent = t("widget.noChatShort");
      setMessage(idleMessage());
    }
    // Channel names come from the server in the agent's language: asked for again through
    // the API (the page itself may be signed in by token only), as after a plugin change.
    await plugins.refresh();
    widget.relabel();
  } });

  async function showChat(chatId) {
    const id = Number(chatId) || null;
    if (current && current !== id) socket.emit("chat:leave", { chat_id: current });
    current = id;
    if (!id) {
      title.textContent = t("widget.noChatShort");
      setMessage(idleMessage());
      widget.setChat(null);
      return null;
    }
    title.textContent = t("widget.loading");
    try {
      const chat = await api(`chats/${id}`);
      if (current !== id) return null;
      socket.emit("chat:join", { chat_id: id });
      title.textContent = chat.customer_name || chat.customer_address;
      shown = chat;
      widget.setChat(chat);
      return chat;
    } catch (exc) {
      if (current !== id) return null;
      title.textContent = t("widget.noChatShort");
      setMessage(exc.status === 404 ? t("console.chatNotFound") : exc.message);
      widget.setChat(null);
      return null;
    }
  }

  socket.on("chat:updated", ({ chat } = {}) => {
    if (!chat || chat.id !== current) return;
    shown = { ...shown, ...chat };
    title.textContent = shown.customer_name || shown.customer_address;
    widget.updateChat(shown);
  });
  // A rename made anywhere (another console, the Contacts tab) shows here at once.
  socket.on("contact:updated", ({ contact, deleted } = {}) => {
    if (!shown || deleted || !contact?.name || contact.id !== shown.contact_id || shown.id !== current) return;
    shown = { ...shown, customer_name: contact.name };
    title.textContent = contact.name;
    widget.updateChat(shown);
  });

  /** A renewed token: API calls use it from now on and the connection is made again with
   * it, before the server ends the one that still runs on the old token. */
  function setToken(next) {
    token = next;
    socket.disconnect().connect();
  }

  return { showChat, api, socket, widget, setToken };
}

/** Follow {type: "switchboard:chat", chat_id} messages from this window or its parent. */
export function listenForChat(handle) {
  const onMessage = (event) => {
    if (event.source !== window && event.source !== window.parent) return;
    const data = event.data;
    if (data && typeof data === "object" && data.type === "switchboard:chat") handle.showChat(data.chat_id ?? null);
  };
  window.addEventListener("message", onMessage);
  return () => window.removeEventListener("message", onMessage);
}

const mountPoint = document.getElementById("widget");
if (mountPoint) {
  const handle = mountWidget(mountPoint);
  listenForChat(handle);
  const query = new URLSearchParams(window.location.search);
  handle.showChat(query.get("chat_id")).then(() => query.get("tab") && handle.widget.select(query.get("tab")));
  window.switchboardWidget = handle;
}
