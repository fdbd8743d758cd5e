// The contact form (add and edit), shared by both tabs. Field errors of a 422 appear
// under their fields; a 409 (an address another contact has) shows who has it, with
// the caller's actions for that contact (open it, merge it).
import { h, replace, t } from "./kit.js";

const FIELDS = [
  { key: "name", label: () => t("field.name"), type: "text", autocomplete: "off" },
  { key: "email", label: () => t("kind.email"), type: "email", autocomplete: "off", placeholder: "name@example.com" },
  { key: "phone", label: () => t("kind.phone"), type: "tel", autocomplete: "off", placeholder: "+1 415 555 0123",
    help: () => t("field.phoneHelp") },
  { key: "whatsapp", label: () => "WhatsApp", type: "tel", autocomplete: "off", placeholder: "+1 415 555 0123",
    help: () => t("field.whatsappHelp") },
];

let groupsPromise = null;
function loadGroups(api) {
  if (!groupsPromise) groupsPromise = api("groups").catch((exc) => { groupsPromise = null; throw exc; });
  return groupsPromise;
}

/**
 * Render the form into `element`.
 *   contact   existing contact (edit) or null (add)
 *   onSaved(contact), onCancel()
 *   duplicateActions(existing) → [buttons] shown beside a "belongs to" refusal
 * Returns {setError(message)}.
 */
export function mountContactForm(element, ctx, { contact = null, onSaved, onCancel, duplicateActions = () => [] }) {
  const id = `ct-${Math.random().toString(36).slice(2, 8)}`;
  const inputs = {};
  const errors = {};
  const fields = {};
  for (const spec of FIELDS) {
    const input = h("input", { id: `${id}-${spec.key}`, name: spec.key, type: spec.type, autocomplete: spec.autocomplete,
      placeholder: spec.placeholder || null, value: contact?.[spec.key] || "" });
    inputs[spec.key] = input;
    errors[spec.key] = h("p.error", { role: "alert", hidden: true });
    fields[spec.key] = h("div.field", h("label", { for: input.id }, spec.label()), input,
      spec.help ? h("p.help", spec.help()) : null, errors[spec.key]);
  }
  const preferred = h("select", { id: `${id}-preferred_channel`, name: "preferred_channel" },
    h("option", { value: "" }, t("field.chatsOwnChannel")),
    h("option", { value: "sms" }, "SMS"),
    h("option", { value: "whatsapp" }, "WhatsApp"));
  preferred.value = contact?.preferred_channel || "";
  inputs.preferred_channel = preferred;
  errors.preferred_channel = h("p.error", { role: "alert", hidden: true });
  fields.preferred_channel = h("div.field", h("label", { for: preferred.id }, t("field.preferred")), preferred,
    h("p.help", t("field.preferredHelp")), errors.preferred_channel);

  const group = h("select", { id: `${id}-group_id`, name: "group_id" }, h("option", { value: "" }, t("field.noOverride")));
  inputs.group_id = group;
  errors.group_id = h("p.error", { role: "alert", hidden: true });
  fields.group_id = h("div.field", h("label", { for: group.id }, t("field.groupOverride")), group,
    h("p.help", t("field.groupHelp")), errors.group_id);
  loadGroups(ctx.api).then((groups) => {
    for (const g of groups) group.append(h("option", { value: String(g.id) }, g.name));
    group.value = contact?.group_id ? String(contact.group_id) : "";
  }).catch(() => {
    if (contact?.group_id) group.append(h("option", { value: String(contact.group_id) }, contact.group_name || t("field.groupNumbered", { id: contact.group_id })));
    group.value = contact?.group_id ? String(contact.group_id) : "";
  });

  const note = contact ? null : h("textarea", { id: `${id}-note`, name: "note", rows: 2, placeholder: t("field.firstNote"), dir: "auto" });
  errors.note = h("p.error", { role: "alert", hidden: true });
  const formError = h("div.error", { role: "alert", hidden: true });
  const save = h("button.primary", { type: "submit" }, contact ? t("form.save") : t("form.add"));
  const cancel = h("button.button", { type: "button", onclick: () => onCancel?.() }, t("dialog.cancel"));
  const form = h("form.tab-form.ct-form-grid", { novalidate: true, "aria-label": contact ? t("form.editTitle") : t("form.addLabel") },
    h("strong", contact ? t("form.editTitle") : t("form.newTitle")),
    FIELDS.map((f) => fields[f.key]), fields.preferred_channel, fields.group_id,
    note ? h("div.field", h("label", { for: note.id }, t("field.note")), note, errors.note) : null,
    formError, h("div.form-actions", cancel, save));
  replace(element, form);
  inputs.name.focus();

  function showErrors(map = {}) {
    for (const key of Object.keys(errors)) {
      const messages = map[key];
      errors[key].textContent = messages ? [].concat(messages).join(" ") : "";
      errors[key].hidden = !messages;
      fields[key]?.classList.toggle("has-error", Boolean(messages));
    }
  }

  function setError(message, extra = []) {
    replace(formError, h("div.ct-dup", h("span", message), extra));
    formError.hidden = !message;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showErrors();
    setError("");
    const json = {};
    for (const key of ["name", "email", "phone", "whatsapp", "preferred_channel"]) json[key] = inputs[key].value.trim();
    json.group_id = group.value ? Number(group.value) : null;
    if (note && note.value.trim()) json.note = note.value.trim();
    save.disabled = true;
    try {
      const saved = contact
        ? await ctx.api(`contacts/${contact.id}`, { method: "PATCH", json })
        : await ctx.api("contacts", { method: "POST", json });
      onSaved?.(saved);
    } catch (exc) {
      showErrors(exc.errors || {});
      const existing = exc.status === 409 ? exc.body?.errors?.existing : null;
      const field = Object.keys(exc.errors || {})[0];
      if (existing) setError(exc.message, duplicateActions(existing));
      else if (!field || !errors[field]) setError(exc.message);
      (field && inputs[field] ? inputs[field] : save).focus?.();
    } finally {
      save.disabled = false;
    }
  });
  return { setError };
}
