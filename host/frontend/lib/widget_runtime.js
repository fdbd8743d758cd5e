// The details-widget runtime: plugin tabs for the open chat, shared by the console's
// sidebar and the standalone /widget page.
//
// A tab (bootstrap `tabs`: {key, title, icon, script, stylesheet}) is an ES module
// exporting `mount(element, ctx)`, which may return a cleanup function (or a Promise of
// one). The module is imported lazily the first time its tab is shown, its stylesheet
// linked before it is drawn. Whatever goes wrong in a tab (404 script, syntax error,
// throwing mount) stays inside that tab's body. A `background: true` tab starts with the
// page instead (background_tabs.js).
//
// `setTabs(tabs)` follows the enabled plugins while the page is open: tabs that went
// away are unmounted and removed (an open one falls back to the Customer tab, or the
// first), new ones appear, and the open tab is mounted again so it sees the channels
// as they are now.
//
// What `mount` and `background` receive (ctx) is described in tab_context.js.
import { h, replace } from "./dom.js";
import { hasMessage, t, translator } from "./i18n.js";
import { hasIcon, icon } from "./icons.js";
import { createBackgrounds } from "./background_tabs.js";
import { stylesheetReady, tabContext } from "./tab_context.js";

const STORAGE_KEY = "switchboard.widget.tab";

