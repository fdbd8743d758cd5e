// Canned replies in the reply box: typing "/" opens a list of the agent's replies,
// filtered as they type; Enter or Tab (or a click) puts the reply's text, variables
// filled in, where the "/shortcut" was. Arrow keys move, Escape closes.
import { h, replace } from "./dom.js";
import { t } from "./i18n.js";

const VARIABLE = /\{\{\s*([^{}]*?)\s*\}\}/g;
const NO_CUSTOMER_NAME = "there"; // "Hi {{customer.first_name}}" → "Hi there"
const TRIGGER = /(^|\s)\/([a-z0-9_-]*)$/i;
const SHOWN = 8;

/** The reply's text for this chat and agent (the variables host/canned_replies.py accepts). */
export function fillReply(body, { chat, agent }) {
  const customer = String(chat?.customer_name || "").trim();
  const me = String(agent?.name || String(agent?.email || "").split("@")[0]).trim();
  const values = {
    "customer.name": customer || NO_CUSTOMER_NAME,
    "customer.first_name": customer ? customer.split(/\s+/)[0] : NO_CUSTOMER_NAME,
    "agent.name": me,
    "agent.first_name": me.split(/\s+/)[0],
  };
  return String(body || "").replace(VARIABLE, (whole, name) => (name in values ? values[name] : whole));
}

/** Replies matching what follows "/": shortcut starts first, then title or text containing it. */
export function matchReplies(replies, query) {
  const q = String(query || "").toLowerCase();
  const starts = [];
  const contains = [];
  for (const reply of replies) {
    if (!q || reply.shortcut.startsWith(q)) starts.push(reply);
    else if (reply.shortcut.includes(q) || (reply.title || "").toLowerCase().includes(q) || reply.body.toLowerCase().includes(q)) contains.push(reply);
  }
  return [...starts, ...contains];
}

/**
 * Attach the picker to a textarea. `load()` → Promise of replies; `context()` →
 * {chat, agent} for the variables; `onInsert()` after the text changed.
 * Returns {element, close(), isOpen(), relabel()}.
 */
export function attachReplyPicker(textarea, { load, context, onInsert }) {
  const listId = `canned-replies-${Math.random().toString(36).slice(2)}`;
  const list = h("ul.reply-picker-list", { id: listId, role: "listbox", "aria-label": t("picker.label") });
  const note = h("p.reply-picker-note");
  const element = h("div.reply-picker", { hidden: true }, list, note);
  let replies = null;
  let shown = [];
  let active = 0;
  let trigger = null; // {start, end} of "/query" in the textarea
  let loading = null;

  textarea.setAttribute("aria-autocomplete", "list");
  textarea.setAttribute("aria-controls", listId);

  function close() {
    element.hidden = true;
    trigger = null;
    textarea.removeAttribute("aria-activedescendant");
  }

  function render() {
    if (!shown.length) {
      replace(list);
      note.textContent = replies && replies.length
        ? t("picker.noMatch")
        : t("picker.none");
      return;
    }
    note.textContent = t("picker.help");
    replace(list, shown.map((reply, index) => h("li.reply-option", {
      id: `${listId}-${index}`,
      role: "option",
      "aria-selected": String(index === active),
      dataset: { shortcut: reply.shortcut },
      onmousedown: (event) => {
        event.preventDefault(); // keep the focus in the textarea
        insert(reply);
      },
    },
    h("span.reply-option-head", h("strong", `/${reply.shortcut}`), reply.title ? h("span", { dir: "auto" }, reply.title) : null,
      h("span.reply-scope", reply.group_name ? `${reply.group_name}` : t("picker.personal"))),
    h("span.reply-option-body", { dir: "auto" }, fillReply(reply.body, context())))));
    textarea.setAttribute("aria-activedescendant", `${listId}-${active}`);
    list.children[active]?.scrollIntoView({ block: "nearest" });
  }

  function refresh() {
    // Each time the list opens it is asked for again, so replies saved meanwhile (on
    // the Replies page, by a colleague) are there; the last copy shows meanwhile.
    loading = load().then((rows) => { replies = rows || []; }, () => { replies = replies || []; });
    const mine = loading;
    loading.then(() => {
      if (trigger && mine === loading) show();
    });
    return loading;
  }

  function show() {
    const before = textarea.value.slice(0, textarea.selectionStart);
    const found = before.match(TRIGGER);
    if (!found || replies === null) return;
    shown = matchReplies(replies, found[2]).slice(0, SHOWN);
    active = Math.min(active, Math.max(shown.length - 1, 0));
    element.hidden = false; // (no aria-expanded: a textarea is a textbox, which has none)
    render();
  }

  function update() {
    const before = textarea.value.slice(0, textarea.selectionStart);
    const found = textarea.selectionStart === textarea.selectionEnd ? before.match(TRIGGER) : null;
    if (!found) {
      close();
      return;
    }
    const opening = !trigger;
    trigger = { start: before.length - found[2].length - 1, end: before.length };
    if (opening) refresh();
    show();
  }

  function insert(reply) {
    if (!trigger) return;
    const text = fillReply(reply.body, context());
    const value = textarea.value;
    textarea.value = value.slice(0, trigger.start) + text + value.slice(trigger.end);
    const caret = trigger.start + text.length;
    textarea.setSelectionRange(caret, caret);
    close();
    onInsert?.();
  }

  textarea.addEventListener("input", () => {
    active = 0;
    update();
  });
  textarea.addEventListener("click", update);
  textarea.addEventListener("blur", () => setTimeout(close, 100));
  textarea.addEventListener("keydown", (event) => {
    if (element.hidden || !trigger) return;
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopImmediatePropagation();
      close();
    } else if (!shown.length) {
      return; // Enter sends the text as typed
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      active = (active + (event.key === "ArrowDown" ? 1 : shown.length - 1)) % shown.length;
      render();
    } else if ((event.key === "Enter" && !event.shiftKey) || event.key === "Tab") {
      event.preventDefault();
      event.stopImmediatePropagation(); // not a send
      insert(shown[active]);
    }
  });

  close();
  return {
    element,
    close,
    isOpen: () => !element.hidden,
    relabel() { // another language: the list's label and, while open, its notes
      list.setAttribute("aria-label", t("picker.label"));
      if (!element.hidden) render();
    },
  };
}
