// How files read to agents: sizes and kinds ("PDF document · 240 KB").
import { t } from "./i18n.js";

/** Bytes as people read them; 1 MB = 1,000,000 bytes, as providers count. */
export function readableSize(size) {
  const bytes = Number(size);
  if (!Number.isFinite(bytes) || bytes < 0) return "";
  if (bytes >= 1_000_000) return t("files.megabytes", { size: Math.round(bytes / 100_000) / 10 });
  return t("files.kilobytes", { size: Math.max(1, Math.round(bytes / 1000)) });
}

const KINDS = [
  [/^application\/pdf$/, () => t("files.pdf")],
  [/wordprocessingml|msword/, () => t("files.word")],
  [/spreadsheetml|ms-excel|text\/csv/, () => t("files.spreadsheet")],
  [/presentationml|ms-powerpoint/, () => t("files.presentation")],
  [/vcard/, () => t("files.contact")],
  [/^text\/calendar/, () => t("files.calendar")],
  [/^audio\//, () => t("files.audio")],
  [/^video\//, () => t("files.video")],
  [/^image\//, () => t("files.image")],
  [/^text\//, () => t("files.text")],
];

/** A name for a kind of file ("PDF document"), from its content type. */
export function fileKind(contentType) {
  const type = String(contentType || "").toLowerCase();
  for (const [pattern, label] of KINDS) if (pattern.test(type)) return label();
  return t("files.file");
}
