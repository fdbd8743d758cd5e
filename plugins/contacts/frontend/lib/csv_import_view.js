// The Contacts tab's CSV import: pick a file, choose what a matching row does, watch the
// rows go in, and read (or download) the rows that had problems.
import { errorsCsv, uploadCsv } from "./csv_upload.js";
import { h, replace, t } from "./kit.js";

/** The import form in `element`; `onBack()` returns to the list (reloaded). */
export function mountImport(element, ctx, { onBack }) {
  const file = h("input", { type: "file", accept: ".csv,text/csv", "aria-label": t("import.file") });
  const mode = h("select", { "aria-label": t("import.mode") },
    h("option", { value: "report" }, t("import.report")),
    h("option", { value: "skip" }, t("import.skip")),
    h("option", { value: "update" }, t("import.update")));
  const start = h("button.primary.small", { type: "button", disabled: true }, t("import.start"));
  const back = h("button.button.small.ct-back", { type: "button", onclick: () => { aborter.abort(); onBack(); } }, t("detail.allContacts"));
  const progress = h("progress", { max: "1", value: "0", hidden: true, "aria-label": t("import.progress") });
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
    status.textContent = t("import.reading", { name: chosen.name });
    try {
      const text = await chosen.text();
      const result = await uploadCsv(ctx.api, text, {
        onDuplicate: mode.value,
        signal: aborter.signal,
        onProgress: ({ done, total, result: sofar }) => {
          progress.max = total;
          progress.value = done;
          status.textContent = t("import.running", { done, total, created: sofar.created, problems: sofar.errors.length });
        },
      });
      progress.value = progress.max;
      status.textContent = t("import.done", { created: result.created, updated: result.updated, skipped: result.skipped,
        problems: result.errors.length });
      renderReport(report, result.errors);
    } catch (exc) {
      status.textContent = t("import.stopped", { problem: exc.message });
    } finally {
      start.disabled = false;
      file.disabled = false;
    }
  });
  replace(element, h("div.ct-card", back, h("div.tab-form.ct-import",
    h("strong", t("import.title")),
    h("p.ct-muted", t("import.intro")),
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
  }, t("import.downloadProblems"));
  replace(holder, h("div.ct-section",
    h("table.ct-errors", h("thead", h("tr", h("th", t("import.row")), h("th", t("import.field")), h("th", t("import.problem")))),
      h("tbody", shown.map((e) => h("tr", h("td", String(e.row)), h("td", e.field), h("td", e.message))))),
    errors.length > shown.length ? h("p.ct-muted", t("import.more", { count: errors.length - shown.length })) : null,
    h("div.ct-actions", download)));
}
