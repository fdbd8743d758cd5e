// Column 2: the open chat — header with actions, transcript, composer.
import { channelBadge, channelLabel, isCallChannel, replyChannel } from "./channels.js";
import { customerLabel, hue } from "./chat_list.js";
import { mergeMessage } from "./chat_store.js";
import { createComposer } from "./composer.js";
import { h, initials, replace } from "./dom.js";
import { icon } from "./icons.js";
import { dayKey, dayLabel, fullTime, messageTime } from "./time.js";
import { t } from "./i18n.js";
import { callRow, channelChange, channelTag, deliveryText, isTextMessage, templateMark,
  textChannelsUsed, voicemailRow } from "./transcript.js";
import { mediaItem, ticks } from "./message_parts.js";

const CHAT_STATUS = { queued: () => t("chat.statusQueued"), active: () => t("chat.statusActive"),
  archived: () => t("chat.statusArchived") };

/**
 * Returns {element, showEmpty(), showLoading(chat), showError(text), show(chat, messages),
 * updateChat(chat), upsertMessage(message), relabel(), composer}.
 * `actions` = {accept, transfer, archive, reopen, send(body)} each returning a Promise.
 */
export function createChatView({ channels, me, actions, replies }) {
  const element = h("section.pane.pane-chat", { "aria-label": t("chat.conversation") });
  const composer = createComposer({
    onSend: (body, attachmentIds) => actions.send(body, attachmentIds), onReopen: () => actions.reopen(), replies,
    onUpload: actions.upload ? (file) => actions.upload(chat, file) : null,
  });
  let chat = null;
  let messages = new Map();
  let head = null;
  let transcript = null;
  let placeholder = null; // what the pane shows instead of a chat: "empty", "error" or "loading"

  function showPlaceholder(title, text, extra = null) {
    chat = null;
    messages = new Map();
    replace(element, h("div.chat-placeholder", h("div.placeholder-art", icon("chat")), h("h2", title), h("p.muted", text), extra));
  }

  function showEmpty() {
    showPlaceholder(t("chat.pickTitle"), t("chat.pickText"));
    placeholder = { kind: "empty" };
  }

  function showError(text) {
    showPlaceholder(t("chat.cantOpen"), text);
    placeholder = { kind: "error", text };
  }

  function header() {
    const actionButtons = [];
    const busy = (fn) => async (event) => {
      const button = event.currentTarget;
      button.disabled = true;
      try {
        await fn();
      } finally {
        button.disabled = false;
      }
    };
    if (chat.status === "queued") actionButtons.push(h("button.primary", { type: "button", dataset: { action: "accept" }, onclick: busy(actions.accept) }, t("chat.accept")));
    if (chat.status !== "archived") {
      actionButtons.push(h("button.button", { type: "button", dataset: { action: "transfer" }, onclick: busy(actions.transfer) }, t("chat.transfer")));
      actionButtons.push(h("button.button", { type: "button", dataset: { action: "archive" }, onclick: busy(actions.archive) }, t("chat.archive")));
    } else {
      actionButtons.push(h("button.primary", { type: "button", dataset: { action: "reopen" }, onclick: busy(actions.reopen) }, t("chat.reopen")));
    }
    const assignee = chat.agent_id ? (chat.agent_id === me.id ? t("chat.assigneeYou") : chat.agent_name || t("chat.assigneeOther"))
      : t("chat.unassigned");
    const name = customerLabel(chat);
    // Narrow screens show one pane at a time: back to the list, on to the details.
    if (actions.showDetails) actionButtons.push(h("button.button.pane-to-details", { type: "button", onclick: () => actions.showDetails() }, t("chat.details")));
    return h("header.chat-head",
      actions.showList ? h("button.button.pane-back", { type: "button", "aria-label": t("chat.backToList"), onclick: () => actions.showList() }, t("chat.backShort")) : null,
      h("span.avatar.avatar-lg", { "aria-hidden": "true", dataset: { hue: hue(chat.customer_address) } }, initials(chat.customer_name)),
      h("div.chat-head-main",
        h("h2.chat-title", { dir: "auto" }, name),
        h("div.chat-meta",
          channelBadge(chat.channel, channels),
          chat.customer_name ? h("span.chat-address", chat.customer_address) : null,
          h(`span.status-pill.status-${chat.status}`, { dataset: { status: chat.status } }, CHAT_STATUS[chat.status]?.() || chat.status),
          h("span.meta-item.chat-group", { title: t("chat.group") }, h("span.meta-label", t("chat.group")),
            h("span", { dir: "auto" }, chat.group_name || t("chat.noGroup"))),
          h("span.meta-item.chat-assignee", { title: t("chat.assignedTo") }, h("span.meta-label", t("chat.assignee")),
            h("span", { dir: "auto" }, assignee)))),
      h("div.chat-actions", actionButtons));
  }

  let showChannels = false; // the chat used more than one text channel: each message names its own

  function messageEl(message) {
    const kind = message.kind || "text";
    // dir="auto": each bubble takes the direction of its own text (Arabic, Hebrew …).
    const body = message.body ? h("div.msg-body", { dir: "auto" }, message.body) : null;
    const media = (message.media || []).length ? h("div.msg-media", message.media.map(mediaItem)) : null;
    const time = h("time", { datetime: message.created_at, title: fullTime(message.created_at) }, messageTime(message.created_at));
    if (kind === "call") return callRow(message, time);
    if (isCallChannel(message.channel, channels) && message.direction !== "out") return voicemailRow(message, time);
    const meta = h("div.msg-meta",
      message.direction === "out" ? h("span.msg-author", { dir: "auto" }, message.agent_name || t("chat.automatic")) : null,
      showChannels && isTextMessage(message, channels) ? channelTag(message.channel, channels) : null,
      time,
      message.direction === "out" ? ticks(message.status) : null,
      message.direction === "out" ? deliveryText(message.status) : null);
    const error = message.error_message ? h("div.msg-error", { role: message.status === "failed" ? "alert" : null }, message.error_message) : null;
    if (["system", "note"].includes(kind)) {
      return h(`div.msg.msg-event.kind-${kind}`, { dataset: { messageId: message.id, status: message.status } },
        h("div.msg-event-body", { dir: "auto" }, message.body || kind), time);
    }
    const template = message.template ? templateMark(message) : null;
    return h(`div.msg.msg-${message.direction === "out" ? "out" : "in"}.kind-${kind}`, {
      dataset: { messageId: message.id, status: message.status, direction: message.direction },
      class: ["failed", "undelivered"].includes(message.status) ? "is-failed" : "",
    }, h("div.bubble", body, template, media), meta, error);
  }

  function renderTranscript() {
    const nearBottom = transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 120;
    const sorted = [...messages.values()].sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
    const children = [];
    let lastDay = null;
    let lastChannel = null;
    showChannels = textChannelsUsed(sorted, channels).length > 1;
    for (const message of sorted) {
      const day = dayKey(message.created_at); // the calendar day in the agent's zone
      if (day && day !== lastDay) {
        children.push(h("div.day-divider", h("span", dayLabel(message.created_at))));
        lastDay = day;
      }
      if (isTextMessage(message, channels)) {
        if (lastChannel && message.channel !== lastChannel) children.push(channelChange(message.channel, channels));
        lastChannel = message.channel;
      }
      children.push(messageEl(message));
    }
    if (!children.length) children.push(h("p.transcript-empty", t("chat.noMessages")));
    replace(transcript, children);
    return nearBottom;
  }

  function scrollToEnd() {
    transcript.scrollTop = transcript.scrollHeight;
  }

  function composerState() {
    if (chat.status === "archived") return { mode: "archived" };
    const who = chat.customer_name || chat.customer_address;
    const key = replyChannel(chat.channel, channels);
    if (!key) {
      const refusal = channels.find((c) => c.key === chat.channel)?.text_refusal;
      return { mode: "disabled", placeholder: refusal, hint: t("chat.noTextChannel") };
    }
    const label = channelLabel(key, channels);
    return {
      mode: "open",
      channelLabel: label,
      files: Boolean(channels.find((c) => c.key === key)?.takes_files),
      placeholder: t("chat.replyTo", { name: who, channel: label }),
      hint: chat.status === "queued" ? t("chat.replyAssigns") : undefined,
    };
  }

  function show(next, list) {
    const switched = !chat || chat.id !== next.id;
    placeholder = null;
    chat = { ...next };
    messages = new Map();
    for (const message of list) messages.set(message.id, mergeMessage(null, message));
    head = header();
    transcript = h("div.transcript", { role: "log", "aria-label": t("chat.messages"), "aria-live": "polite", "aria-busy": "false" });
    replace(element, head, transcript, composer.element);
    if (switched) composer.reset();
    composer.setState(composerState());
    renderTranscript();
    scrollToEnd();
  }

  function showLoading(next) {
    placeholder = { kind: "loading", chat: next };
    if (!next) {
      replace(element, h("div.chat-placeholder", h("p.muted", t("chat.opening"))));
      return;
    }
    chat = { ...next };
    messages = new Map();
    head = header();
    transcript = h("div.transcript", { role: "log", "aria-label": t("chat.messages"), "aria-busy": "true" },
      h("p.transcript-empty", t("chat.loadingMessages")));
    composer.reset();
    const ready = composerState();
    // No typing until the transcript is there: a reply must land in a loaded chat.
    composer.setState(ready.mode === "open" ? { ...ready, mode: "loading", placeholder: t("chat.loadingConversation") } : ready);
    replace(element, head, transcript, composer.element);
  }

  function updateChat(next) {
    if (!chat || next.id !== chat.id) return;
    chat = { ...chat, ...next };
    const fresh = header();
    head.replaceWith(fresh);
    head = fresh;
    composer.setState(composerState());
  }

  /** Add or refresh one message of the open chat (never moves a status backwards). */
  function upsertMessage(message) {
    if (!chat || message.chat_id !== chat.id || !transcript) return;
    const known = messages.get(message.id);
    const merged = mergeMessage(known, message);
    messages.set(message.id, merged);
    // A status change (ticks, error) replaces just that message's element.
    const existing = known && transcript.querySelector(`.msg[data-message-id="${Number(message.id)}"]`);
    if (existing) {
      existing.replaceWith(messageEl(merged));
      return;
    }
    const wasNearBottom = renderTranscript();
    if (wasNearBottom || message.direction === "out") scrollToEnd();
  }

  /** Scroll to a message (e.g. one found by search) and mark it for a moment. */
  function reveal(messageId) {
    const el = messageId && transcript?.querySelector(`.msg[data-message-id="${Number(messageId)}"]`);
    if (!el) return;
    el.scrollIntoView({ block: "center" });
    el.classList.add("is-found");
    setTimeout(() => el.classList.remove("is-found"), 2500);
  }

  /**
   * The agent chose another language or zone: everything drawn again in it, in place. The
   * composer keeps its draft and files, the transcript its scroll position.
   */
  function relabel() {
    element.setAttribute("aria-label", t("chat.conversation"));
    composer.relabel();
    if (placeholder?.kind === "empty") showEmpty();
    else if (placeholder?.kind === "error") showError(placeholder.text);
    else if (placeholder?.kind === "loading") showLoading(placeholder.chat);
    if (placeholder || !chat || !transcript) return;
    const scrollTop = transcript.scrollTop;
    transcript.setAttribute("aria-label", t("chat.messages"));
    renderTranscript();
    transcript.scrollTop = scrollTop;
    updateChat(chat);
  }

  showEmpty();
  return {
    relabel,
    element,
    composer,
    reveal,
    showEmpty,
    showError,
    showLoading,
    show,
    updateChat,
    upsertMessage,
    get chat() { return chat; },
    messages: () => [...messages.values()],
  };
}
