// A contact's profile card (Customer tab and the Contacts tab's detail view): fields,
// addresses with their opt-out state, notes, and the Call / Edit actions.
import { adminConsentSection, isAdmin } from "./consent_admin.js";
import { h, hue, initials, replace, t } from "./kit.js";
import { callAddress, chatChannel, consentLabel, displayName, formatDate, kindLabel, showAddress } from "./format.js";

/** True when a voice channel is enabled (the Call button's wiring lives in the voice work). */
export function canCall(ctx) {
  return (ctx.channels || []).some((c) => c.key === "voice");
}

export function callButton(ctx, contact, { small = true } = {}) {
  const address = callAddress(contact);
  if (!canCall(ctx) || !address) return null;
  return h(`button.button${small ? ".small" : ""}`, {
    type: "button",
    "aria-label": t("view.callNamed", { name: displayName(contact) }),
    onclick: () => window.dispatchEvent(new CustomEvent("switchboard:call", { detail: { contact_id: contact.id, address } })),
  }, ctx.icon ? ctx.icon("phone") : null, " ", t("view.call"));
}

function row(label, value) {
  return value ? [h("dt", label), h("dd", value)] : [];
}

/**
 * Render `contact` into `element`.
 *   actions: extra buttons for the header row (Edit, Delete, Merge…)
 *   notice: an optional line above the card (e.g. "Updated by another agent")
 */
export function renderContact(element, ctx, contact, { actions = [], notice = "", notes = null } = {}) {
  const name = displayName(contact);
  const fromChannel = contact.name && contact.name_source === "channel";
  const firstPhone = contact.phone;
  const firstWhatsapp = contact.whatsapp;
  const others = (contact.identities || []).filter((i) => !(
    (i.kind === "phone" && i.address === firstPhone) || (i.kind === "whatsapp" && showAddress(i) === firstWhatsapp)));
  const details = h("dl.kv",
    row(t("kind.email"), contact.email),
    row(t("kind.phone"), firstPhone),
    row("WhatsApp", firstWhatsapp),
    others.map((i) => row(kindLabel(i.kind, ctx.channels), showAddress(i))),
    row(t("field.preferred"), contact.preferred_channel ? chatChannel(contact.preferred_channel, ctx) : t("field.chatsOwnChannel")),
    row(t("field.groupOverride"), contact.group_name || t("field.none")));

  // Consent is recorded per messaging identity; email and LiveChat ids only when opted out.
  const consent = (contact.identities || []).filter((i) => i.opted_out || !["email", "livechat"].includes(i.kind));
  const consentList = h("ul.ct-consent", consent.map((i) => h("li", { dataset: { kind: i.kind, optedOut: String(i.opted_out) } },
    h("span.ct-addr", `${consentLabel(i.kind, ctx.channels)} · ${showAddress(i)}`),
    i.opted_out
      ? h("span.badge.ct-out", { title: i.opted_out_at ? t("consent.since", { when: formatDate(i.opted_out_at) }) : null }, t("consent.optedOut"))
      : h("span.badge.ok", t("consent.subscribed")))));

  const card = h("div.customer-card.ct-card", { dataset: { contactId: String(contact.id) } },
    h("div.ct-head",
      h("span.avatar.avatar-lg", { dataset: { hue: hue(contact.id) }, "aria-hidden": "true" }, initials(contact.name)),
      h("div",
        h("h3.customer-name", { dir: "auto" }, name),
        fromChannel ? h("p.muted", t("view.nameFromChannel")) : null,
        !contact.name ? h("p.muted", t("view.noName")) : null)),
    (actions.length || canCall(ctx)) ? h("div.ct-actions", callButton(ctx, contact), actions) : null,
    details,
    isAdmin(ctx) ? adminConsentSection(ctx, contact)
      : consent.length ? h("section.ct-section", h("h4", t("consent.title")), consentList) : null,
    notes);
  replace(element, notice ? h("p.ct-notice", { role: "status" }, notice) : null, card);
  return card;
}

/** Notes: a list (newest first) and a form to add one. Returns the section and reload(). */
export function notesSection(ctx, contactId) {
  const list = h("ul.ct-notes", h("li.tab-loading", t("notes.loading")));
  const body = h("textarea", { name: "note", rows: 2, placeholder: t("notes.placeholder"), "aria-label": t("notes.new"), dir: "auto" });
  const error = h("p.error", { role: "alert", hidden: true });
  const add = h("button.small.primary", { type: "submit" }, t("notes.add"));
  const form = h("form.ct-note-form", body, error, h("div.form-actions", add));
  const section = h("section.ct-section.ct-notes-section", h("h4", t("notes.title")), list, form);

  async function reload() {
    try {
      const notes = await ctx.api(`contacts/${contactId}/notes`);
      replace(list, notes.length ? notes.map((n) => h("li.ct-note",
        h("p", { dir: "auto" }, n.body),
        h("small", t("notes.byline", { name: n.author_name || t("notes.someone"), when: formatDate(n.created_at) })))) : h("li.ct-muted", t("notes.none")));
    } catch (exc) {
      replace(list, h("li.error", t("notes.loadFailed", { problem: exc.message })));
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = body.value.trim();
    if (!text) {
      error.textContent = t("notes.empty");
      error.hidden = false;
      return;
    }
    add.disabled = true;
    error.hidden = true;
    try {
      await ctx.api(`contacts/${contactId}/notes`, { method: "POST", json: { body: text } });
      body.value = "";
      await reload();
    } catch (exc) {
      error.textContent = exc.message;
      error.hidden = false;
    } finally {
      add.disabled = false;
    }
  });
  reload();
  return { section, reload };
}

/** A modal confirmation; resolves true when confirmed. */
export function confirmDialog({ title, text, confirm = t("dialog.confirm"), danger = false }) {
  return new Promise((resolve) => {
    let answer = false;
    const yes = h(`button.${danger ? "primary.ct-danger" : "primary"}`, { type: "submit" }, confirm);
    const no = h("button.button", { type: "button" }, t("dialog.cancel"));
    const form = h("form.transfer-form", { method: "dialog" }, h("h2", title), h("p.muted", text), h("div.dialog-actions", no, yes));
    const dialog = h("dialog.modal.ct-confirm", { "aria-label": title }, form);
    document.body.append(dialog);
    no.addEventListener("click", () => dialog.close());
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      answer = true;
      dialog.close();
    });
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(answer);
    });
    dialog.showModal();
    yes.focus();
  });
}
