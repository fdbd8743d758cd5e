// Consent for admins: each channel's state with its history (the customer's keyword
// messages, sends refused because they opted out, admins' clearings) and "Clear
// opt-out", which needs a reason that stays in the history. Agents see the states only
// (contact_view.js); the API refuses them the history and the clearing.
// Data: GET /api/v1/contacts/<id>/consent, POST …/consent/<identity id>/clear {reason}.
import { h, replace, t } from "./kit.js";
import { consentLabel, formatDate, showAddress } from "./format.js";

export function isAdmin(ctx) {
  return ctx.agent?.role === "admin";
}

// What the admin opened, kept across re-renders (another agent's edit re-renders the card).
const view = { open: new Set(), clearing: null, draft: "" };



function badge(entry) {
  return entry.opted_out
    ? h("span.badge.ct-out", { title: entry.opted_out_at ? t("consent.since", { when: formatDate(entry.opted_out_at) }) : null },
      t("consent.optedOut"))
    : h("span.badge.ok", t("consent.subscribed"));
}

function historyList(entry) {
  if (!entry.history.length) return h("p.ct-muted", t("consent.noChanges"));
  return h("ol.ct-history", entry.history.map((change) => h("li", { dataset: { source: change.source } },
    h("span", change.sentence),
    h("small", formatDate(change.created_at)))));
}

function clearForm(ctx, contactId, entry, onDone, onCancel) {
  const reason = h("textarea", { name: "reason", rows: 2, maxlength: 500, "aria-required": "true",
    placeholder: t("consent.reasonPlaceholder"), "aria-label": t("consent.reason"), dir: "auto" });
  reason.value = view.draft;
  reason.addEventListener("input", () => { view.draft = reason.value; });
  const error = h("p.error", { role: "alert", hidden: true });
  const submit = h("button.small.primary", { type: "submit" }, t("consent.clear"));
  const cancel = h("button.small.button", { type: "button", onclick: onCancel }, t("dialog.cancel"));
  const form = h("form.ct-clear-form", h("p.ct-muted", t("consent.providerNote")), reason, error, h("div.form-actions", cancel, submit));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = reason.value.trim();
    if (!text) {
      error.textContent = t("consent.reasonMissing");
      error.hidden = false;
      reason.focus();
      return;
    }
    submit.disabled = true;
    try {
      onDone(await ctx.api(`contacts/${contactId}/consent/${entry.identity_id}/clear`, { method: "POST", json: { reason: text } }));
    } catch (exc) {
      error.textContent = [].concat(exc.errors?.reason || exc.message).join(" ");
      error.hidden = false;
      submit.disabled = false;
    }
  });
  setTimeout(() => reason.focus(), 0);
  return form;
}

/** The admin's Consent section; replaces the agents' plain list. */
export function adminConsentSection(ctx, contact) {
  const body = h("div.ct-consent-admin", h("p.tab-loading", t("consent.loading")));
  const section = h("section.ct-section", h("h4", t("consent.title")), body);
  let entries = [];
  const open = view.open;   // identity ids whose history is shown

  function render() {
    if (!entries.length) {
      replace(body, h("p.ct-muted", t("consent.noAddresses")));
      return;
    }
    replace(body, h("ul.ct-consent", entries.map((entry) => {
      const shown = open.has(entry.identity_id);
      const toggle = h("button.small.button.ct-link", {
        type: "button", "aria-expanded": String(shown),
        onclick: () => { shown ? open.delete(entry.identity_id) : open.add(entry.identity_id); render(); },
      }, shown ? t("consent.hideHistory") : t("consent.history", { count: entry.history.length }));
      const clearing = view.clearing === entry.identity_id && entry.opted_out;
      const clear = entry.opted_out && !clearing
        ? h("button.small.button", { type: "button", onclick: () => { view.clearing = entry.identity_id; view.draft = ""; render(); } },
          t("consent.clearAsk"))
        : null;
      return h("li.ct-consent-entry", { dataset: { kind: entry.kind, optedOut: String(entry.opted_out) } },
        h("div.ct-consent-row",
          h("span.ct-addr", h("span.ct-kind", consentLabel(entry.kind, ctx.channels)), " ",
            h("span.ct-number", showAddress(entry))),
          badge(entry), toggle, clear),
        clearing ? clearForm(ctx, contact.id, entry, (updated) => {
          entries = entries.map((e) => (e.identity_id === updated.identity_id ? updated : e));
          view.clearing = null;
          view.draft = "";
          open.add(updated.identity_id);
          render();
        }, () => { view.clearing = null; render(); }) : null,
        shown ? historyList(entry) : null);
    })));
  }

  (async () => {
    try {
      entries = await ctx.api(`contacts/${contact.id}/consent`);
      render();
    } catch (exc) {
      replace(body, h("p.error", t("consent.loadFailed", { problem: exc.message })));
    }
  })();
  return section;
}
