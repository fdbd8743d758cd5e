// Logs tab (thin first version): the open chat's outgoing messages with their
// delivery status and errors, newest first, updated live.
import { el } from "./lib/send_form.js";

const RANK = { received: 0, queued: 1, accepted: 1, scheduled: 1, sending: 2, sent: 3, delivered: 4, read: 5,
  undelivered: 9, failed: 9, canceled: 9 };
const LABEL = { queued: "Queued", sending: "Sending", sent: "Sent", delivered: "Delivered", read: "Read",
  failed: "Failed", undelivered: "Not delivered", canceled: "Canceled" };

function parseDate(value) {
  if (!value) return null;
  const text = String(value);
  const date = new Date(/([zZ]|[+-]\d\d:?\d\d)$/.test(text) ? text : `${text}Z`);
  return Number.isNaN(date.getTime()) ? null : date;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });

function channelLabel(key, channels) {
  const known = { sms: "SMS", whatsapp: "WhatsApp", voice: "Voice", livechat: "LiveChat" };
  return channels.find((c) => c.key === key)?.label || known[key] || key || "";
}

export function mount(element, ctx) {
  if (!ctx.chat) {
    element.replaceChildren(el("div", "tab-empty",
      el("strong", null, "No chat open"),
      el("p", null, "Open a chat to see the messages sent to the customer and whether they arrived.")));
    return;
  }
  const chatId = ctx.chat.id;
  const messages = new Map();
  let filter = "";
  let failed = "";

  const select = el("select", "logs-filter");
  select.setAttribute("aria-label", "Channel");
  select.addEventListener("change", () => {
    filter = select.value;
    render();
  });
  const list = el("ol", "log-list");
  element.replaceChildren(el("div", "tab-toolbar", el("label", "inline-label", "Channel ", select)), list);

  function renderFilter() {
    const keys = new Set([...messages.values()].map((m) => m.channel));
    for (const c of ctx.channels) keys.add(c.key);
    const options = [["", "All channels"], ...[...keys].filter(Boolean).sort().map((k) => [k, channelLabel(k, ctx.channels)])];
    const current = select.value;
    select.replaceChildren(...options.map(([value, text]) => {
      const option = el("option", null, text);
      option.value = value;
      return option;
    }));
    select.value = options.some(([v]) => v === current) ? current : "";
  }

  function render() {
    if (failed) {
      list.replaceChildren(el("li", "tab-error", failed));
      return;
    }
    renderFilter();
    const rows = [...messages.values()]
      .filter((m) => !filter || m.channel === filter)
      .sort((a, b) => b.id - a.id);
    if (!rows.length) {
      list.replaceChildren(el("li", "tab-empty",
        el("strong", null, "Nothing sent yet"),
        el("p", null, filter ? "No outgoing messages on this channel." : "Replies to this customer will be logged here with their delivery status.")));
      return;
    }
    list.replaceChildren(...rows.map((m) => {
      const date = parseDate(m.created_at);
      const status = el("span", `log-status status-${m.status}`, LABEL[m.status] || m.status);
      return el("li", "log-row",
        el("div", "log-top",
          el("time", "log-time", date ? timeFormat.format(date) : ""),
          el("span", `badge channel ch-${m.channel}`, channelLabel(m.channel, ctx.channels)),
          status),
        el("div", "log-body", m.body || (m.template ? `Template ${m.template.name || m.template.sid || ""}` : "(no text)")),
        m.error_message ? el("div", "log-error", m.error_code ? `${m.error_message} (code ${m.error_code})` : m.error_message) : null);
    }));
    list.dataset.count = String(rows.length);
  }

  function upsert(message) {
    if (!message || message.chat_id !== chatId || message.direction !== "out") return;
    const old = messages.get(message.id);
    if (old && (RANK[message.status] ?? -1) < (RANK[old.status] ?? -1)) {
      messages.set(message.id, { ...message, status: old.status, error_message: old.error_message, error_code: old.error_code });
    } else {
      messages.set(message.id, { ...(old || {}), ...message });
    }
    render();
  }

  list.replaceChildren(el("li", "tab-loading", "Loading…"));
  ctx.api(`/api/v1/chats/${chatId}/messages`).then((all) => {
    for (const m of all) if (m.direction === "out" && !messages.has(m.id)) messages.set(m.id, m);
    render();
  }, (exc) => {
    failed = `Couldn't load the log: ${exc.message}`;
    render();
  });
  ctx.on("message:created", ({ message } = {}) => upsert(message));
  ctx.on("message:updated", ({ message } = {}) => upsert(message));
}
