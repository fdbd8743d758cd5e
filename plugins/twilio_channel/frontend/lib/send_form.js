// The "write first" form shared by the SMS and WhatsApp tabs: To + message → POST
// /api/v1/chats {channel, to, body}, then open the chat. Field errors from a 422
// (errors.json.<field>) are shown next to their fields.

const MAX = 1600;

export function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

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
    const note = el("div", "tab-empty",
      el("strong", null, `${label} isn't set up yet — an admin can connect Twilio in Plugins.`),
      el("p", null, `Once Twilio is connected you can text customers by ${label} from here.`));
    if (ctx.agent?.role === "admin") {
      const link = el("a", "button small", "Open Plugins");
      link.href = "/admin/plugins";
      note.append(link);
    }
    element.replaceChildren(note);
    return;
  }

  const id = `${channel}-${Math.random().toString(36).slice(2, 7)}`;
  const to = el("input");
  Object.assign(to, { id: `${id}-to`, name: "to", type: "text", autocomplete: "off", placeholder, value: prefill(ctx.chat) });
  const body = el("textarea");
  Object.assign(body, { id: `${id}-body`, name: "body", rows: 4, maxLength: MAX, placeholder: `Write your ${label} message…` });
  const counter = el("span", "counter", `0 / ${MAX}`);
  const errors = { to: el("p", "error"), body: el("p", "error"), form: el("p", "error") };
  Object.values(errors).forEach((e) => { e.hidden = true; e.setAttribute("role", "alert"); });
  const send = el("button", "primary", "Send");
  send.type = "submit";
  const done = el("p", "ok-note");
  done.hidden = true;

  const toLabel = el("label", null, "To");
  toLabel.htmlFor = to.id;
  const bodyLabel = el("label", null, "Message");
  bodyLabel.htmlFor = body.id;
  const toField = el("div", "field", toLabel, to, help ? el("p", "help", help) : null, errors.to);
  const bodyField = el("div", "field", bodyLabel, body, el("div", "field-foot", counter), errors.body);
  const form = el("form", "tab-form", toField, bodyField, errors.form, el("div", "form-actions", done, send));
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
    if (!to.value.trim()) local.to = "Type the number to write to.";
    if (!body.value.trim()) local.body = "Write a message first.";
    if (Object.keys(local).length) {
      showErrors(local);
      return;
    }
    send.disabled = true;
    try {
      const chat = await ctx.api("/api/v1/chats", { method: "POST", json: { channel, to: to.value.trim(), body: body.value } });
      body.value = "";
      counter.textContent = `0 / ${MAX}`;
      done.textContent = `Sent to ${chat.customer_name || chat.customer_address}.`;
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
