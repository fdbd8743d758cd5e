// CSV import in the browser: the file is split into records (quotes respected, so a
// note with line breaks stays one record) and sent in chunks, each with the header
// and its first row number, so a big file shows progress and the server's error
// report keeps the file's row numbers.

export const CHUNK_RECORDS = 500;

/** Split CSV text into raw record strings (without their line ends). */
export function splitRecords(text) {
  const records = [];
  let start = 0;
  let quoted = false;
  const n = text.length;
  for (let i = 0; i < n; i += 1) {
    const ch = text[i];
    if (ch === '"') quoted = !quoted; // "" inside quotes toggles twice: still quoted
    else if (!quoted && (ch === "\n" || ch === "\r")) {
      records.push(text.slice(start, i));
      if (ch === "\r" && text[i + 1] === "\n") i += 1;
      start = i + 1;
    }
  }
  if (start < n) records.push(text.slice(start));
  return records;
}

/**
 * Upload `text` through `api`; `onProgress({done, total, result})` after each chunk.
 * Resolves with the summed report {rows, created, updated, skipped, errors}.
 */
export async function uploadCsv(api, text, { onDuplicate = "report", onProgress = () => {}, signal } = {}) {
  const records = splitRecords(text.replace(/^\ufeff/, ""));
  const header = records.shift() ?? "";
  const total = records.length;
  const result = { rows: 0, created: 0, updated: 0, skipped: 0, errors: [] };
  if (!total) {
    const report = await api("contacts/import", { method: "POST", json: { csv: header, on_duplicate: onDuplicate } });
    return { ...result, errors: report.errors };
  }
  for (let offset = 0; offset < total; offset += CHUNK_RECORDS) {
    if (signal?.aborted) break;
    const chunk = records.slice(offset, offset + CHUNK_RECORDS);
    const report = await api("contacts/import", {
      method: "POST",
      json: { csv: `${header}\n${chunk.join("\n")}\n`, first_row: offset + 2, on_duplicate: onDuplicate },
    });
    for (const key of ["rows", "created", "updated", "skipped"]) result[key] += report[key];
    // Header problems are reported by every chunk; keep them once.
    result.errors.push(...report.errors.filter((e) => e.row !== 1 || offset === 0));
    onProgress({ done: Math.min(offset + CHUNK_RECORDS, total), total, result });
  }
  return result;
}

/** The error report as CSV text (row,field,message), for download. */
export function errorsCsv(errors) {
  const cell = (v) => (/[",\n\r]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
  return ["row,field,message", ...errors.map((e) => [e.row, e.field, e.message].map(cell).join(","))].join("\r\n") + "\r\n";
}
