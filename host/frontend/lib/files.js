// How files read to agents: sizes and kinds ("PDF document · 240 KB").

/** Bytes as people read them; 1 MB = 1,000,000 bytes, as providers count. */
export function readableSize(size) {
  const bytes = Number(size);
  if (!Number.isFinite(bytes) || bytes < 0) return "";
  if (bytes >= 1_000_000) return `${(bytes / 1_000_000).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1000))} KB`;
}

const KINDS = [
  [/^application\/pdf$/, "PDF document"],
  [/wordprocessingml|msword/, "Word document"],
  [/spreadsheetml|ms-excel|text\/csv/, "Spreadsheet"],
  [/presentationml|ms-powerpoint/, "Presentation"],
  [/vcard/, "Contact card"],
  [/^text\/calendar/, "Calendar event"],
  [/^audio\//, "Audio"],
  [/^video\//, "Video"],
  [/^image\//, "Image"],
  [/^text\//, "Text file"],
];

/** A name for a kind of file ("PDF document"), from its content type. */
export function fileKind(contentType) {
  const type = String(contentType || "").toLowerCase();
  for (const [pattern, label] of KINDS) if (pattern.test(type)) return label;
  return "File";
}
