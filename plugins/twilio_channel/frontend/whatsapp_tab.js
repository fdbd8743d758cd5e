// WhatsApp tab: the customer's 24-hour window, approved templates, and the
// "write first" form. Outside the window WhatsApp only delivers approved templates
// (Content API), so the tab says so and offers the template picker with its variables;
// the server lists only templates WhatsApp approved (every page, kept for ten minutes,
// "Refresh list" reads Twilio again).
// Data: GET /api/v1/twilio/whatsapp/window?chat_id=, GET /api/v1/twilio/templates.
import { h, t, time, useHost } from "./lib/kit.js";
import { mountSendForm, phoneOf } from "./lib/send_form.js";

function whatsappAddress(chat) {
  const phone = phoneOf(chat).replace(/[\s().-]/g, "");
  return phone ? `whatsapp:${phone.startsWith("+") ? phone : `+${phone}`}` : "";
}

function duration(seconds) {
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  return hours ? t("wa.hoursMinutes", { hours, minutes }) : t("wa.minutes", { minutes });
}

function render(template, values) {
  return String(template.body || "").replace(/\{\{\s*(\w+)\s*\}\}/g, (all, key) => values[key] || `{{${key}}}`);
}

export function mount(element, ctx) {
  useHost(ctx);
  if (!ctx.channels.some((c) => c.key === "whatsapp")) {
    mountSendForm(element, ctx, { channel: "whatsapp", label: "WhatsApp", prefill: whatsappAddress });
    return;
  }
  const chat = ctx.chat;
  const banner = h("div", { class: "wa-window" });
  banner.setAttribute("role", "status");
  const picker = h("details", { class: "wa-templates" });
  const formHost = h("div", { class: "wa-write" });
  element.replaceChildren(banner, picker, formHost);
  mountSendForm(formHost, ctx, {
    channel: "whatsapp",
    label: "WhatsApp",
    prefill: whatsappAddress,
    placeholder: "whatsapp:+14155550123",
    help: t("wa.help"),
  });

  // --- the 24-hour window ---------------------------------------------------------------
  let windowState = null;
  async function loadWindow() {
    if (!chat || !phoneOf(chat)) {
      banner.replaceChildren(h("p", { class: "muted" }, t("wa.writeFirst")));
      picker.open = true;
      return;
    }
    try {
      windowState = await ctx.api(`/api/v1/twilio/whatsapp/window?chat_id=${chat.id}`);
    } catch (exc) {
      banner.replaceChildren(h("p", { class: "tab-error" }, t("wa.windowFailed", { problem: exc.message })));
      return;
    }
    const closes = windowState.closes_at ? time.fullTime(windowState.closes_at) : "";
    banner.className = `wa-window ${windowState.open ? "open" : "closed"}`;
    banner.dataset.open = String(windowState.open);
    if (windowState.open) {
      banner.replaceChildren(h("strong", null, t("wa.open")),
        h("p", null, closes ? t("wa.openUntil", { duration: duration(windowState.seconds_left), until: closes })
          : t("wa.openFor", { duration: duration(windowState.seconds_left) })));
      picker.open = false;
    } else {
      banner.replaceChildren(h("strong", null, t("wa.closed")),
        h("p", null, windowState.message || t("wa.closedText")));
      picker.open = true;
    }
  }

  // --- templates ----------------------------------------------------------------------
  const select = h("select", { class: "wa-template-select" });
  select.setAttribute("aria-label", t("wa.template"));
  const fields = h("div", { class: "wa-variables" });
  const preview = h("p", { class: "wa-preview" });
  const to = h("input");
  Object.assign(to, { type: "text", name: "to", autocomplete: "off", value: whatsappAddress(chat), placeholder: "whatsapp:+14155550123" });
  const toLabel = h("label", { class: "inline-label" }, t("send.to"), " ", to);
  const inChat = chat && chat.channel === "whatsapp" && chat.status !== "archived";
  toLabel.hidden = Boolean(inChat);
  const send = h("button", { class: "primary" }, t("wa.sendTemplate"));
  send.type = "button";
  const note = h("p", { class: "error" });
  note.hidden = true;
  note.setAttribute("role", "alert");
  const done = h("p", { class: "ok-note" });
  done.hidden = true;
  picker.replaceChildren(h("summary", null, t("wa.approved")), h("p", { class: "tab-loading" }, t("wa.loadingTemplates")));
  let templates = [];
  let inputs = {};

  function current() {
    return templates.find((tpl) => tpl.sid === select.value);
  }
  function values() {
    return Object.fromEntries(Object.entries(inputs).map(([k, input]) => [k, input.value.trim()]));
  }
  function showTemplate() {
    const template = current();
    inputs = {};
    fields.replaceChildren(...Object.entries(template?.variables || {}).map(([key, example]) => {
      const input = h("input");
      Object.assign(input, { type: "text", name: `var-${key}`, placeholder: example || "", value: "" });
      input.addEventListener("input", () => { preview.textContent = render(template, values()); });
      inputs[key] = input;
      return h("label", { class: "field" }, `{{${key}}} `, input);
    }));
    preview.textContent = template ? render(template, values()) : "";
  }

  const refresh = h("button", { class: "small wa-refresh" }, t("wa.refresh"));
  refresh.type = "button";
  refresh.title = t("wa.refreshTitle");
  refresh.addEventListener("click", () => loadTemplates(true));

  async function loadTemplates(fresh = false) {
    refresh.disabled = true;
    try {
      const query = new URLSearchParams();
      if (chat?.id) query.set("chat_id", chat.id);
      if (fresh) query.set("refresh", "true");
      templates = await ctx.api(`/api/v1/twilio/templates?${query}`);
    } catch (exc) {
      picker.replaceChildren(h("summary", null, t("wa.approved")), h("p", { class: "tab-error" }, t("wa.templatesFailed", { problem: exc.message })),
        refresh);
      return;
    } finally {
      refresh.disabled = false;
    }
    if (!templates.length) {
      picker.replaceChildren(h("summary", null, t("wa.approved")), h("p", { class: "muted" }, t("wa.noTemplates")), refresh);
      return;
    }
    select.replaceChildren(...templates.map((tpl) => {
      const option = h("option", null, `${tpl.friendly_name || tpl.sid}${tpl.language ? ` (${tpl.language})` : ""}`);
      option.value = tpl.sid;
      return option;
    }));
    select.onchange = showTemplate;
    picker.replaceChildren(h("summary", null, t("wa.approved")), toLabel, select, fields,
      h("div", { class: "wa-preview-box" }, h("span", { class: "muted" }, t("wa.preview")), preview), note, h("div", { class: "form-actions" }, refresh, done, send));
    showTemplate();
  }

  send.addEventListener("click", async () => {
    const template = current();
    if (!template) return;
    const variables = values();
    const missing = Object.entries(variables).filter(([, v]) => !v).map(([k]) => `{{${k}}}`);
    note.hidden = !missing.length;
    done.hidden = true;
    if (missing.length) {
      note.textContent = t("wa.fillIn", { variables: missing.join(", ") });
      return;
    }
    const payload = { sid: template.sid, name: template.friendly_name || "", variables };
    send.disabled = true;
    try {
      if (inChat) {
        await ctx.api(`/api/v1/chats/${chat.id}/messages`, { method: "POST", json: { template: payload } });
        done.textContent = t("wa.queued");
      } else {
        const opened = await ctx.api("/api/v1/chats", { method: "POST", json: { channel: "whatsapp", to: to.value.trim(), template: payload } });
        done.textContent = t("wa.sentTo", { name: opened.customer_name || opened.customer_address });
        ctx.openChat(opened.id);
      }
      done.hidden = false;
      Object.values(inputs).forEach((input) => { input.value = ""; });
      preview.textContent = render(template, {});
    } catch (exc) {
      const errors = exc.errors || {};
      note.textContent = [].concat(errors.to || errors.template || errors.body || exc.message).join(" ");
      note.hidden = false;
    } finally {
      send.disabled = false;
    }
  });

  loadWindow();
  loadTemplates();
  const timer = setInterval(() => { if (windowState) loadWindow(); }, 60_000);
  ctx.on("message:created", ({ message } = {}) => {
    if (chat && message && message.chat_id === chat.id && message.direction === "in" && message.channel === "whatsapp") loadWindow();
  });
  return () => clearInterval(timer);
}
