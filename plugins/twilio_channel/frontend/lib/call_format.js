// How the Call tab writes calls: timers, durations, a call's one-line description.
import { h } from "./kit.js";
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

export const timeFormat = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });
export const MISSED = new Set(["busy", "no-answer", "failed", "canceled"]);

export function describe(record) {
  const way = record.direction === "in" ? "Incoming" : "Outgoing";
  if (isLive(record)) return `${way} call · ${record.status === "in-progress" ? "in progress" : "ringing"}`;
  if (!record.answered_at && MISSED.has(record.status)) return `Missed ${way.toLowerCase()} call (${record.status.replace("-", " ")})`;
  return `${way} call · ${clock(record.duration)}`;
}
