// Signing in inside LiveChat's Agent App, where the browser may drop the frame's cookies.
//
// "Sign in with LiveChat" opens LiveChat's implicit-grant page in a popup (the accounts
// service cannot be framed); LiveChat sends the popup back to /login/livechat/callback with
// the token in the URL fragment; that page posts it here (same origin, from our popup only);
// we check the state we were given and POST the token to the server, which verifies it with
// LiveChat and answers a short-lived Switchboard API token. The token stays in this page's
// memory: the widget is mounted right here with it (its API calls and Socket.IO connection
// carry it), so nothing depends on a third-party cookie and the page never navigates.
// The Switchboard account form here works the same way: email and password are POSTed with
// the same signed state and answer the same token.
import { startBridge } from "./lib/bridge.js";
import { pageTranslator } from "./lib/messages.js";

const config = JSON.parse(document.getElementById("livechat-sign-in-config").textContent);
const t = pageTranslator(config);
const card = document.getElementById("livechat-sign-in-card");
const button = document.getElementById("livechat-sign-in");
const error = document.getElementById("livechat-sign-in-error");
const root = document.getElementById("livechat-widget");
let popup = null;
let widget = null;
let widgetToken = null;

// A window this widget opened (the call window) asks for the token: only windows of our
// own origin that this page opened get it.
window.addEventListener("message", (event) => {
  if (event.origin !== window.location.origin || !event.source || event.source.opener !== window) return;
  if (event.data?.type !== "switchboard:token-request") return;
  event.source.postMessage({ type: "switchboard:token", token: widgetToken }, window.location.origin);
});

function show(message) {
  card.hidden = false;
  root.hidden = true;
  error.textContent = message;
  error.hidden = false;
  if (button) button.disabled = false;
}

const bridge = startBridge({
  resolveUrl: config.resolveUrl,
  auth: null,
  onChat: (chatId) => widget?.showChat(chatId),
  onSignedOut: () => (widgetToken ? signedOut() : show(t("signIn.ended"))),
  t,
});

// The sign-in ended (token expired or revoked, agent deactivated): back to a fresh sign-in
// page in the frame, which says so; a fresh page, because this one's state has been spent.
function signedOut() {
  clearTimeout(renewal);
  const url = new URL(window.location.href);
  url.searchParams.set("ended", "1");
  window.location.replace(url.toString());
}

// Exchange the token for a fresh one at half its life, for as long as the widget is open:
// a renewal that is slow (a busy laptop, a train's network) or fails once still has the
// other half to succeed in.
let renewal = null;
function scheduleRenewal(seconds) {
  clearTimeout(renewal);
  renewal = setTimeout(renew, Math.max(1, seconds * 0.5) * 1000);
}

async function renew() {
  let response;
  try {
    response = await fetch(config.renewUrl, {
      method: "POST", credentials: "omit",
      headers: { Authorization: `Bearer ${widgetToken}`, Accept: "application/json" },
    });
  } catch {
    return scheduleRenewal(10); // offline for now: try again shortly, the token still holds
  }
  if (response.status === 401 || response.status === 403) return signedOut();
  if (!response.ok) return scheduleRenewal(10);
  const answer = await response.json();
  widgetToken = answer.widget_token;
  widget.setToken(widgetToken);
  bridge.signedIn({ credentials: "omit", headers: { Authorization: `Bearer ${widgetToken}` } });
  scheduleRenewal(answer.expires_in);
}

async function mountWithToken(token, expiresIn) {
  const auth = { credentials: "omit", headers: { Authorization: `Bearer ${token}` } };
  const response = await fetch(config.widgetDataUrl, { ...auth, headers: { ...auth.headers, Accept: "application/json" } });
  if (!response.ok) throw new Error(t("signIn.widgetFailed", { status: response.status }));
  const boot = await response.json();
  const { mountWidget, listenForChat } = await import(config.widgetModule);
  card.hidden = true;
  root.hidden = false;
  widgetToken = token;
  const popOutUrl = (chatId, tab) =>
    `${config.windowUrl}?${new URLSearchParams({ ...(chatId ? { chat_id: String(chatId) } : {}), ...(tab ? { tab } : {}) })}`;
  widget = mountWidget(root, { ...boot, csrfToken: "", token, popOutUrl, onSignedOut: signedOut });
  listenForChat(widget);
  scheduleRenewal(expiresIn);
  document.documentElement.dataset.switchboardSignedIn = "token";
  bridge.signedIn(auth);
}

// Both ways of signing in answer the same in-memory token; the page mounts the widget with it.
function exchange(url, body) {
  return fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ ...body, state: config.state, next: config.next }),
  }).then(async (response) => {
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(answer.message || t("signIn.failedStatus", { status: response.status }));
    await mountWithToken(answer.widget_token, answer.expires_in);
  });
}

const accountForm = document.getElementById("switchboard-sign-in");
accountForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const submit = accountForm.querySelector("button[type=submit]");
  const email = accountForm.elements.email.value.trim();
  const password = accountForm.elements.password.value;
  if (!email || !password) return show(t("signIn.fillIn"));
  error.hidden = true;
  submit.disabled = true;
  exchange(config.passwordUrl, { email, password })
    .then(() => accountForm.reset())
    .catch((exc) => show(exc.message || t("signIn.failed")))
    .finally(() => { submit.disabled = false; });
});

window.addEventListener("message", (event) => {
  if (event.origin !== window.location.origin) return;
  const data = event.data || {};
  if (data.type !== "switchboard:livechat-oauth") return;
  if (popup && event.source !== popup) return;
  if (data.error) return show(t("signIn.refused", { error: data.error }));
  if (!data.access_token || data.state !== config.state) return show(t("signIn.notStartedHere"));
  exchange(config.sessionUrl, { access_token: data.access_token })
    .catch((exc) => show(exc.message || t("signIn.failed")));
});

if (button) {
  button.addEventListener("click", () => {
    error.hidden = true;
    button.disabled = true;
    popup = window.open(config.authorizeUrl, "livechat-sign-in", "width=520,height=680");
    if (!popup) show(t("signIn.popupBlocked"));
  });
}
