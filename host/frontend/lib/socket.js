// The Socket.IO connection (same origin, session cookie) and its status indicator.
import { io } from "socket.io-client";
import { h } from "./dom.js";

/**
 * Connect and report state changes: "connecting" | "connected" | "reconnecting" | "offline".
 * `onReconnect` runs after a connection comes back (rooms must be re-joined and
 * anything missed re-fetched).
 */
export function connectSocket({ onState = () => {}, onReconnect = () => {} } = {}) {
  const socket = io({ withCredentials: true, reconnectionDelayMax: 5000 });
  let everConnected = false;
  onState("connecting");
  socket.on("connect", () => {
    onState("connected");
    if (everConnected) onReconnect();
    everConnected = true;
  });
  socket.on("disconnect", (reason) => {
    // The server closing us means our session is gone; the client won't retry by itself.
    onState(reason === "io server disconnect" ? "offline" : "reconnecting");
  });
  socket.on("connect_error", () => onState(everConnected ? "reconnecting" : "connecting"));
  socket.io.on("reconnect_attempt", () => onState("reconnecting"));
  socket.io.on("reconnect_failed", () => onState("offline"));
  return socket;
}

const LABELS = {
  connecting: "Connecting…",
  connected: "Live",
  reconnecting: "Reconnecting…",
  offline: "Offline",
};
const TITLES = {
  connecting: "Connecting to live updates",
  connected: "Connected: new chats and messages appear as they arrive",
  reconnecting: "Connection lost; trying again. New messages will show once we're back.",
  offline: "Not connected. Reload the page to try again.",
};

/** A small dot + label; call `.set(state)` to update it. */
export function connectionIndicator() {
  const label = h("span.conn-label");
  const el = h("span.conn", { role: "status", "aria-live": "polite" }, h("span.conn-dot", { "aria-hidden": "true" }), label);
  el.set = (state) => {
    el.dataset.state = state;
    label.textContent = LABELS[state] || state;
    el.title = TITLES[state] || "";
  };
  el.set("connecting");
  return el;
}
