// The search box over the chat lists: customers and message text across every chat
// the agent may see (GET /api/v1/search), narrowed by channel, group, status and
// unread. While a search or a filter is on, its results replace the lists.
import { channelBadge } from "./channels.js";
import { customerLabel, hue } from "./chat_list.js";
import { h, initials, replace } from "./dom.js";
import { icon } from "./icons.js";
import { fullTime, relativeTime } from "./time.js";
import { t } from "./i18n.js";

const DEBOUNCE_MS = 220;
const STATUS_OPTIONS = () => [["", t("search.anyStatus")], ["queued", t("chat.statusQueued")], ["active", t("chat.statusActive")],
  ["archived", t("chat.statusArchived")]];

/** Text with each searched word's occurrences in <mark> (as text nodes, never HTML). */
export function highlighted(text, words) {
  const value = String(text || "");
  const terms = words.filter(Boolean).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  if (!terms.length) return [value];
  const pattern = new RegExp(`(${terms.join("|")})`, "giu");
  return value.split(pattern).map((part, i) => (i % 2 ? h("mark", part) : part));
}

function queryWords(q) {
  return (String(q).toLowerCase().match(/[\p{L}\p{N}_]+/gu) || []);
}

/**
 * `api`, `channels` (bootstrap list), `onOpen(chatId, messageId)`, `onActive(bool)`,
 * `showGroup(group)` (whether the group filter offers it).
 * Returns {element (the box and filters), results (the results list), clear(), refresh(), relabel(),
 * showChannels() (the channel filter offers `channels` as they are now, e.g. named in another language)}.
 */
