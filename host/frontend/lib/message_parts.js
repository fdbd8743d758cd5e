// Pieces of a transcript's message: its delivery ticks and its attachments.
import { h, safeUrl } from "./dom.js";
import { fileKind, readableSize } from "./files.js";
import { icon } from "./icons.js";
import { t } from "./i18n.js";
import { statusText } from "./transcript.js";

// Constant icon markup only (never user data).
const ICONS = {
  clock: '<svg viewBox="0 0 16 16" aria-hidden="true"><circle cx="8" cy="8" r="6" fill="none" stroke="currentColor" stroke-width="1.5"/><path d="M8 4.5V8l2.5 1.5" fill="none" stroke="currentColor" stroke-width="1.5" stroke-linecap="round"/></svg>',
  check: '<svg viewBox="0 0 16 16" aria-hidden="true"><path d="M3 8.5l3 3 7-7" fill="none" stroke="currentColor" stroke-width="1.7" stroke-linecap="round" stroke-linejoin="round"/></svg>',
  checks: '<svg viewBox="0 0 20 16" aria-hidden="true"><path d="M1.5 8.5l3 3 7-7M8.5 11.5l7-7" fill="none" stroke="currentColor" stroke-width="1.7" stroke-linecap="round" stroke-linejoin="round"/><path d="M7.6 10.6l.9.9" stroke="currentColor" stroke-width="1.7" stroke-linecap="round"/></svg>',
  alert: '<svg viewBox="0 0 16 16" aria-hidden="true"><circle cx="8" cy="8" r="7" fill="currentColor"/><path d="M8 4.5v4.2" stroke="#fff" stroke-width="1.8" stroke-linecap="round"/><circle cx="8" cy="11.4" r="1" fill="#fff"/></svg>',
};

function statusIcon(status) {
  if (["failed", "undelivered", "canceled"].includes(status)) return ICONS.alert;
  if (status === "read" || status === "delivered") return ICONS.checks;
  if (status === "sent") return ICONS.check;
  return ICONS.clock;
}

export function ticks(status) {
  const el = h("span.ticks", { dataset: { status }, title: statusText(status), role: "img", "aria-label": statusText(status) });
  el.innerHTML = statusIcon(status); // constant SVG
  return el;
}

export function mediaItem(media) {
  const url = safeUrl(media.url);
  if (!url) return h("span.media-file", t("chat.mediaBadAddress"));
  const type = media.content_type || "";
  if (type.startsWith("image/")) {
    return h("a.media-image", { href: url, target: "_blank", rel: "noopener noreferrer" },
      h("img", { src: url, alt: media.filename ? t("chat.mediaImageNamed", { name: media.filename }) : t("chat.mediaImage"), loading: "lazy" }));
  }
  // Other files: what it is, how big, and both ways to get it.
  const fromUrl = decodeURIComponent(url.split("?")[0].split("/").pop() || "");
  const name = media.filename || (/\.[a-z0-9]{2,5}$/i.test(fromUrl) ? fromUrl : fileKind(type));
  const kind = fileKind(type);
  const details = [name === kind ? "" : kind, type, media.size ? readableSize(media.size) : ""].filter(Boolean).join(" · ");
  const download = url + (url.includes("?") ? "&" : "?") + "download=1";
  return h("div.media-file", { dataset: { contentType: type } },
    icon("clip", "media-file-icon"),
    h("span.media-file-main", h("span.media-file-name", { dir: "auto" }, name), h("span.media-file-details", details)),
    h("span.media-file-actions",
      h("a.button.small", { href: url, target: "_blank", rel: "noopener noreferrer", "aria-label": t("chat.mediaOpenNamed", { name }) }, t("chat.mediaOpen")),
      h("a.button.small", { href: download, download: name, "aria-label": t("chat.mediaDownloadNamed", { name }) }, t("chat.mediaDownload"))));
}
