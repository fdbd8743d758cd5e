// Follows the chat the agent opens in LiveChat's Agent App and says which Switchboard chat
// it is. Shared by the widget page (signed in by cookie) and the sign-in page (which mounts
// the widget with a token kept in memory when the browser drops the frame's cookies).
//
// `createDetailsWidget()` (@livechat/agent-app-sdk) connects to the Agent App over
// postMessage; LiveChat then sends `customer_profile` whenever the agent opens a chat (or an
// archived chat, or a customer): {id, name, email, chat: {chat_id, id (thread), groupID}, …}.
// We ask Switchboard which chat mirrors that LiveChat chat (GET /api/v1/livechat/resolve).
// The SDK connects as soon as the page loads, even before the agent has signed in, because
// the Agent App's handshake does not wait; profiles that arrive meanwhile are looked up once
// `signedIn()` gives the bridge a way to ask.
import { createDetailsWidget } from "@livechat/agent-app-sdk";

/**
 * @param {object} options
 * @param {string} options.resolveUrl  GET /api/v1/livechat/resolve
 * @param {object|null} options.auth   fetch options that authenticate ({credentials} or {headers}); null: not yet
 * @param {(chatId:number) => void} options.onChat   show this Switchboard chat
 * @param {() => void} options.onSignedOut           Switchboard answered 401
 * @param {(key:string, values?:object) => string} options.t   the LiveChat catalog (lib/messages.js)
 */
export function startBridge({ resolveUrl, auth = null, onChat, onSignedOut, t }) {
  const statusLine = document.getElementById("livechat-bridge-status");
  let lastKey = null;
  let lastProfile = null;
  let generation = 0;

  function setStatus(state, text) {
    if (!statusLine) return;
    statusLine.dataset.state = state;
    statusLine.textContent = text;
  }

  async function follow(profile) {
    lastProfile = profile;
    const lcChatId = profile?.chat?.chat_id || "";
    const customerId = profile?.id || "";
    const key = `${lcChatId}|${customerId}`;
    if (!lcChatId && !customerId) {
      setStatus("idle", t("bridge.idle"));
      return;
    }
    if (!auth) return; // looked up once signed in
    if (key === lastKey) return;
    lastKey = key;
    const mine = ++generation;
    setStatus("resolving", t("bridge.resolving"));
    const params = new URLSearchParams();
    if (lcChatId) params.set("chat_id", lcChatId);
    if (customerId) params.set("customer_id", customerId);
    let response;
    try {
      response = await fetch(`${resolveUrl}?${params}`, {
        credentials: "same-origin",
        ...auth,
        headers: { Accept: "application/json", ...(auth.headers || {}) },
      });
    } catch {
      lastKey = null;
      setStatus("error", t("bridge.unreachable"));
      return;
    }
    if (mine !== generation) return; // the agent moved on to another chat meanwhile
    if (response.status === 401) {
      lastKey = null;
      onSignedOut();
      return;
    }
    const body = await response.json().catch(() => ({}));
    if (response.status === 404) {
      const who = profile?.name || profile?.email;
      setStatus("unknown", who ? t("bridge.unknown", { who }) : t("bridge.unknownCustomer"));
      return;
    }
    if (!response.ok) {
      lastKey = null;
      setStatus("error", body.message || t("bridge.lookupFailed", { status: response.status }));
      return;
    }
    setStatus("ready", t("bridge.ready", { id: body.chat_id, customer: body.customer_name || body.customer_address || "" }).trim());
    document.documentElement.dataset.switchboardChat = String(body.chat_id);
    onChat(body.chat_id);
  }

  const connected = createDetailsWidget()
    .then((widget) => {
      setStatus("connected", t("bridge.connected"));
      widget.on("customer_profile", (profile) => {
        follow(profile);
      });
      const current = widget.getCustomerProfile();
      if (current) follow(current);
      return widget;
    })
    .catch(() => {
      const standalone = new URLSearchParams(window.location.search).get("chat_id");
      setStatus("standalone", standalone
        ? t("bridge.standaloneChat", { id: standalone })
        : t("bridge.standalone"));
      return null;
    });

  return {
    connected,
    setStatus,
    /** Authenticate lookups from now on (and look up the chat open in LiveChat). */
    signedIn(newAuth) {
      auth = newAuth;
      lastKey = null;
      if (lastProfile) follow(lastProfile);
    },
  };
}
