// Logs tab: everything sent to the open chat's customer — across their active and
// archived chats (same contact, or the same number) — with sender, channel, status
// and errors, newest first. Data: GET /api/v1/twilio/logs?chat_id=&channel=.
// Live: a status change of a listed message updates its row in place; a new outgoing
// message in this chat, or a call changing state, reloads the list.
import { h, t, time, useHost } from "./lib/kit.js";

const RANK = { received: 0, queued: 1, accepted: 1, scheduled: 1, sending: 2, sent: 3, delivered: 4, read: 5,
  undelivered: 9, failed: 9, canceled: 9 };
const LABEL = {
  queued: () => t("status.queued"), sending: () => t("status.sending"), sent: () => t("status.sent"),
  delivered: () => t("status.delivered"), read: () => t("status.read"), failed: () => t("status.failed"),
  undelivered: () => t("status.undelivered"), canceled: () => t("status.canceled"), completed: () => t("status.completed"),
  "no-answer": () => t("status.noAnswer"), busy: () => t("status.busy"), ringing: () => t("status.ringing"),
  "in-progress": () => t("status.inProgress"),
};
const CHANNELS = () => [["", t("logs.allChannels")], ["sms", "SMS"], ["whatsapp", "WhatsApp"], ["voice", t("logs.voice")]];

export function mount(element, ctx) {
  useHost(ctx);
  if (!ctx.chat) {
    element.replaceChildren(h("div", { class: "tab-empty" },
      h("strong", null, t("logs.noChat")),
      h("p", null, t("logs.noChatText"))));
    return;
  }
  const chatId = ctx.chat.id;
  let rows = [];
  let failed = "";
  let generation = 0;
  let reloadTimer = null;

  const select = h("select", { class: "logs-filter" });
  select.setAttribute("aria-label", t("logs.channel"));
  select.replaceChildren(...CHANNELS().map(([value, text]) => {
    const option = h("option", null, text);
    option.value = value;
    return option;
  }));
  select.addEventListener("change", load);
  const list = h("ol", { class: "log-list" });
  element.replaceChildren(h("div", { class: "tab-toolbar" }, h("label", { class: "inline-label" }, t("logs.channel"), " ", select)), list);

  function render() {
    if (failed) {
      list.replaceChildren(h("li", { class: "tab-error" }, failed));
      return;
    }
    if (!rows.length) {
      list.replaceChildren(h("li", { class: "tab-empty" },
        h("strong", null, t("logs.nothing")),
        h("p", null, select.value ? t("logs.nothingOnChannel") : t("logs.nothingText"))));
      list.dataset.count = "0";
      return;
    }
    list.replaceChildren(...rows.map((r) => {
      const shown = r.display_status || r.status;
      const status = h("span", { class: `log-status status-${shown}` }, (LABEL[r.status] || LABEL[shown])?.() || r.status);
      status.title = r.status === shown ? "" : t("logs.twilioStatus", { status: r.status });
      const meta = [r.template_name ? t("logs.template", { name: r.template_name }) : "", r.sender ? t("logs.from", { sender: r.sender }) : "",
        r.agent_name ? t("logs.by", { name: r.agent_name }) : "",
        r.chat_id !== chatId ? t("logs.otherChat", { status: r.chat_status, id: r.chat_id }) : ""].filter(Boolean).join(" · ");
      const row = h("li", { class: "log-row" },
        h("div", { class: "log-top" },
          h("time", { class: "log-time" }, r.time ? time.fullTime(r.time) : ""),
          ctx.style.channelBadge(r.channel, (CHANNELS().find(([k]) => k === r.channel) || [r.channel, r.channel])[1]),
          status),
        h("div", { class: "log-body", dir: "auto" }, r.body || t("logs.noText")),
        meta ? h("div", { class: "log-meta muted" }, meta) : null,
        r.error_message ? h("div", { class: "log-error" }, r.error_code && !r.error_message.includes(r.error_code)
          ? t("logs.errorWithCode", { message: r.error_message, code: r.error_code }) : r.error_message) : null);
      row.dataset.id = String(r.id);
      row.dataset.status = r.status;
      return row;
    }));
    list.dataset.count = String(rows.length);
  }

  async function load() {
    const mine = ++generation;
    const channel = select.value;
    try {
      const data = await ctx.api(`/api/v1/twilio/logs?chat_id=${chatId}${channel ? `&channel=${channel}` : ""}`);
      if (mine !== generation) return;
      rows = data;
      failed = "";
    } catch (exc) {
      if (mine !== generation) return;
      failed = t("logs.loadFailed", { problem: exc.message });
    }
    render();
  }

  function reloadSoon() {
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(load, 300);
  }

  function update(message) {
    if (!message || message.direction !== "out") return;
    const row = rows.find((r) => r.id === message.id && r.channel !== "voice");
    if (!row) {
      if (message.chat_id === chatId) reloadSoon();
      return;
    }
    if ((RANK[message.status] ?? -1) < (RANK[row.status] ?? -1)) return; // statuses only move forward
    Object.assign(row, {
      status: message.status,
      display_status: message.status === "undelivered" ? "failed" : message.status,
    });
    // The push words a failure in the worker's English; the logs API words it for this agent.
    if (message.error_message) reloadSoon();
    else Object.assign(row, { error_code: message.error_code, error_message: message.error_message });
    render();
  }

  list.replaceChildren(h("li", { class: "tab-loading" }, t("loading")));
  load();
  ctx.on("message:created", ({ message } = {}) => update(message));
  ctx.on("message:updated", ({ message } = {}) => update(message));
  ctx.on("call:updated", ({ call } = {}) => {
    if (call && (call.chat_id === chatId || rows.some((r) => r.chat_id === call.chat_id))) reloadSoon();
  });
  return () => clearTimeout(reloadTimer);
}
