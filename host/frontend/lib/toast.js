// Short-lived messages at the bottom of the screen ("Chat transferred to Sam").
import { h } from "./dom.js";

let region = null;

function ensureRegion() {
  if (!region || !region.isConnected) {
    region = h("div.toasts", { role: "status", "aria-live": "polite" });
    document.body.append(region);
  }
  return region;
}

/** kind: "info" | "error" | "ok". Errors stay longer. */
export function toast(message, kind = "info") {
  const el = h(`div.toast.toast-${kind}`, message);
  ensureRegion().append(el);
  const close = () => {
    el.classList.add("leaving");
    setTimeout(() => el.remove(), 200);
  };
  el.addEventListener("click", close);
  setTimeout(close, kind === "error" ? 7000 : 3500);
  return el;
}
