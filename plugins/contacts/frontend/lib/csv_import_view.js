// The Contacts tab's CSV import: pick a file, choose what a matching row does, watch the
// rows go in, and read (or download) the rows that had problems.
import { errorsCsv, uploadCsv } from "./csv_upload.js";
import { h, replace } from "./kit.js";

/** The import form in `element`; `onBack()` returns to the list (reloaded). */
export function mountImport(element, ctx, { onBack }) {
  const file = h("input", { type: "file", accept: ".csv,text/csv", "aria-label": "CSV file" });
  const mode = h("select", { "aria-label": "When a row matches an existing contact" },
    h("option", { value: "report" }, "Report rows that match an existing contact"),
    h("option", { value: "skip" }, "Skip rows that match an existing contact"),
    h("option", { value: "update" }, "Update the existing contact from the row"));
  const start = h("button.primary.small", { type: "button", disabled: true }, "Import");
  const back = h("button.button.small.ct-back", { type: "button", onclick: () => { aborter.abort(); onBack(); } }, "← All contacts");
  const progress = h("progress", { max: "1", value: "0", hidden: true, "aria-label": "Import progress" });
  const status = h("p.ct-muted", { role: "status" });
  const report = h("div");
  const aborter = new AbortController();
  file.addEventListener("change", () => { start.disabled = !file.files.length; });
  start.addEventListener("click", async () => {
    const chosen = file.files[0];
    if (!chosen) return;
    start.disabled = true;
    file.disabled = true;
    replace(report);
    progress.hidden = false;
    progress.value = 0;
    status.textContent = `Reading ${chosen.name}…`;
    try {
      const text = await chosen.text();
      const result = await uploadCsv(ctx.api, text, {
        onDuplicate: mode.value,
        signal: aborter.signal,
        onProgress: ({ done, total, result: sofar }) => {
          progress.max = total;
          progress.value = done;
          status.textContent = `Imported ${done.toLocaleString()} of ${total.toLocaleString()} rows — ${sofar.created} added, ${sofar.errors.length} problems`;
        },
      });
      progress.value = progress.max;
      status.textContent = `Done: ${result.created} added, ${result.updated} updated, ${result.skipped} skipped, ${result.errors.length} problem${result.errors.length === 1 ? "" : "s"}.`;
      renderReport(report, result.errors);
    } catch (exc) {
      status.textContent = `The import stopped: ${exc.message} Rows before this point were saved.`;
    } finally {
      start.disabled = false;
      file.disabled = false;
    }
  });
  replace(element, h("div.ct-card", back, h("div.tab-form.ct-import",
    h("strong", "Import contacts from CSV"),
    h("p.ct-muted", "Columns: name, email, phone, whatsapp, preferred_channel, group, notes (header on the first line). Rows with problems are listed below and not saved; the rest are."),
    file, mode, h("div.form-actions", start), progress, status, report)));
}

function renderReport(holder, errors) {
  if (!errors.length) {
    replace(holder);
    return;
  }
  const shown = errors.slice(0, 200);
  const download = h("button.button.small", {
    type: "button",
    onclick: () => {
      const url = URL.createObjectURL(new Blob([errorsCsv(errors)], { type: "text/csv" }));
      const a = h("a", { href: url, download: "contacts-import-problems.csv" });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    },
  }, "Download all problems (CSV)");
  replace(holder, h("div.ct-section",
    h("table.ct-errors", h("thead", h("tr", h("th", "Row"), h("th", "Field"), h("th", "Problem"))),
      h("tbody", shown.map((e) => h("tr", h("td", String(e.row)), h("td", e.field), h("td", e.message))))),
    errors.length > shown.length ? h("p.ct-muted", `…and ${errors.length - shown.length} more.`) : null,
    h("div.ct-actions", download)));
}
