// Small DOM helpers for the contacts tabs. User data only ever goes in as text nodes or
// attributes (never innerHTML), so a name like "<b>Mallory</b>" shows as typed.

// The host's helpers, bundled into the tab at build time (one implementation to keep safe).
export { h, replace, initials } from "../../../../host/frontend/lib/dom.js";

export function hue(id) {
  return String((Number(id) % 7) + 1);
}

let styled = false;

/** The few styles the contacts tabs add to the host's stylesheet, once per page. */
export function ensureStyles() {
  if (styled || document.getElementById("contacts-tab-styles")) return;
  styled = true;
  const style = document.createElement("style");
  style.id = "contacts-tab-styles";
  style.textContent = `
.ct-card { display: grid; grid-template-columns: minmax(0, 1fr); gap: 14px; }
.ct-head { display: flex; align-items: center; gap: 12px; }
.ct-head > div { flex: 1; min-width: 0; }
.ct-head h3 { margin: 0; font-size: 16px; overflow-wrap: anywhere; }
.ct-head p { margin: 2px 0 0; font-size: 12.5px; }
.ct-actions { display: flex; flex-wrap: wrap; gap: 6px; }
.ct-section { display: grid; grid-template-columns: minmax(0, 1fr); gap: 8px; }
.ct-section > h4 { margin: 0; font-size: 12px; font-weight: 650; color: var(--muted); text-transform: uppercase; letter-spacing: 0.05em; }
.ct-consent { list-style: none; margin: 0; padding: 0; display: grid; gap: 6px; font-size: 13px; }
.ct-consent li { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; }
.ct-consent .ct-addr { flex: 1; min-width: 0; overflow-wrap: anywhere; }
.badge.ct-out { background: var(--danger-weak); color: var(--danger); border-color: #fecdca; }
.ct-consent li.ct-consent-entry { display: grid; gap: 6px; grid-template-columns: minmax(0, 1fr); }
.ct-consent-row { display: flex; align-items: center; gap: 6px 8px; flex-wrap: wrap; }
.ct-consent-row .ct-addr { flex: 1 1 9em; display: grid; }
.ct-consent-row .ct-kind { color: var(--muted); font-size: 12px; }
.ct-consent-row .ct-number { white-space: nowrap; font-variant-numeric: tabular-nums; }
.ct-history { margin: 0; padding: 0 0 0 2px; list-style: none; display: grid; gap: 6px; border-left: 2px solid var(--border); }
.ct-history li { display: grid; gap: 1px; padding-left: 10px; font-size: 12.5px; }
.ct-history li span { overflow-wrap: anywhere; }
.ct-history li small { color: var(--muted); font-size: 11.5px; }
.ct-history li[data-source="admin"] span { font-weight: 600; }
.ct-clear-form { display: grid; gap: 6px; padding: 10px; border: 1px solid var(--border); border-radius: var(--radius-sm); background: var(--subtle); }
.ct-clear-form .form-actions { justify-content: flex-end; }
.ct-notes { list-style: none; margin: 0; padding: 0; display: grid; gap: 8px; }
.ct-note { padding: 8px 10px; border: 1px solid var(--border); border-radius: var(--radius-sm); background: var(--subtle); }
.ct-note p { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; font-size: 13.5px; }
.ct-note small { display: block; margin-top: 4px; color: var(--muted); font-size: 12px; }
.ct-note-form { display: grid; gap: 6px; }
.ct-note-form .form-actions { justify-content: flex-end; }
.ct-toolbar { display: flex; gap: 6px; align-items: center; }
.ct-toolbar .tab-search { flex: 1; min-width: 0; }
.ct-toolbar select { width: auto; flex: none; min-height: 38px; padding: 4px 8px; margin: 0; }
.ct-row-actions { display: flex; gap: 6px; flex: none; }
.ct-row-main { cursor: pointer; background: none; border: 0; box-shadow: none; padding: 0; text-align: left; display: flex; align-items: center; gap: 10px; flex: 1; min-width: 0; min-height: 0; justify-content: flex-start; font-weight: inherit; }
.ct-row-main:hover { background: none; }
.ct-row-main:hover .item-title { text-decoration: underline; }
.ct-pager { display: flex; align-items: center; justify-content: space-between; gap: 8px; font-size: 13px; color: var(--muted); }
.ct-back { justify-self: start; align-self: flex-start; }
.ct-notice { margin: 0; padding: 8px 10px; border-radius: var(--radius-sm); background: var(--accent-weak); color: var(--accent-text); font-size: 13px; }
.ct-dup { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; }
.ct-import { display: grid; gap: 10px; }
.ct-import progress { width: 100%; height: 10px; }
.ct-errors { width: 100%; border-collapse: collapse; font-size: 12.5px; }
.ct-errors th, .ct-errors td { text-align: left; padding: 4px 6px; border-bottom: 1px solid var(--border); vertical-align: top; }
.ct-errors td:first-child { font-variant-numeric: tabular-nums; white-space: nowrap; }
.ct-chats { list-style: none; margin: 0; padding: 0; display: grid; grid-template-columns: minmax(0, 1fr); gap: 6px; }
.ct-form-grid { display: grid; gap: 12px; }
.ct-muted { color: var(--muted); font-size: 13px; margin: 0; }
button.ct-danger, button.ct-danger:hover:not(:disabled) { background: var(--danger); border-color: var(--danger); color: #fff; }
.ct-merge-results { list-style: none; margin: 0; padding: 0; display: grid; gap: 4px; max-height: 220px; overflow-y: auto; }
.ct-merge-results { grid-template-columns: minmax(0, 1fr); }
.ct-merge-results button { width: 100%; justify-content: flex-start; text-align: left; overflow: hidden; text-overflow: ellipsis; display: block; }
.ct-merge-results button[aria-pressed="true"] { border-color: var(--accent); background: var(--accent-weak); }
`;
  document.head.append(style);
}
