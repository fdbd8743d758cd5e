// LiveChat Agent App bridge: follows the chat the agent opens in LiveChat and shows the
// matching Switchboard chat in the details widget on this page.
//
// LiveChat loads /plugins/livechat/widget as a Details widget. `createDetailsWidget()`
// (@livechat/agent-app-sdk) connects to the Agent App over postMessage; LiveChat then
// sends `customer_profile` whenever the agent opens a chat (or an archived chat, or a
// customer): {id, name, email, chat: {chat_id, id (thread), groupID}, source, …}.
// We ask Switchboard which chat mirrors that LiveChat chat (GET /api/v1/livechat/resolve)
// and hand it to the host widget the way the widget documents it:
// window.postMessage({type: "switchboard:chat", chat_id}) on this same window.
//
// The SDK's default ("trusted") connection is the handshake of @livechat/postmessage: the
// parent starts it and the iframe answers the origin the handshake came from; only the
// `?connection=plain` mode filters by LiveChat's domains. Tests drive it from a local
// parent page with @livechat/postmessage itself (tests/plugins/livechat/test_agent_app_browser.py).
import { createDetailsWidget } from "@livechat/agent-app-sdk";

const config = JSON.parse(document.getElementById("livechat-bridge-config")?.textContent || "{}");
const statusLine = document.getElementById("livechat-bridge-status");

function setStatus(state, text) {
  if (!statusLine) return;
  statusLine.dataset.state = state;
  statusLine.textContent = text;
}

function openInWidget(chatId) {
  document.documentElement.dataset.switchboardChat = String(chatId);
  window.postMessage({ type: "switchboard:chat", chat_id: chatId }, window.location.origin);
}

let lastKey = null;
let generation = 0;

async function follow(profile) {
  const lcChatId = profile?.chat?.chat_id || "";
  const customerId = profile?.id || "";
  const key = `${lcChatId}|${customerId}`;
  if (!lcChatId && !customerId) {
    setStatus("idle", "Open a chat in LiveChat to see its Switchboard conversation.");
    return;
  }
  if (key === lastKey) return;
  lastKey = key;
  const mine = ++generation;
  setStatus("resolving", "Looking up the Switchboard conversation…");
  const params = new URLSearchParams();
  if (lcChatId) params.set("chat_id", lcChatId);
  if (customerId) params.set("customer_id", customerId);
  let response;
  try {
    response = await fetch(`${config.resolveUrl}?${params}`, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
  } catch {
    lastKey = null;
    setStatus("error", "Switchboard could not be reached. It will try again when you open the chat again.");
    return;
  }
  if (mine !== generation) return; // the agent moved on to another chat meanwhile
  if (response.status === 401) {
    window.location.assign(config.signInUrl);
    return;
  }
  const body = await response.json().catch(() => ({}));
  if (response.status === 404) {
    const who = profile?.name || profile?.email || "this customer";
    setStatus("unknown", `No Switchboard conversation for ${who}: this LiveChat chat did not come from SMS, WhatsApp or a call.`);
    return;
  }
  if (!response.ok) {
    lastKey = null;
    setStatus("error", body.message || `Switchboard could not look this chat up (HTTP ${response.status}).`);
    return;
  }
  setStatus("ready", `Switchboard chat #${body.chat_id} · ${body.customer_name || body.customer_address || ""}`.trim());
  openInWidget(body.chat_id);
}

createDetailsWidget()
  .then((widget) => {
    setStatus("connected", "Connected to LiveChat. Open a chat to see its Switchboard conversation.");
    widget.on("customer_profile", (profile) => {
      follow(profile);
    });
    const current = widget.getCustomerProfile();
    if (current) follow(current);
  })
  .catch(() => {
    const standalone = new URLSearchParams(window.location.search).get("chat_id");
    setStatus("standalone", standalone
      ? `Showing Switchboard chat #${standalone}.`
      : "Open this page from LiveChat's Agent App to follow the chat you open there.");
  });
