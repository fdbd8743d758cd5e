// Contacts tab: browse (paginated, sorted) and search-as-you-type over every contact;
// add, edit, delete, merge, call; open a contact's chats; CSV import and export.
import { mountContactForm } from "./lib/contact_form.js";
import { callButton, confirmDialog, notesSection, renderContact } from "./lib/contact_view.js";
import { mountImport } from "./lib/csv_import_view.js";
import { h, hue, initials, replace, t, useHost } from "./lib/kit.js";
import { chatChannel, debounce, displayName, formatDate, subtitle } from "./lib/format.js";

const PER_PAGE = 25;
const STATUS = { queued: () => t("status.queued"), active: () => t("status.active"), archived: () => t("status.archived") };

export function mount(element, ctx) {
  useHost(ctx);
  const state = { q: "", sort: "name", page: 1, items: [], hasNext: false, failed: "", view: "list", detail: null, request: 0 };
  // Merge, import and export move or read customers of every group: admins only.
  const isAdmin = ctx.agent?.role === "admin";

  // --- list view ------------------------------------------------------------------------
  const search = h("input.tab-search", { type: "search", placeholder: t("list.search"), "aria-label": t("list.searchLabel"), dir: "auto" });
  const sort = h("select", { "aria-label": t("list.sort"), title: t("list.sortTitle") },
    h("option", { value: "name" }, t("list.sortName")), h("option", { value: "recent" }, t("list.sortRecent")));
  const add = h("button.primary.small", { type: "button", onclick: () => showForm(null) }, t("list.add"));
  const importButton = h("button.button.small", { type: "button", onclick: () => showImport() }, t("list.import"));
  const exportLink = h("a.button.small", { href: "/api/v1/contacts/export.csv", download: "contacts.csv" }, t("list.export"));
  const list = h("ul.item-list.ct-list", { "aria-label": t("tab.contacts"), "aria-live": "polite" });
  const pager = h("div.ct-pager");
  const listView = h("div.ct-card",
    h("div.ct-toolbar", search, sort),
    h("div.ct-actions", add, ...(isAdmin ? [importButton, exportLink] : [])),
    list, pager);

  const runSearch = debounce(() => {
    state.page = 1;
    load();
  }, 250);
  search.addEventListener("input", () => {
    state.q = search.value.trim();
    runSearch();
  });
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      runSearch.cancel();
      state.page = 1;
      load();
    }
  });
  sort.addEventListener("change", () => {
    state.sort = sort.value;
    state.page = 1;
    load();
  });

  async function load() {
    const request = ++state.request;
    const params = new URLSearchParams({ q: state.q, sort: state.sort, page: String(state.page), per_page: String(PER_PAGE) });
    try {
      const page = await ctx.api(`contacts?${params}`);
      if (request !== state.request) return; // a newer search is under way
      state.items = page.items;
      state.hasNext = page.has_next;
      state.failed = "";
    } catch (exc) {
      if (request !== state.request) return;
      state.failed = t("list.loadFailed", { problem: exc.message });
    }
    renderList();
  }

  function renderList() {
    if (state.failed) {
      replace(list, h("li.tab-error", state.failed));
      replace(pager);
      return;
    }
    if (!state.items.length) {
      replace(list, h("li.tab-empty",
        h("strong", state.q ? t("list.noMatch") : t("list.none")),
        h("p", state.q ? t("list.noMatchText", { query: state.q }) : t("list.noneText"))));
    } else {
      replace(list, state.items.map(rowFor));
    }
    const prev = h("button.button.small", { type: "button", disabled: state.page <= 1, onclick: () => { state.page -= 1; load(); } }, t("list.previous"));
    const next = h("button.button.small", { type: "button", disabled: !state.hasNext, onclick: () => { state.page += 1; load(); } }, t("list.next"));
    replace(pager, prev, h("span", state.items.length ? t("list.page", { page: state.page }) : ""), next);
    pager.hidden = state.page === 1 && !state.hasNext;
  }

  function rowFor(contact) {
    const name = displayName(contact);
    const open = h("button.button.small", { type: "button", "aria-label": t("list.openChatWith", { name }),
      onclick: () => openLatestChat(contact, open) }, t("list.open"));
    return h("li.item", { dataset: { contactId: String(contact.id) } },
      h("button.ct-row-main", { type: "button", "aria-label": t("list.show", { name }), onclick: () => showDetail(contact) },
        h("span.avatar", { dataset: { hue: hue(contact.id) }, "aria-hidden": "true" }, initials(contact.name)),
        h("span.item-main", h("strong.item-title", { dir: "auto" }, name), h("span.item-sub", subtitle(contact, ctx.channels)))),
      h("span.ct-row-actions", callButton(ctx, contact), open));
  }

  async function openLatestChat(contact, button) {
    button.disabled = true;
    try {
      const chats = await ctx.api(`contacts/${contact.id}/chats`);
      if (chats.length) ctx.openChat(chats[0].id);
      else showDetail(contact, t("detail.noChatsFor", { name: displayName(contact) }));
    } catch (exc) {
      showDetail(contact, exc.message);
    } finally {
      button.disabled = false;
    }
  }

  function showList({ reload = false } = {}) {
    state.view = "list";
    state.detail = null;
    replace(element, listView);
    if (reload) load();
    else renderList();
  }

  // --- detail view -----------------------------------------------------------------------
  function showDetail(contact, notice = "") {
    state.view = "detail";
    state.detail = { contact, notice, notes: notesSection(ctx, contact.id), chats: h("ul.ct-chats", h("li.tab-loading", t("detail.loadingChats"))) };
    renderDetail();
    loadChats();
  }

  async function loadChats() {
    const detail = state.detail;
    try {
      const chats = await ctx.api(`contacts/${detail.contact.id}/chats`);
      if (state.detail !== detail) return;
      replace(detail.chats, chats.length ? chats.map((chat) => h("li.item",
        h("span.item-main",
          h("strong.item-title", `${chatChannel(chat.channel, ctx)} · ${STATUS[chat.status]?.() || chat.status}`),
          h("span.item-sub", [chat.customer_address, formatDate(chat.last_message_at || chat.created_at)].filter(Boolean).join(" · "))),
        h("button.button.small", { type: "button", disabled: chat.id === ctx.chat?.id, onclick: () => ctx.openChat(chat.id) },
          chat.id === ctx.chat?.id ? t("detail.showing") : t("detail.viewChat"))))
        : h("li.ct-muted", t("detail.noChats")));
    } catch (exc) {
      replace(detail.chats, h("li.error", exc.message));
    }
  }

  function renderDetail() {
    const detail = state.detail;
    const back = h("button.button.small.ct-back", { type: "button", onclick: () => showList() }, t("detail.allContacts"));
    const body = h("div");
    const actions = [
      h("button.button.small", { type: "button", onclick: () => showForm(detail.contact) }, ctx.icon("edit"), " ", t("customer.edit")),
      isAdmin ? h("button.button.small", { type: "button", onclick: () => showMerge(detail.contact) }, t("detail.merge")) : null,
      h("button.button.small", { type: "button", onclick: () => remove(detail.contact) }, t("detail.delete")),
    ];
    const chatsSection = h("section.ct-section", h("h4", t("detail.chats")), detail.chats);
    renderContact(body, ctx, detail.contact, { actions, notice: detail.notice, notes: h("div.ct-card", chatsSection, detail.notes.section) });
    replace(element, h("div.ct-card", back, body));
  }

  async function remove(contact) {
    const ok = await confirmDialog({
      title: t("detail.deleteAsk", { name: displayName(contact) }),
      text: t("detail.deleteText"),
      confirm: t("detail.delete"), danger: true,
    });
    if (!ok) return;
    try {
      await ctx.api(`contacts/${contact.id}`, { method: "DELETE" });
      showList({ reload: true });
    } catch (exc) {
      state.detail.notice = exc.message;
      renderDetail();
    }
  }

  // --- add / edit --------------------------------------------------------------------------
  function showForm(contact) {
    state.view = "form";
    const holder = h("div");
    const back = h("button.button.small.ct-back", { type: "button", onclick: () => (contact ? showDetail(contact) : showList()) },
      contact ? t("detail.back") : t("detail.allContacts"));
    replace(element, h("div.ct-card", back, holder));
    mountContactForm(holder, ctx, {
      contact,
      onSaved: (saved) => showDetail(saved, contact ? t("detail.saved") : t("detail.added")),
      onCancel: () => (contact ? showDetail(contact) : showList()),
      duplicateActions: (existing) => [h("button.button.small", {
        type: "button",
        onclick: async () => showDetail(await ctx.api(`contacts/${existing.id}`)),
      }, t("list.show", { name: existing.name || t("contact.numbered", { id: existing.id }) }))],
    });
  }

  // --- merge ---------------------------------------------------------------------------------
  function showMerge(survivor) {
    state.view = "merge";
    let chosen = null;
    const query = h("input.tab-search", { type: "search", placeholder: t("merge.find"), "aria-label": t("merge.findLabel"), dir: "auto" });
    const results = h("ul.ct-merge-results");
    const error = h("p.error", { role: "alert", hidden: true });
    const merge = h("button.primary.small", { type: "button", disabled: true }, t("merge.confirm"));
    const cancel = h("button.button.small", { type: "button", onclick: () => showDetail(survivor) }, t("dialog.cancel"));
    const find = debounce(async () => {
      const q = query.value.trim();
      if (!q) {
        replace(results);
        return;
      }
      try {
        const page = await ctx.api(`contacts?${new URLSearchParams({ q, per_page: "10" })}`);
        replace(results, page.items.filter((c) => c.id !== survivor.id).map((c) => {
          const pick = h("button.button.small", { type: "button", "aria-pressed": String(chosen?.id === c.id) },
            `${displayName(c)}${subtitle(c, ctx.channels) ? ` — ${subtitle(c, ctx.channels)}` : ""}`);
          pick.addEventListener("click", () => {
            chosen = c;
            results.querySelectorAll("button").forEach((b) => b.setAttribute("aria-pressed", String(b === pick)));
            merge.disabled = false;
          });
          return h("li", pick);
        }));
        if (!results.children.length) replace(results, h("li.ct-muted", t("merge.noMatch")));
      } catch (exc) {
        replace(results, h("li.error", exc.message));
      }
    }, 250);
    query.addEventListener("input", find);
    merge.addEventListener("click", async () => {
      if (!chosen) return;
      const ok = await confirmDialog({
        title: t("merge.intoAsk", { name: displayName(chosen), into: displayName(survivor) }),
        text: t("merge.intoText", { name: displayName(chosen), into: displayName(survivor) }),
        confirm: t("merge.confirm"),
      });
      if (!ok) return;
      try {
        const merged = await ctx.api(`contacts/${survivor.id}/merge`, { method: "POST", json: { other_id: chosen.id } });
        showDetail(merged, t("merge.done", { name: displayName(chosen) }));
      } catch (exc) {
        error.textContent = exc.message;
        error.hidden = false;
      }
    });
    replace(element, h("div.tab-form.ct-form-grid",
      h("strong", t("merge.title", { name: displayName(survivor) })),
      h("p.ct-muted", t("merge.intro")),
      query, results, error, h("div.form-actions", cancel, merge)));
    query.focus();
  }

  // --- import -----------------------------------------------------------------------------------
  function showImport() {
    state.view = "import";
    mountImport(element, ctx, { onBack: () => showList({ reload: true }) });
  }

  // --- live updates -----------------------------------------------------------------------------
  const reloadSoon = debounce(() => { if (state.view === "list") load(); }, 400);
  ctx.on("contact:updated", ({ contact, deleted } = {}) => {
    if (!contact) return;
    const index = state.items.findIndex((c) => c.id === contact.id);
    if (index >= 0) {
      if (deleted) state.items.splice(index, 1);
      else state.items[index] = contact;
      if (state.view === "list") renderList();
    } else if (!deleted && !state.q) {
      reloadSoon();
    }
    if (state.view === "detail" && state.detail?.contact.id === contact.id) {
      if (deleted) {
        showList({ reload: true });
      } else {
        state.detail.contact = contact;
        state.detail.notes.reload();
        renderDetail();
      }
    }
  });
  ctx.on("chat:created", () => { if (!state.q) reloadSoon(); }); // a new customer's contact

  replace(list, h("li.tab-loading", t("list.loading")));
  showList();
  load();
  return () => reloadSoon.cancel();
}