export function createInboxSearch({ api, channels, onOpen, onActive, showGroup = () => true }) {
  const input = h("input.search-input", {
    type: "search", name: "q", autocomplete: "off", spellcheck: "false", maxlength: "200",
    dir: "auto",
  });
  // The placeholder is short enough to show whole in a laptop's list column in every
  // language; its name and hover title say in full what the box finds.
  function label() {
    input.placeholder = t("search.placeholder");
    input.setAttribute("aria-label", t("search.label"));
    input.title = t("search.label");
  }
  label();
  const filterCount = h("span.filter-count", { hidden: true });
  const toggle = h("button.filter-toggle", { type: "button", "aria-expanded": "false", "aria-controls": "inbox-filters",
    title: t("search.filterTitle") }, icon("filter"), h("span.filter-label", t("search.filters")), filterCount);
  const channel = h("select", { name: "channel", "aria-label": t("search.channel") });
  function showChannels() {
    const chosen = channel.value;
    replace(channel, h("option", { value: "" }, t("search.allChannels")), channels.map((c) => h("option", { value: c.key }, c.label)));
    channel.value = channels.some((c) => c.key === chosen) ? chosen : "";
  }
  showChannels();
  const group = h("select", { name: "group_id", "aria-label": t("chat.group") }, h("option", { value: "" }, t("search.allGroups")));
  const status = h("select", { name: "status", "aria-label": t("search.status") },
    STATUS_OPTIONS().map(([value, label]) => h("option", { value }, label)));
  const unread = h("input", { type: "checkbox", name: "unread" });
  const unreadLabel = h("span", t("search.unreadOnly"));
  const reset = h("button.link.filter-reset", { type: "button" }, t("search.clearAll"));
  const filters = h("div.inbox-filters#inbox-filters", { hidden: true, role: "group", "aria-label": t("search.filters") },
    channel, group, status, h("label.unread-only", unread, unreadLabel), reset);
  const form = h("form.inbox-search", { role: "search", onsubmit: (e) => { e.preventDefault(); run(); } },
    h("div.search-field", icon("search", "search-icon"), input), toggle);
  const element = h("div.inbox-search-wrap", form, filters);
  const status_ = h("p.search-status", { role: "status", "aria-live": "polite" });
  const body = h("div.search-body");
  const results = h("div.search-results", { hidden: true, "aria-label": t("search.results") }, status_, body);
  let timer = null;
  let controller = null;
  let groupsLoaded = false;

  function params() {
    const out = new URLSearchParams();
    if (input.value.trim()) out.set("q", input.value.trim());
    if (channel.value) out.set("channel", channel.value);
    if (group.value) out.set("group_id", group.value);
    if (status.value) out.set("status", status.value);
    if (unread.checked) out.set("unread", "true");
    return out;
  }

  function activeFilters() {
    return [channel.value, group.value, status.value, unread.checked].filter(Boolean).length;
  }

  function setActive(active) {
    results.hidden = !active;
    onActive?.(active);
  }

  async function loadGroups() {
    if (groupsLoaded) return;
    groupsLoaded = true;
    try {
      const rows = await api("groups");
      // Only groups whose chats the agent sees (admins: all); another group's would find nothing.
      group.append(...rows.filter(showGroup).map((g) => h("option", { value: String(g.id) }, g.name)));
    } catch {
      groupsLoaded = false;
    }
  }

  function customerRow(chat, words) {
    const when = chat.last_message_at || chat.created_at;
    return h("li", h("a.chat-row.search-row", {
      href: `/console/chats/${chat.id}`, dataset: { chatId: chat.id },
      onclick: (event) => { if (!event.metaKey && !event.ctrlKey) { event.preventDefault(); onOpen(chat.id); } },
    },
    h("span.avatar", { "aria-hidden": "true", dataset: { hue: hue(chat.customer_address) } }, initials(chat.customer_name)),
    h("span.row-main",
      h("span.row-top", h("span.row-name", highlighted(customerLabel(chat), words)),
        h("time.row-time", { datetime: when, title: fullTime(when) }, relativeTime(when, new Date()))),
      h("span.row-bottom",
        channelBadge(chat.channel, channels),
        h("span.row-preview", highlighted(chat.customer_name ? chat.customer_address : (chat.group_name || ""), words)),
        chat.unread > 0 ? h("span.unread-count", { "aria-label": t("list.unread", { count: chat.unread }) }, String(chat.unread)) : null))));
  }

  function messageRow(hit, words) {
    const chat = hit.chat;
    return h("li", h("a.chat-row.search-row.message-hit", {
      href: `/console/chats/${chat.id}`, dataset: { chatId: chat.id, messageId: hit.id },
      onclick: (event) => { if (!event.metaKey && !event.ctrlKey) { event.preventDefault(); onOpen(chat.id, hit.id); } },
    },
    h("span.avatar", { "aria-hidden": "true", dataset: { hue: hue(chat.customer_address) } }, initials(chat.customer_name)),
    h("span.row-main",
      h("span.row-top", h("span.row-name", { dir: "auto" }, customerLabel(chat)),
        h("time.row-time", { datetime: hit.created_at, title: fullTime(hit.created_at) }, relativeTime(hit.created_at, new Date()))),
      h("span.hit-text", { dir: "auto" }, hit.direction === "out" ? h("span.hit-who", t("search.you")) : null, highlighted(hit.snippet, words)))));
  }

  function render(data, { q, filtered }) {
    const words = queryWords(q);
    const sections = [];
    if (data.customers.length) {
      sections.push(h("h2.search-heading", q ? t("search.customers") : t("list.chats")),
        h("ul.chat-list.search-list", data.customers.map((c) => customerRow(c, words))));
    }
    if (data.messages.length) {
      sections.push(h("h2.search-heading", t("chat.messages")),
        h("ul.chat-list.search-list", data.messages.map((m) => messageRow(m, words))));
    }
    const found = data.customers.length + data.messages.length;
    status_.textContent = found ? "" : (q ? (filtered ? t("search.nothingFiltered", { query: q }) : t("search.nothing", { query: q }))
      : t("search.noChatsFiltered"));
    status_.hidden = Boolean(found);
    replace(body, sections);
  }

  async function run() {
    clearTimeout(timer);
    const query = params();
    const count = activeFilters();
    filterCount.textContent = String(count);
    filterCount.hidden = count === 0;
    toggle.classList.toggle("has-filters", count > 0);
    if (!query.toString()) {
      controller?.abort();
      setActive(false);
      return;
    }
    setActive(true);
    controller?.abort();
    controller = new AbortController();
    results.setAttribute("aria-busy", "true");
    try {
      const data = await api(`search?${query}`, { signal: controller.signal });
      render(data, { q: query.get("q") || "", filtered: count > 0 });
    } catch (exc) {
      if (exc?.name === "AbortError") return;
      status_.hidden = false;
      status_.textContent = exc.message;
      replace(body);
    } finally {
      results.setAttribute("aria-busy", "false");
    }
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(run, DEBOUNCE_MS);
  }

  function clear() {
    input.value = "";
    channel.value = group.value = status.value = "";
    unread.checked = false;
    run();
  }

  input.addEventListener("input", schedule);
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && input.value) {
      event.preventDefault();
      input.value = "";
      run();
    }
  });
  for (const select of [channel, group, status, unread]) select.addEventListener("change", run);
  reset.addEventListener("click", clear);
  toggle.addEventListener("click", () => {
    filters.hidden = !filters.hidden;
    toggle.setAttribute("aria-expanded", String(!filters.hidden));
    if (!filters.hidden) loadGroups();
  });

  /** Another language: every label again, and the shown results asked for in it. */
  function relabel() {
    label();
    toggle.title = t("search.filterTitle");
    toggle.querySelector(".filter-label").textContent = t("search.filters");
    channel.setAttribute("aria-label", t("search.channel"));
    showChannels();
    group.setAttribute("aria-label", t("chat.group"));
    group.options[0].textContent = t("search.allGroups");
    status.setAttribute("aria-label", t("search.status"));
    STATUS_OPTIONS().forEach(([, label], i) => { status.options[i].textContent = label; });
    unreadLabel.textContent = t("search.unreadOnly");
    reset.textContent = t("search.clearAll");
    filters.setAttribute("aria-label", t("search.filters"));
    results.setAttribute("aria-label", t("search.results"));
    if (!results.hidden) run();
  }

  return { element, results, clear, relabel, showChannels, refresh: () => (results.hidden ? null : run()), input };
}
