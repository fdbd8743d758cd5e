// The Socket.IO connection (same origin; session cookie or API token) and its status indicator.
import { io } from "socket.io-client";
import { h } from "./dom.js";
import { t } from "./i18n.js";

/**
 * Connect and report state changes: "connecting" | "connected" | "reconnecting" |
 * "offline" | "ended".
 * `onReconnect` runs after a connection comes back (rooms must be re-joined and
 * anything missed re-fetched); `onAccessChanged` when the agent's groups changed
 * while connected (what the lists hold must be fetched again). When the server ends
 * the sign-in (signed out elsewhere, password changed, agent deactivated) a notice
 * says so, with the way back to the sign-in page (or `onSignedOut(message)` decides).
 */
export function connectSocket({ onState = () => {}, onReconnect = () => {}, onAccessChanged = () => {},
  token = null, onSignedOut = showSignedOut } = {}) {
  // With an API token (a framed widget without cookies) the connection authenticates by it;
  // a function gives the current one at every (re)connection, for a token that is renewed.
  const tokenOf = typeof token === "function" ? token : () => token;
  const socket = token
    ? io({ withCredentials: false, auth: (cb) => cb({ token: tokenOf() }), reconnectionDelayMax: 5000 })
    : io({ withCredentials: true, reconnectionDelayMax: 5000 });
  let everConnected = false;
  let ended = false;
  onState("connecting");
  socket.on("connect", () => {
    onState("connected");
    if (everConnected) onReconnect();
    everConnected = true;
  });
  socket.on("session:ended", ({ message } = {}) => {
    ended = true;
    onState("ended");
    onSignedOut(message);
  });
  socket.on("access:changed", () => onAccessChanged());
  socket.on("disconnect", (reason) => {
    if (ended) return;
    // The server closing us means our session is gone; the client won't retry by itself.
    onState(reason === "io server disconnect" ? "offline" : "reconnecting");
  });
  socket.on("connect_error", () => onState(everConnected ? "reconnecting" : "connecting"));
  socket.io.on("reconnect_attempt", () => onState("reconnecting"));
  socket.io.on("reconnect_failed", () => onState("offline"));
  return socket;
}

/** A notice over the page: this sign-in has ended; nothing more arrives until signing in again. */
function showSignedOut(message) {
  document.querySelector(".session-ended")?.remove();
  const next = encodeURIComponent(window.location.pathname + window.location.search);
  const notice = h("div.session-ended", { role: "alert" },
    h("strong", t("socket.signedOut")),
    h("p", message || t("socket.endedTitle")),
    h("a.button.primary", { href: `/login?next=${next}` }, t("socket.signInAgain")));
  document.body.append(notice);
}

const LABELS = {
  connecting: () => t("socket.connecting"),
  connected: () => t("socket.connected"),
  reconnecting: () => t("socket.reconnecting"),
  offline: () => t("socket.offline"),
  ended: () => t("socket.ended"),
};
const TITLES = {
  connecting: () => t("socket.connectingTitle"),
  connected: () => t("socket.connectedTitle"),
  reconnecting: () => t("socket.reconnectingTitle"),
  offline: () => t("socket.offlineTitle"),
  ended: () => t("socket.endedTitle"),
};

/** A small dot + label; call `.set(state)` to update it. */
export function connectionIndicator() {
  const label = h("span.conn-label");
  const el = h("span.conn", { role: "status", "aria-live": "polite" }, h("span.conn-dot", { "aria-hidden": "true" }), label);
  el.set = (state) => {
    el.dataset.state = state;
    label.textContent = LABELS[state]?.() || state;
    el.title = TITLES[state]?.() || "";
  };
  el.set("connecting");
  return el;
}
