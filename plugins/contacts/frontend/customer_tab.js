// Customer tab: the profile of the open chat's contact — name, email, numbers, preferred
// channel, group override, opt-out state per channel, notes — with Edit and Call.
// Edits by other agents arrive live: the host pushes `contact:updated` (from the
// plugin's contact_changed event) to the chat's room.
import { mountContactForm } from "./lib/contact_form.js";
import { confirmDialog, notesSection, renderContact } from "./lib/contact_view.js";
import { h, hue, initials, replace, t, useHost } from "./lib/kit.js";
import { chatChannel, displayName } from "./lib/format.js";

export function mount(element, ctx) {
  useHost(ctx);
  const state = { contact: null, editing: false, loading: true, notes: null, notice: "" };

  function render() {
    const chat = ctx.chat;
    if (!chat) {
      replace(element, h("div.tab-empty", h("strong", t("customer.none")), h("p", t("customer.noneText"))));
      return;
    }
    if (state.loading) {
      replace(element, h("p.tab-loading", t("customer.loading")));
      return;
    }
    if (!state.contact) {
      renderAnonymous(chat);
      return;
    }
    if (state.editing) return;
    if (!state.notes || state.notes.contactId !== state.contact.id) {
      state.notes = { contactId: state.contact.id, ...notesSection(ctx, state.contact.id) };
    }
    const edit = h("button.button.small", { type: "button", onclick: startEdit }, ctx.icon("edit"), " ", t("customer.edit"));
    renderContact(element, ctx, state.contact, { actions: [edit], notice: state.notice, notes: state.notes.section });
  }

  function renderAnonymous(chat) {
    const create = h("button.primary.small", { type: "button" }, t("customer.create"));
    const error = h("p.error", { role: "alert", hidden: true });
    create.addEventListener("click", async () => {
      create.disabled = true;
      try {
        const result = await ctx.api(`contacts/for-chat/${chat.id}`, { method: "POST" });
        state.contact = result.contact;
        render();
      } catch (exc) {
        error.textContent = exc.message;
        error.hidden = false;
        create.disabled = false;
      }
    });
    const name = chat.customer_name || "";
    replace(element, h("div.customer-card.ct-card",
      h("div.ct-head",
        h("span.avatar.avatar-lg", { dataset: { hue: hue(chat.id) }, "aria-hidden": "true" }, initials(name)),
        h("div", h("h3.customer-name", { dir: "auto" }, name || chat.customer_address), name ? h("p.muted", chat.customer_address) : null)),
      h("dl.kv", h("dt", t("customer.channel")), h("dd", chatChannel(chat.channel, ctx)), h("dt", t("customer.address")),
        h("dd", chat.customer_address)),
      h("p.ct-muted", t("customer.noProfile")),
      h("div.ct-actions", create), error));
  }

  function startEdit() {
    state.editing = true;
    state.notice = "";
    const form = mountContactForm(element, ctx, {
      contact: state.contact,
      onSaved: (saved) => {
        state.contact = saved;
        state.editing = false;
        render();
      },
      onCancel: () => {
        state.editing = false;
        render();
      },
      duplicateActions: (existing) => ctx.agent?.role !== "admin" ? [] : [h("button.button.small", {
        type: "button",
        onclick: async () => {
          const ok = await confirmDialog({
            title: t("merge.askTitle", { name: existing.name || t("contact.numbered", { id: existing.id }) }),
            text: t("merge.askText", { name: displayName(state.contact) }),
            confirm: t("merge.confirm"),
          });
          if (!ok) return;
          try {
            state.contact = await ctx.api(`contacts/${state.contact.id}/merge`, { method: "POST", json: { other_id: existing.id } });
            state.editing = false;
            state.notice = t("merge.done", { name: existing.name || t("contact.numbered", { id: existing.id }) });
            render();
          } catch (exc) {
            form.setError(exc.message);
          }
        },
      }, t("merge.them"))],
    });
  }

  async function load() {
    const chat = ctx.chat;
    if (!chat) {
      state.loading = false;
      render();
      return;
    }
    try {
      const result = await ctx.api(`contacts/for-chat/${chat.id}`);
      state.contact = result.contact;
    } catch (exc) {
      replace(element, h("div.tab-error", { role: "alert" }, h("strong", t("customer.loadFailed")), h("p", exc.message)));
      return;
    } finally {
      state.loading = false;
    }
    render();
  }

  ctx.on("contact:updated", ({ contact, deleted } = {}) => {
    if (!contact || !ctx.chat) return;
    if (!state.contact) {
      // A profile may have been created or merged for this chat: ask again.
      if (!state.loading) load();
      return;
    }
    if (contact.id !== state.contact.id) return;
    if (deleted) {
      state.notice = "";
      load();
      return;
    }
    state.contact = contact;
    if (state.editing) return; // the agent's open form keeps their typing
    state.notes?.reload();
    render();
  });
  ctx.on("chat:updated", ({ chat } = {}) => {
    if (chat && ctx.chat && chat.id === ctx.chat.id && !state.contact) {
      Object.assign(ctx.chat, chat);
      render();
    }
  });

  render();
  load();
  return () => {};
}

