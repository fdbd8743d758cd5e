// Column 1: the Queued / My chats / Archived lists.
import { channelBadge } from "./channels.js";
import { icon } from "./icons.js";
import { h, initials, replace } from "./dom.js";
import { fullTime, relativeTime } from "./time.js";
import { currentLanguage, formatNumber, t } from "./i18n.js";

// Functions, not constants: the catalog is read when the list is drawn.
const VIEW_LABELS = { queued: () => t("list.queued"), mine: () => t("list.mine"), archived: () => t("list.archived") };

const EMPTY = {
  queued: () => [t("list.emptyQueued"), t("list.emptyQueuedHint")],
  mine: () => [t("list.emptyMine"), ""],
  archived: () => [t("list.emptyArchived"), t("list.emptyArchivedHint")],
};

// "Accept a chat from Queued, or start one from the A or B tab": the tabs that start
// a chat on a text channel, as their plugins title them, joined in the agent's language.
function emptyMineHint(writeTabs) {
  if (!writeTabs.length) return t("list.emptyMineNoTabs");
  const tabs = new Intl.ListFormat(currentLanguage(), { type: "disjunction" }).format(writeTabs);
  return t("list.emptyMineHint", { tabs });
}

export function customerLabel(chat) {
  return chat?.customer_name || chat?.customer_address || t("list.unknownCustomer");
}

export function previewText(message) {
  if (!message) return t("list.noMessages");
  const body = (message.body || "").replace(/\s+/g, " ").trim();
  let text = body;
  if (!text) {
    text = message.kind === "media" ? t("list.previewAttachment") : message.kind === "call" ? t("list.previewCall")
      : message.kind === "template" ? t("list.previewTemplate") : t("list.previewEmpty");
  }
  return message.direction === "out" ? t("list.previewYou", { text }) : text;
}

/**
 * Build the list pane. `onOpen(chatId)` opens a chat; `onView(view)` changes the list.
 * Returns {element, render({store, view, openId, channels, ringing}), relabel(), header};
 * `ringing` maps chat id → {forOther} for chats with a call waiting.
 */
export function createChatList({ onOpen, onView, header }) {
  const buttons = {};
  const tabs = h("div.views", { role: "tablist", "aria-label": t("list.lists") });
  for (const view of Object.keys(VIEW_LABELS)) {
    const count = h("span.view-count", "0");
    buttons[view] = h("button.view", {
      type: "button",
      role: "tab",
      dataset: { view },
      "aria-selected": "false",
      onclick: () => onView(view),
    }, h("span.view-label", VIEW_LABELS[view]()), count);
    buttons[view].countEl = count;
    // A call rings in a chat of this list: marked here too, whichever list is shown.
    buttons[view].ringEl = h("span.view-ring", { hidden: true, title: t("list.ringingInList") }, icon("phone"),
      h("span.sr-only", t("list.ringingShort")));
    buttons[view].append(buttons[view].ringEl);
    tabs.append(buttons[view]);
  }
  const list = h("ul.chat-list", { "aria-label": t("list.chats") });
  const element = h("aside.pane.pane-list", { "aria-label": t("list.conversations") }, header, tabs, list);

  function ringBadge(call) {
    if (!call) return null;
    const text = call.forOther ? t("list.ringingFor", { name: call.forOther }) : t("list.ringing");
    return h("span.ring-badge", { title: t("list.callWaiting") }, icon("phone"), text);
  }

  function row(chat, { openId, channels, now, ringing }) {
    const name = h("span.row-name", { dir: "auto" }, customerLabel(chat));
    const time = h("time.row-time", { datetime: chat.last_message_at || chat.created_at, title: fullTime(chat.last_message_at || chat.created_at) },
      relativeTime(chat.last_message_at || chat.created_at, now));
    const unread = chat.unread > 0 ? h("span.unread-count", { "aria-label": t("list.unread", { count: chat.unread }) },
      chat.unread > 99 ? t("list.unreadMany") : formatNumber(chat.unread)) : null;
    const call = ringing?.get(chat.id);
    const link = h("a.chat-row", {
      href: `/console/chats/${chat.id}`,
      class: [chat.unread > 0 ? "is-unread" : "", chat.id === openId ? "is-open" : "", call ? "is-ringing" : ""].filter(Boolean).join(" "),
      "aria-current": chat.id === openId ? "true" : false,
      dataset: { chatId: chat.id, unread: chat.unread || 0 },
      onclick: (event) => {
        if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
        event.preventDefault();
        onOpen(chat.id);
      },
    },
    h("span.avatar", { "aria-hidden": "true", dataset: { hue: hue(chat.customer_address) } }, initials(chat.customer_name)),
    h("span.row-main",
      h("span.row-top", name, time),
      h("span.row-bottom",
        channelBadge(chat.channel, channels),
        ringBadge(call) || h("span.row-preview", { dir: "auto" }, previewText(chat.last_message)),
        unread)));
    return h("li", link);
  }

  /** `writeTabs`: titles of the tabs that start a chat on a text channel (named when "mine" is empty). */
  function render({ store, view, openId, channels, ringing, writeTabs = [] }) {
    const counts = store.counts();
    for (const [key, button] of Object.entries(buttons)) {
      button.setAttribute("aria-selected", String(key === view));
      button.countEl.textContent = formatNumber(counts[key]);
      button.countEl.classList.toggle("has-unread", store.unreadIn(key) > 0);
      button.countEl.title = t("list.chatCount", { count: counts[key] });
      button.ringEl.hidden = ![...(ringing?.keys() || [])].some((id) => store.viewOf(store.get(id)) === key);
      button.classList.toggle("is-ringing", !button.ringEl.hidden);
    }
    const chats = store.list(view);
    list.dataset.view = view;
    if (!chats.length) {
      const [title, plain] = EMPTY[view]();
      const text = view === "mine" ? emptyMineHint(writeTabs) : plain;
      replace(list, h("li.empty-state", h("strong", title), h("span", text)));
      return;
    }
    const now = new Date();
    replace(list, chats.map((chat) => row(chat, { openId, channels, now, ringing })));
  }

  /** Another language: the lists' names and labels again (rows follow with the next render). */
  function relabel() {
    tabs.setAttribute("aria-label", t("list.lists"));
    for (const [view, button] of Object.entries(buttons)) {
      button.querySelector(".view-label").textContent = VIEW_LABELS[view]();
      button.ringEl.title = t("list.ringingInList");
      button.ringEl.querySelector(".sr-only").textContent = t("list.ringingShort");
    }
    list.setAttribute("aria-label", t("list.chats"));
    element.setAttribute("aria-label", t("list.conversations"));
  }

  return { element, render, relabel };
}

/** A stable colour per customer for avatars (0–7). */
export function hue(text) {
  let sum = 0;
  for (const ch of String(text || "")) sum = (sum * 31 + ch.charCodeAt(0)) >>> 0;
  return String(sum % 8);
}
