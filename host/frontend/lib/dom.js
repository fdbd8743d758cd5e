// Tiny DOM helpers. User data only ever goes in through textContent or attributes,
// never through innerHTML, so a message body like "<script>…" shows as text.

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Escape text for the rare place a plugin wants to build HTML strings itself. */
export function escapeHtml(value) {
  return String(value ?? "").replace(/[&<>"']/g, (ch) => ESCAPES[ch]);
}

/**
 * Create an element: h("button.primary", {type: "button", onclick}, "Send").
 * Children may be strings (inserted as text), nodes, arrays, null/false (skipped).
 * Attributes: `class`, `dataset`, `on<event>` handlers, booleans, everything else
 * via setAttribute. Strings are never parsed as HTML.
 */
export function h(tag, attrs, ...children) {
  const [name, ...classes] = tag.split(".");
  const el = document.createElement(name || "div");
  if (classes.length) el.className = classes.join(" ");
  if (attrs && (typeof attrs !== "object" || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = [el.className, value].filter(Boolean).join(" ");
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "text") el.textContent = value;
    else if (key === "value") el.value = value;
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace an element's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Only http(s) and same-origin URLs may become links or images (no javascript:). */
export function safeUrl(url) {
  try {
    const parsed = new URL(String(url), window.location.href);
    return ["http:", "https:", "blob:"].includes(parsed.protocol) ? parsed.href : null;
  } catch {
    return null;
  }
}

/** Initials for an avatar: "Maria Lopez" -> "ML", "+1415…" -> "#". */
export function initials(name) {
  const words = String(name || "").replace(/[^\p{L}\s]/gu, " ").trim().split(/\s+/).filter(Boolean);
  if (!words.length) return "#";
  return (words[0][0] + (words.length > 1 ? words[words.length - 1][0] : "")).toUpperCase();
}
