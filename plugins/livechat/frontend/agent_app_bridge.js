// LiveChat Agent App bridge on the widget page (/plugins/livechat/widget, signed in by
// cookie): the chat the agent opens in LiveChat opens in the host widget on this page, the
// way the widget documents it — window.postMessage({type: "switchboard:chat", chat_id}).
//
// The SDK's default ("trusted") connection is the handshake of @livechat/postmessage: the
// parent starts it and the iframe answers the origin the handshake came from; only the
// `?connection=plain` mode filters by LiveChat's domains. Tests drive it from a local
// parent page with @livechat/postmessage itself (tests/plugins/livechat/test_agent_app_browser.py).
import { startBridge } from "./lib/bridge.js";
import { pageTranslator } from "./lib/messages.js";

const config = JSON.parse(document.getElementById("livechat-bridge-config")?.textContent || "{}");

startBridge({
  resolveUrl: config.resolveUrl,
  auth: { credentials: "same-origin" },
  onChat: (chatId) => window.postMessage({ type: "switchboard:chat", chat_id: chatId }, window.location.origin),
  onSignedOut: () => window.location.assign(config.signInUrl),
  t: pageTranslator(config),
});
