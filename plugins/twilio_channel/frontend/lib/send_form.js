// The "write first" form shared by the SMS and WhatsApp tabs: To + message → POST
// /api/v1/chats {channel, to, body}, then open the chat. Field errors from a 422
// (errors.json.<field>) are shown next to their fields.
import { h, t } from "./kit.js";

const MAX = 1600;

/** The customer's phone number from a chat on any phone channel, or "". */
export function phoneOf(chat) {
  if (!chat) return "";
  const bare = String(chat.customer_address || "").replace(/^whatsapp:/, "");
  return /^\+?[\d\s().-]{5,}$/.test(bare) ? bare : "";
}

/**
 * channel: "sms" | "whatsapp"; label: "SMS" | "WhatsApp";
 * prefill(chat) → the To value; placeholder for the To field.
 */
export function mountSendForm(element, ctx, { channel, label, prefill, placeholder, help }) {
  if (!ctx.channels.some((c) => c.key === channel)) {
    const note = h("div", { class: "tab-empty" },
      h("strong", null, t("send.notSetUp", { channel: label })),
      h("p", null, t("send.notSetUpText", { channel: label })));
    if (ctx.agent?.role === "admin") {
      const link = h("a", { class: "button small" }, t("send.openPlugins"));
      link.href = "/admin/plugins";
      note.append(link);
    }
    element.replaceChildren(note);
    return;
  }

  const id = `${channel}-${Math.random().toString(36).slice(2, 7)}`;
  const to = h("input");
  Object.assign(to, { id: `${id}-to`, name: "to", type: "text", autocomplete: "off", placeholder, value: prefill(ctx.chat) });
  const body = h("textarea");
  Object.assign(body, { id: `${id}-body`, name: "body", rows: 4, maxLength: MAX, placeholder: t("send.placeholder", { channel: label }), dir: "auto" });
  const counter = h("span", { class: "counter" }, `0 / ${MAX}`);
  const errors = { to: h("p", { class: "error" }), body: h("p", { class: "error" }), form: h("p", { class: "error" }) };
  Object.values(errors).forEach((e) => { e.hidden = true; e.setAttribute("role", "alert"); });
  const send = h("button", { class: "primary" }, t("send.send"));
  send.type = "submit";
  const done = h("p", { class: "ok-note" });
  done.hidden = true;

  const toLabel = h("label", null, t("send.to"));
  toLabel.htmlFor = to.id;
  const bodyLabel = h("label", null, t("send.message"));
  bodyLabel.htmlFor = body.id;
  const toField = h("div", { class: "field" }, toLabel, to, help ? h("p", { class: "help" }, help) : null, errors.to);
  const bodyField = h("div", { class: "field" }, bodyLabel, body, h("div", { class: "field-foot" }, counter), errors.body);
  const form = h("form", { class: "tab-form" }, toField, bodyField, errors.form, h("div", { class: "form-actions" }, done, send));
  form.noValidate = true;
  element.replaceChildren(form);

  function showErrors(map) {
    for (const [key, node] of Object.entries(errors)) {
      const messages = map[key];
      node.textContent = messages ? [].concat(messages).join(" ") : "";
      node.hidden = !messages;
    }
    toField.classList.toggle("has-error", Boolean(map.to));
    bodyField.classList.toggle("has-error", Boolean(map.body));
  }

  body.addEventListener("input", () => {
    counter.textContent = `${body.value.length} / ${MAX}`;
    done.hidden = true;
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showErrors({});
    done.hidden = true;
    const local = {};
    if (!to.value.trim()) local.to = t("send.toMissing");
    if (!body.value.trim()) local.body = t("send.bodyMissing");
    if (Object.keys(local).length) {
      showErrors(local);
      return;
    }
    send.disabled = true;
    try {
      const chat = await ctx.api("/api/v1/chats", { method: "POST", json: { channel, to: to.value.trim(), body: body.value } });
      body.value = "";
      counter.textContent = `0 / ${MAX}`;
      done.textContent = t("send.sent", { name: chat.customer_name || chat.customer_address });
      done.hidden = false;
      ctx.openChat(chat.id);
    } catch (exc) {
      const fields = exc.errors || {};
      const known = {};
      if (fields.to) known.to = fields.to;
      if (fields.body) known.body = fields.body;
      if (!known.to && !known.body) known.form = fields.channel || exc.message;
      showErrors(known);
    } finally {
      send.disabled = false;
    }
  });
}