function remembered() {
  try {
    return window.localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

function remember(key) {
  try {
    window.localStorage.setItem(STORAGE_KEY, key);
  } catch {
    /* private mode: the choice lasts for this page only */
  }
}

/**
 * Render `tabs` into `root`. Returns {setChat(chat), updateChat(chat), select(key), setTabs(tabs), destroy()}.
 * `base` provides agent, api, socket, channels, openChat.
 * With `requireChat`, no tab is mounted until a chat is set; `emptyState` is shown instead.
 */
export function createWidget(root, initialTabs, base, { requireChat = false, emptyState = null } = {}) {
  let tabs = [...initialTabs];
  const state = {
    chat: null,
    generation: 0,
    selected: null,
    panels: new Map(), // key -> {tab, button, panel, mounted: {generation, cleanup, subscriptions}}
  };
  const backgrounds = createBackgrounds(base, contextFor, { currentChat: () => state.chat, select: (key) => select(key) });
  const idPrefix = `wt-${Math.random().toString(36).slice(2, 8)}`;

  root.classList.add("widget-runtime");
  const tablist = h("div.widget-tabs", { role: "tablist", "aria-label": t("widget.details") });
  const panels = h("div.widget-panels");
  const empty = h("div.widget-empty", emptyState || defaultEmpty(tabs));
  replace(root, tablist, panels, empty);

  for (const tab of tabs) addTab(tab);

  function addTab(tab) {
    const button = h("button.widget-tab", {
      type: "button",
      role: "tab",
      id: `${idPrefix}-tab-${tab.key}`,
      "aria-controls": `${idPrefix}-panel-${tab.key}`,
      "aria-selected": "false",
      tabindex: "-1",
      dataset: { tab: tab.key },
      onclick: () => select(tab.key),
      onkeydown: (event) => moveFocus(event, tab.key),
    }, tabIcon(tab.icon), h("span.widget-tab-title", tabTitle(tab)));
    const panel = h("section.widget-panel", {
      role: "tabpanel",
      id: `${idPrefix}-panel-${tab.key}`,
      "aria-labelledby": button.id,
      dataset: { tab: tab.key },
      hidden: true,
    });
    tablist.append(button);
    panels.append(panel);
    state.panels.set(tab.key, { tab, button, panel, mounted: null, attempt: 0 });
  }

  function removeTab(key) {
    const entry = state.panels.get(key);
    if (!entry) return;
    unmount(entry);
    backgrounds.stop(key);
    entry.button.remove();
    entry.panel.remove();
    state.panels.delete(key);
  }

  function sameTab(a, b) {
    return a.script === b.script && a.stylesheet === b.stylesheet && a.title === b.title && a.icon === b.icon && Boolean(a.background) === Boolean(b.background);
  }

  /** Follow the enabled plugins: remove tabs that went away, add new ones, keep the order. */
  function setTabs(next) {
    const wanted = new Map(next.map((tab) => [tab.key, tab]));
    for (const [key, entry] of [...state.panels]) {
      if (!wanted.has(key) || !sameTab(entry.tab, wanted.get(key))) removeTab(key);
    }
    for (const tab of next) {
      if (!state.panels.has(tab.key)) {
        addTab(tab);
        if (tab.background) backgrounds.start(tab);
      }
    }
    tabs = [...next];
    for (const tab of tabs) { // in the new order (appending moves the existing nodes)
      const entry = state.panels.get(tab.key);
      tablist.append(entry.button);
      panels.append(entry.panel);
    }
    if (!state.panels.has(state.selected)) state.selected = null;
    if (!emptyState) replace(empty, defaultEmpty(tabs));
    render();
    const fallback = state.selected || (state.panels.has("customer") ? "customer" : tabs[0]?.key);
    state.generation += 1; // the open tab mounts again: channels or its plugin may have changed
    for (const entry of state.panels.values()) unmount(entry);
    if (fallback) selectQuietly(fallback);
  }

  function defaultEmpty(list) {
    if (!list.length) {
      return [h("strong", t("widget.noTabs")), h("p", t("widget.noTabsText"))];
    }
    return [h("strong", t("widget.noChat")), h("p", t("widget.noChatText"))];
  }

  function moveFocus(event, key) {
    const keys = tabs.map((t) => t.key);
    let index = keys.indexOf(key);
    if (event.key === "ArrowRight" || event.key === "ArrowDown") index = (index + 1) % keys.length;
    else if (event.key === "ArrowLeft" || event.key === "ArrowUp") index = (index - 1 + keys.length) % keys.length;
    else if (event.key === "Home") index = 0;
    else if (event.key === "End") index = keys.length - 1;
    else return;
    event.preventDefault();
    select(keys[index]);
    state.panels.get(keys[index]).button.focus();
  }

  function visible() {
    return tabs.length > 0 && (!requireChat || state.chat !== null);
  }

  function render() {
    const show = visible();
    tablist.hidden = !show;
    panels.hidden = !show;
    empty.hidden = show;
    root.classList.toggle("has-chat", state.chat !== null);
  }

  function select(key) {
    if (!state.panels.has(key)) return;
    remember(key);
    selectQuietly(key);
  }

  // Without remembering: a tab shown because the agent's own went away is not their choice.
  function selectQuietly(key) {
    if (!state.panels.has(key)) return;
    state.selected = key;
    for (const [k, entry] of state.panels) {
      const active = k === key;
      entry.button.setAttribute("aria-selected", String(active));
      entry.button.tabIndex = active ? 0 : -1;
      entry.panel.hidden = !active;
    }
    if (visible()) ensureMounted(state.panels.get(key));
  }

  function unmount(entry) {
    const mounted = entry.mounted;
    entry.mounted = null;
    if (!mounted) return;
    for (const [event, handler] of mounted.subscriptions) base.socket?.off(event, handler);
    mounted.subscriptions.length = 0;
    const run = (fn) => {
      try {
        if (typeof fn === "function") fn();
      } catch (exc) {
        console.error(`Tab ${entry.tab.key}: cleanup failed`, exc);
      }
    };
    if (mounted.cleanup && typeof mounted.cleanup.then === "function") mounted.cleanup.then(run, () => {});
    else run(mounted.cleanup);
    mounted.closed = true;
  }

  function contextFor(mounted, tab) {
    return tabContext(base, mounted, () => state.chat, tab);
  }

  async function ensureMounted(entry) {
    if (entry.mounted && entry.mounted.generation === state.generation) return;
    unmount(entry);
    const generation = state.generation;
    const mounted = { generation, cleanup: null, subscriptions: [], closed: false };
    entry.mounted = mounted;
    const body = h("div.widget-body", { dataset: { tab: entry.tab.key } }, h("p.widget-loading", t("widget.loading")));
    replace(entry.panel, body);
    try {
      const url = entry.attempt ? `${entry.tab.script}${entry.tab.script.includes("?") ? "&" : "?"}retry=${entry.attempt}` : entry.tab.script;
      const [module] = await Promise.all([import(/* @vite-ignore */ url), stylesheetReady(entry.tab.stylesheet)]);
      if (mounted.closed) return;
      if (typeof module.mount !== "function") throw new Error(t("widget.noMount"));
      body.replaceChildren();
      const result = module.mount(body, contextFor(mounted, entry.tab));
      mounted.cleanup = result;
      if (result && typeof result.then === "function") await result;
    } catch (exc) {
      if (mounted.closed) return;
      console.error(`Tab ${entry.tab.key} failed to load`, exc);
      showError(entry, body, exc);
    }
  }

  function showError(entry, body, exc) {
    const detail = exc?.message && !/^Failed to fetch dynamically imported module/.test(exc.message) ? exc.message : "";
    replace(body, h("div.tab-error", { role: "alert" },
      h("strong", t("widget.tabFailed", { tab: tabTitle(entry.tab) })),
      h("p", t("widget.tabFailedText")),
      detail ? h("p.tab-error-detail", detail) : null,
      h("button.button", {
        type: "button",
        onclick: () => {
          entry.attempt += 1;
          unmount(entry);
          ensureMounted(entry);
        },
      }, t("widget.retry"))));
  }

  function setChat(chat) {
    const sameChat = chat && state.chat && chat.id === state.chat.id;
    if (sameChat) {
      Object.assign(state.chat, chat);
      return;
    }
    state.chat = chat ? { ...chat } : null;
    state.generation += 1;
    for (const entry of state.panels.values()) unmount(entry);
    for (const entry of state.panels.values()) entry.panel.replaceChildren();
    render();
    if (state.selected && visible()) ensureMounted(state.panels.get(state.selected));
  }

  /** Refresh the open chat's fields (status, assignee…) without remounting the tabs. */
  function updateChat(chat) {
    if (chat && state.chat && chat.id === state.chat.id) Object.assign(state.chat, chat);
  }

  function destroy() {
    for (const entry of state.panels.values()) unmount(entry);
    backgrounds.stopAll();
    root.replaceChildren();
  }

  const initial = tabs.find((t) => t.key === remembered()) || tabs[0];
  render();
  tabs.filter((t) => t.background).forEach((tab) => backgrounds.start(tab));
  if (initial) select(initial.key);

  /** The agent chose another language: titles and the empty state again; the open tab mounts anew. */
  function relabel() {
    tablist.setAttribute("aria-label", t("widget.details"));
    for (const entry of state.panels.values()) entry.button.querySelector(".widget-tab-title").textContent = tabTitle(entry.tab);
    setTabs(tabs);
  }

  return { setChat, updateChat, select, setTabs, relabel, destroy, get chat() { return state.chat; },
    get tabs() { return tabs; } };
}

/** A tab's title in the agent's language: its plugin's "tab.<key>" message, else as registered. */
export function tabTitle(tab) {
  const key = `tab.${tab.key}`;
  return tab.plugin && hasMessage(tab.plugin, key) ? translator(tab.plugin)(key) : tab.title;
}

// A host icon by name (drawn, so it doesn't depend on the agent's emoji font), else the
// plugin's own short text such as an emoji.
function tabIcon(name) {
  if (!name) return null;
  if (hasIcon(name)) return icon(name, "widget-tab-icon");
  return h("span.widget-tab-icon", { "aria-hidden": "true" }, name);
}
