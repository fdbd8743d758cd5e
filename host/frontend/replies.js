// The Canned replies page: list the agent's personal and their groups' shared replies,
// add, edit and delete them through /api/v1/canned-replies.
import { createApi } from "./lib/api.js";
import { readBootstrap } from "./lib/bootstrap.js";
import { fillReply } from "./lib/canned_replies.js";
import { h, replace } from "./lib/dom.js";
import { toast } from "./lib/toast.js";
import { startLocale, t } from "./lib/i18n.js";

const VARIABLES = () => [
  ["customer.first_name", t("replies.varCustomerFirst")],
  ["customer.name", t("replies.varCustomer")],
  ["agent.first_name", t("replies.varAgentFirst")],
  ["agent.name", t("replies.varAgent")],
];
const SAMPLE_CHAT = { customer_name: "Maria Garcia" };

function insertAtCaret(textarea, text) {
  const start = textarea.selectionStart ?? textarea.value.length;
  const end = textarea.selectionEnd ?? start;
  textarea.value = textarea.value.slice(0, start) + text + textarea.value.slice(end);
  textarea.setSelectionRange(start + text.length, start + text.length);
  textarea.focus();
  textarea.dispatchEvent(new Event("input"));
}

export function startRepliesPage(root, boot) {
  const api = createApi(boot.csrfToken);
  const me = boot.agent || {};
  const groups = boot.groups || [];
  let replies = [];
  const listArea = h("div.reply-groups", { "aria-live": "polite" }, h("p.muted", t("replies.loading")));

  /** The fields of a reply form; `reply` fills them for editing. */
  function fields(reply, idPrefix) {
    const shortcut = h("input", { id: `${idPrefix}-shortcut`, name: "shortcut", required: true, maxlength: "40",
      autocomplete: "off", spellcheck: "false", placeholder: t("replies.shortcutExample"), value: reply?.shortcut || "" });
    const title = h("input", { id: `${idPrefix}-title`, name: "title", maxlength: "120", placeholder: t("replies.titleExample"),
      value: reply?.title || "" });
    const body = h("textarea", { id: `${idPrefix}-body`, name: "body", rows: "4", required: true, maxlength: "1600",
      placeholder: t("replies.bodyExample"), dir: "auto" });
    body.value = reply?.body || "";
    const preview = h("p.reply-preview", { "aria-live": "polite" });
    const showPreview = () => {
      preview.textContent = body.value.trim()
        ? t("replies.preview", { text: fillReply(body.value, { chat: SAMPLE_CHAT, agent: me }) }) : "";
    };
    body.addEventListener("input", showPreview);
    showPreview();
    const chips = h("div.variable-chips", { role: "group", "aria-label": t("replies.insertVariable") },
      h("span.help", t("replies.insert")),
      VARIABLES().map(([name, label]) => h("button.small", { type: "button", title: t("replies.adds", { variable: `{{${name}}}` }),
        onclick: () => insertAtCaret(body, `{{${name}}}`) }, label)));
    const error = h("p.form-error", { role: "alert", hidden: true });
    const els = { shortcut, title, body, error };
    const grid = h("div.reply-fields",
      h("label", { for: shortcut.id }, t("replies.shortcut"), h("span.shortcut-input", h("span.shortcut-slash", { "aria-hidden": "true" }, "/"), shortcut)),
      h("label", { for: title.id }, h("span", t("replies.title"), " ", h("span.muted", t("replies.optional"))), title),
      h("label.reply-body-label", { for: body.id }, t("replies.text"), body),
      chips, preview, error);
    return { grid, els };
  }

  function clearErrors(els) {
    for (const name of ["shortcut", "title", "body"]) els[name].removeAttribute("aria-invalid");
    els.error.hidden = true;
  }

  function showErrors(els, exc) {
    const fieldErrors = exc.errors || {};
    for (const name of ["shortcut", "title", "body"]) {
      els[name].toggleAttribute("aria-invalid", Boolean(fieldErrors[name]));
    }
    els.error.textContent = exc.message;
    els.error.hidden = false;
    const first = ["shortcut", "body", "title"].find((n) => fieldErrors[n]);
    if (first) els[first].focus();
  }

  // --- new reply ---------------------------------------------------------------------
  const scope = h("select", { id: "new-scope", name: "scope" },
    h("option", { value: "" }, t("replies.onlyMe")),
    groups.map((g) => h("option", { value: String(g.id) }, t("replies.everyoneIn", { group: g.name }))));
  const created = fields(null, "new");
  const createForm = h("form.card.reply-form", { "aria-labelledby": "new-reply-title" },
    h("h2#new-reply-title", t("replies.new")),
    created.grid,
    h("label", { for: scope.id }, t("replies.who"), scope),
    h("div.form-actions", h("button.primary", { type: "submit" }, t("replies.save"))));
  createForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { els } = created;
    clearErrors(els);
    try {
      const reply = await api("canned-replies", { method: "POST", json: {
        shortcut: els.shortcut.value, title: els.title.value, body: els.body.value,
        group_id: scope.value ? Number(scope.value) : null } });
      toast(t("replies.saved", { shortcut: reply.shortcut }), "ok");
      createForm.reset();
      clearErrors(els);
      els.body.dispatchEvent(new Event("input"));
      await load();
    } catch (exc) {
      showErrors(els, exc);
    }
  });

  // --- the list ----------------------------------------------------------------------
  function card(reply) {
    const item = h("li.reply-card", { dataset: { replyId: reply.id, shortcut: reply.shortcut } });
    const showView = () => replace(item,
      h("div.reply-card-main",
        h("div.reply-card-head", h("strong.reply-shortcut", `/${reply.shortcut}`), reply.title ? h("span", { dir: "auto" }, reply.title) : null),
        h("p.reply-card-body", { dir: "auto" }, reply.body)),
      h("div.reply-card-actions",
        h("button.small", { type: "button", "aria-label": t("replies.editNamed", { shortcut: reply.shortcut }), onclick: showEdit },
          t("replies.edit")),
        h("button.small.danger", { type: "button", "aria-label": t("replies.deleteNamed", { shortcut: reply.shortcut }), onclick: askDelete },
          t("replies.delete"))));
    function showEdit() {
      const edit = fields(reply, `edit-${reply.id}`);
      const form = h("form.reply-edit", { "aria-label": t("replies.editNamed", { shortcut: reply.shortcut }) }, edit.grid,
        h("div.form-actions", h("button.primary.small", { type: "submit" }, t("replies.saveShort")),
          h("button.small", { type: "button", onclick: showView }, t("transfer.cancel"))));
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        try {
          await api(`canned-replies/${reply.id}`, { method: "PATCH", json: {
            shortcut: edit.els.shortcut.value, title: edit.els.title.value, body: edit.els.body.value } });
          toast(t("replies.savedShort"), "ok");
          await load();
        } catch (exc) {
          showErrors(edit.els, exc);
        }
      });
      replace(item, form);
      edit.els.body.focus();
    }
    function askDelete() {
      const question = reply.group_name ? t("replies.deleteShared", { shortcut: reply.shortcut, group: reply.group_name })
        : t("replies.deleteAsk", { shortcut: reply.shortcut });
      replace(item, h("div.reply-card-main", h("p", question)),
        h("div.reply-card-actions",
          h("button.small.danger.primary-danger", { type: "button", onclick: async () => {
            try {
              await api(`canned-replies/${reply.id}`, { method: "DELETE" });
              toast(t("replies.deleted", { shortcut: reply.shortcut }), "ok");
              await load();
            } catch (exc) {
              toast(exc.message, "error");
            }
          } }, t("replies.delete")),
          h("button.small", { type: "button", onclick: showView }, t("replies.keep"))));
    }
    showView();
    return item;
  }

  function render() {
    const sections = [[t("replies.personal"), t("replies.personalNote"), replies.filter((r) => r.group_id == null)]];
    const groupIds = [...new Set(replies.filter((r) => r.group_id != null).map((r) => r.group_id))];
    for (const g of groups) if (!groupIds.includes(g.id)) groupIds.push(g.id);
    for (const id of groupIds) {
      const rows = replies.filter((r) => r.group_id === id);
      const name = rows[0]?.group_name || groups.find((g) => g.id === id)?.name || t("replies.aGroup");
      sections.push([t("replies.sharedWith", { group: name }), t("replies.sharedNote", { group: name }), rows]);
    }
    replace(listArea, sections.map(([title, note, rows]) => h("section.reply-section",
      h("h2", title), h("p.muted", note),
      rows.length ? h("ul.reply-list", rows.map(card)) : h("p.empty", t("replies.none")))));
  }

  async function load() {
    try {
      replies = await api("canned-replies");
      render();
    } catch (exc) {
      replace(listArea, h("p.form-error", exc.message));
    }
  }

  root.append(h("div.replies-layout", createForm, listArea));
  load();
  return { reload: load };
}

const mountPoint = document.getElementById("replies");
if (mountPoint) {
  const boot = readBootstrap();
  startLocale(boot);
  window.switchboardReplies = startRepliesPage(mountPoint, boot);
}
