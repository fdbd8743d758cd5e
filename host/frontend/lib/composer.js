// The reply box: Enter sends, Shift+Enter adds a line, 1,600 characters at most; "/"
// inserts a canned reply.
import { attachReplyPicker } from "./canned_replies.js";
import { h } from "./dom.js";
import { readableSize } from "./files.js";
import { icon } from "./icons.js";
import { formatNumber, t } from "./i18n.js";

export const MAX_LENGTH = 1600;

/**
 * `onSend(body)` returns a Promise; the text is cleared only when it resolves.
 * Returns {element, setState({mode, hint, channelLabel, name}), relabel(), focus()}.
 * mode: "open" | "archived" | "disabled".
 */
export function createComposer({ onSend, onReopen, replies, onUpload }) {
  const textarea = h("textarea.composer-input", {
    rows: "2",
    maxlength: String(MAX_LENGTH),
    "aria-label": t("composer.reply"),
    placeholder: t("composer.placeholder"),
    dir: "auto",
  });
  // Registered before the composer's own keys, so Enter in the open list inserts, not sends.
  const picker = replies ? attachReplyPicker(textarea, { ...replies, onInsert: () => update() }) : null;
  const counter = h("span.composer-counter", { "aria-live": "off" });
  const defaultHint = () => (replies ? t("composer.hintReplies") : t("composer.hint"));
  const hint = h("span.composer-hint", defaultHint());
  // Which channel a reply goes by (a chat with calls still replies on its text channel).
  const via = h("span.composer-via", { hidden: true });
  const send = h("button.primary.composer-send", { type: "submit" }, t("composer.send"));
  // Attachments: uploaded as soon as chosen (the channel's limits answer at once),
  // sent with the next reply by id.
  const files = h("input.composer-file", { type: "file", multiple: true, hidden: true, tabindex: "-1",
    "aria-label": t("composer.filesToAttach") });
  const attach = onUpload ? h("button.composer-attach", { type: "button", "aria-label": t("composer.attach"),
    title: t("composer.attachTitle"), onclick: () => files.click() }, icon("clip")) : null;
  const chips = h("ul.composer-files", { "aria-label": t("composer.attachedFiles"), hidden: true });
  let attached = []; // [{id, filename, content_type, size}]
  let takesFiles = true; // the chat's channel carries files (its adapter has media_rules)
  let uploading = 0;
  const error = h("p.composer-error", { role: "alert", hidden: true });
  const form = h("form.composer", { "aria-label": t("composer.form") },
    picker?.element, chips, textarea,
    h("div.composer-bar", attach, files, via, hint, h("span.spacer"), counter, send), error);
  const reopen = h("button.button", { type: "button", onclick: () => onReopen?.() }, t("composer.reopen"));
  const archived = h("div.composer-closed", { hidden: true },
    icon("archive", "composer-closed-icon"),
    h("span.composer-closed-text", t("composer.archived")),
    reopen);
  const element = h("div.composer-wrap", form, archived);
  let sending = false;
  let mode = "open";

  function update() {
    const length = textarea.value.length;
    counter.textContent = t("composer.counter", { length: formatNumber(length, { useGrouping: false }),
      max: formatNumber(MAX_LENGTH, { useGrouping: false }) });
    counter.classList.toggle("near-limit", length > MAX_LENGTH - 100);
    send.disabled = sending || uploading > 0 || mode !== "open" || (!textarea.value.trim() && !attached.length);
    if (attach) {
      attach.disabled = mode !== "open";
      attach.hidden = !takesFiles;
    }
    textarea.style.height = "auto";
    textarea.style.height = `${Math.min(textarea.scrollHeight + 2, 200)}px`;
  }

  function showError(message) {
    error.textContent = message || "";
    error.hidden = !message;
  }

  function renderFiles() {
    chips.hidden = !attached.length;
    chips.replaceChildren(...attached.map((file) => h("li.composer-file-chip", { dataset: { attachmentId: file.id } },
      icon("clip"), h("span.file-name", { dir: "auto" }, file.filename), h("span.file-size", readableSize(file.size)),
      h("button.link.file-remove", { type: "button", "aria-label": t("composer.removeFile", { name: file.filename }),
        onclick: () => { attached = attached.filter((f) => f !== file); renderFiles(); update(); textarea.focus(); } }, "×"))));
  }

  async function addFiles(list) {
    for (const file of list) {
      uploading += 1;
      update();
      try {
        attached.push(await onUpload(file));
        renderFiles();
      } catch (exc) {
        showError(exc?.message || t("composer.attachFailed", { name: file.name }));
      } finally {
        uploading -= 1;
        update();
      }
    }
  }

  files.addEventListener("change", () => {
    const chosen = [...files.files];
    files.value = "";
    showError("");
    addFiles(chosen);
  });

  async function submit() {
    const body = textarea.value;
    if (sending || uploading || mode !== "open" || (!body.trim() && !attached.length)) return;
    // A send from the button loses the focus as the button goes disabled: it comes back to
    // the reply box afterwards. One from the keyboard keeps it, unless the agent leaves.
    const fromButton = document.activeElement === send;
    sending = true;
    showError("");
    update();
    try {
      await onSend(body, attached.map((f) => f.id));
      textarea.value = "";
      attached = [];
      renderFiles();
    } catch (exc) {
      showError(exc?.message || t("composer.sendFailed"));
    } finally {
      sending = false;
      update();
      if (fromButton && document.activeElement === document.body) textarea.focus();
    }
  }

  textarea.addEventListener("input", () => {
    showError("");
    update();
  });
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && !event.altKey && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      submit();
    }
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });

  function setState({ mode: next, hint: hintText, placeholder, channelLabel, files: filesTaken = false }) {
    const changedChat = next !== mode;
    mode = next;
    takesFiles = Boolean(filesTaken);
    form.hidden = mode === "archived";
    archived.hidden = mode !== "archived";
    textarea.disabled = mode !== "open";
    if (placeholder) textarea.placeholder = placeholder;
    hint.textContent = hintText || defaultHint();
    via.textContent = channelLabel ? t("composer.sendsBy", { channel: channelLabel }) : "";
    via.hidden = !channelLabel || mode !== "open";
    if (changedChat) showError("");
    update();
  }

  function reset() {
    textarea.value = "";
    attached = [];
    renderFiles();
    picker?.close();
    showError("");
    update();
  }

  /** Another language: every word again; the draft, its files and the caret stay. */
  function relabel() {
    textarea.setAttribute("aria-label", t("composer.reply"));
    if (mode === "open") textarea.placeholder = t("composer.placeholder"); // the chat's own comes with setState
    send.textContent = t("composer.send");
    files.setAttribute("aria-label", t("composer.filesToAttach"));
    attach?.setAttribute("aria-label", t("composer.attach"));
    attach?.setAttribute("title", t("composer.attachTitle"));
    chips.setAttribute("aria-label", t("composer.attachedFiles"));
    form.setAttribute("aria-label", t("composer.form"));
    reopen.textContent = t("composer.reopen");
    archived.querySelector(".composer-closed-text").textContent = t("composer.archived");
    hint.textContent = defaultHint();
    picker?.relabel?.();
    renderFiles();
    update();
  }

  update();
  return { element, setState, reset, relabel, focus: () => textarea.focus(), textarea };
}
