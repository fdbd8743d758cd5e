// How the Call tab writes calls: timers, durations, a call's one-line description.
import { h, t, time } from "./kit.js";
import { isLive } from "./voice_records.js";

export function parseDate(value) {
  if (!value) return null;
  const text = String(value);
  const date = new Date(/([zZ]|[+-]\d\d:?\d\d)$/.test(text) ? text : `${text}Z`);
  return Number.isNaN(date.getTime()) ? null : date;
}

export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds || 0));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(h ? 2 : 1, "0");
  return `${h ? `${h}:` : ""}${mm}:${String(s % 60).padStart(2, "0")}`;
}

/** A clock that counts up from `date`; tick() updates its text (the card is not rebuilt). */
export function counter(tag, className, date, prefix = "") {
  const node = h(tag, { class: className });
  node.dataset.since = String(date ? date.getTime() : Date.now());
  node.dataset.prefix = prefix;
  return node;
}

export function tick(root) {
  for (const node of root.querySelectorAll("[data-since]")) {
    const seconds = (Date.now() - Number(node.dataset.since)) / 1000;
    node.textContent = `${node.dataset.prefix}${clock(seconds)}`;
  }
}

/** Replace a container's children only when they changed: a rebuilt button could lose a click. */
const shown = new WeakMap();
export function swap(container, nodes) {
  const html = nodes.map((node) => node.outerHTML).join("");
  if (shown.get(container) === html) return;
  shown.set(container, html);
  container.replaceChildren(...nodes);
}

export function phoneOf(chat) {
  const bare = String(chat?.customer_address || "").replace(/^whatsapp:/, "");
  return /^\+?[\d\s().-]{5,}$/.test(bare) ? bare : "";
}

export function button(text, className, onClick, attrs = {}) {
  const node = h("button", { class: className }, text);
  node.type = "button";
  node.addEventListener("click", onClick);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

/** When a call started, in the agent's language and time zone. */
export function callTime(value) {
  return value ? time.fullTime(value) : "";
}
export const MISSED = new Set(["busy", "no-answer", "failed", "canceled"]);

const MISSED_REASON = { busy: () => t("status.busy"), "no-answer": () => t("status.noAnswer"),
  failed: () => t("status.failed"), canceled: () => t("status.canceled") };

export function describe(record) {
  const incoming = record.direction === "in";
  if (isLive(record)) {
    const state = record.status === "in-progress" ? t("call.inProgress") : t("call.ringingState");
    return incoming ? t("call.incomingState", { state }) : t("call.outgoingState", { state });
  }
  if (!record.answered_at && MISSED.has(record.status)) {
    const reason = MISSED_REASON[record.status]?.() || record.status;
    return incoming ? t("call.missedIncoming", { reason }) : t("call.missedOutgoing", { reason });
  }
  return incoming ? t("call.incomingLasting", { duration: clock(record.duration) })
    : t("call.outgoingLasting", { duration: clock(record.duration) });
}
