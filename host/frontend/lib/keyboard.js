// Keyboard shortcuts for the console, listed in the "?" dialog. Single keys, as in Front
// and Gmail, work whenever the focus is not in a text field; Escape leaves a text field.
// Controls in the live bar (the call bar) declare their own key with data-shortcut and
// data-shortcut-label, so a plugin's bar gets keys without the console knowing it.
import { h, replace } from "./dom.js";
import { onLocaleChange, t } from "./i18n.js";

export const SHORTCUTS = () => [
  ["j", t("keys.next")],
  ["k", t("keys.previous")],
  ["1 2 3", t("keys.lists")],
  ["r", t("keys.reply")],
  ["a", t("keys.accept")],
  ["t", t("keys.transfer")],
  ["e", t("keys.archive")],
  ["d", t("keys.details")],
  ["?", t("keys.help")],
];

function typing(target) {
  if (!(target instanceof Element)) return false;
  return Boolean(target.closest("input, textarea, select, [contenteditable=''], [contenteditable=true]"));
}

/**
 * The "?" dialog: the console's keys and those the live bar offers now, drawn again in
 * place when the agent picks another language while it is open.
 */
export function openShortcutsDialog(liveBar) {
  const title = h("h2", { id: "shortcuts-title" });
  const intro = h("p.muted");
  const callBar = h("p.muted");
  const list = h("dl.shortcut-list");
  const close = h("button.button", { type: "button" });
  const dialog = h("dialog.modal.shortcuts-dialog", { "aria-labelledby": "shortcuts-title" },
    title, intro, callBar, list, h("div.dialog-actions", close));
  function words() {
    const extra = [...(liveBar?.querySelectorAll("[data-shortcut]") || [])]
      .map((el) => [el.dataset.shortcut, el.dataset.shortcutLabel || el.textContent.trim()]);
    title.textContent = t("keys.title");
    intro.textContent = t("keys.intro");
    callBar.textContent = t("keys.callBar");
    callBar.hidden = extra.length > 0;
    replace(list, [...SHORTCUTS(), ...extra].map(([key, text]) =>
      h("div.shortcut-row", h("dt", key.split(" ").map((k) => h("kbd", k))), h("dd", text))));
    close.textContent = t("keys.close");
  }
  words();
  const stopFollowing = onLocaleChange(words);
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => {
    stopFollowing();
    dialog.remove();
  });
  document.body.append(dialog);
  dialog.showModal();
  close.focus();
  return dialog;
}

/**
 * Listen for the console's keys. `actions` = {next(), previous(), view(name), reply(),
 * accept(), transfer(), archive(), details()}; `liveBar` holds controls with data-shortcut.
 */
export function bindShortcuts({ actions, liveBar }) {
  const views = { 1: "queued", 2: "mine", 3: "archived" };
  function onKey(event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    if (event.key === "Escape" && typing(event.target) && event.target.closest(".composer")) {
      event.target.blur();
      return;
    }
    if (typing(event.target) || document.querySelector("dialog[open]")) return;
    const key = event.key;
    const barControl = liveBar && !liveBar.hidden
      ? [...liveBar.querySelectorAll("[data-shortcut]")].find((el) => el.dataset.shortcut === key && !el.disabled) : null;
    const run = {
      j: actions.next, k: actions.previous, r: actions.reply, a: actions.accept, t: actions.transfer,
      e: actions.archive, d: actions.details, "?": () => openShortcutsDialog(liveBar),
    }[key];
    if (barControl) barControl.click();
    else if (views[key]) actions.view(views[key]);
    else if (run) run();
    else return;
    event.preventDefault();
  }
  document.addEventListener("keydown", onKey);
  return () => document.removeEventListener("keydown", onKey);
}
