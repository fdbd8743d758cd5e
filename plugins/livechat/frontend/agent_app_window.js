// A widget window of its own, opened by the widget inside LiveChat's Agent App (for calls:
// LiveChat's frame gets no microphone, this top-level window on Switchboard's origin does).
// When the frame that opened it is signed in with a token kept in memory, this window asks
// it for the token (postMessage between windows of our own origin only) and mounts the
// widget with it; otherwise it goes on to the cookie-signed /widget page.
const config = JSON.parse(document.getElementById("livechat-window-config").textContent);
const root = document.getElementById("livechat-window");
const ASK_FOR_MS = 2000;

function useCookie() {
  window.location.replace(config.cookieUrl);
}

async function mount(token) {
  const headers = { Authorization: `Bearer ${token}`, Accept: "application/json" };
  const response = await fetch(config.widgetDataUrl, { credentials: "omit", headers });
  if (!response.ok) return useCookie();
  const boot = await response.json();
  const { mountWidget } = await import(config.widgetModule);
  const widget = mountWidget(root, { ...boot, csrfToken: "", token });
  document.documentElement.dataset.switchboardSignedIn = "token";
  await widget.showChat(config.chatId);
  if (config.tab) widget.widget.select(config.tab);
}

let answered = false;
window.addEventListener("message", (event) => {
  if (event.origin !== window.location.origin || event.source !== window.opener) return;
  const data = event.data || {};
  if (data.type !== "switchboard:token" || answered) return;
  answered = true;
  if (!data.token) return useCookie();
  mount(data.token).catch(useCookie);
});

if (window.opener) {
  window.opener.postMessage({ type: "switchboard:token-request" }, window.location.origin);
  setTimeout(() => { if (!answered) useCookie(); }, ASK_FOR_MS);
} else {
  useCookie();
}
