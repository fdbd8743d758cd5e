// What the host hands a plugin tab: the `ctx` of `mount(element, ctx)` and
// `background(ctx)`. It is the whole front-end kit a plugin gets, so a plugin's bundle
// never imports host source files and a plugin installed with pip can ship a prebuilt one.
//
// ctx = {
//   chat,                 the open chat (ChatListItem shape) or null; updated in place
//   agent,                the signed-in agent
//   api(path, {method, json}) → Promise<JSON>; throws Error(readable message) with
//                         .status and .errors (field errors of a 422)
//   socket,               the Socket.IO client
//   on(event, handler),   socket subscription, removed automatically on unmount
//   onLocaleChange(fn),   fn() after the agent switched language or zone, once the new
//                         catalogs are in (ctx.t and ctx.time speak the new one); stops
//                         on unmount. Mounted tabs are mounted again anyway; this is for
//                         what a background tab keeps drawn (e.g. a call bar)
//   openChat(chatId),     open another chat in the console
//   channels,             enabled channels as they describe themselves (see channels.js)
//   t(key, values),       a message of the tab's plugin's catalog (messages/<language>.json,
//                         ICU MessageFormat) in the agent's language; keys are literal
//                         strings, so `host/frontend/i18n_check.mjs` can check them
//   language,             the agent's language ("pl")
//   time: {               times and numbers in the agent's language and time zone
//     fullTime(iso), messageTime(iso), relativeTime(iso), dayLabel(iso),
//     duration(seconds) ("1:05"), number(n, options) },
//   dom: {                the host's DOM helpers (lib/dom.js): user data goes in as text,
//     h, replace,         never as HTML
//     escapeHtml, safeUrl, initials },
//   style: {              the host's look, for plugins that draw channels or people
//     channelBadge(key, text?) a badge naming the channel in its own colour
//     channelLabel(key, fallback?) the channel's name, switched off or not set up too,
//                         in the agent's language; `fallback` when no plugin registers it
//     address(key, address) the address without the prefix the channel writes },
//   escapeHtml(text),     (also in dom)
//   icon(name, className) a drawn host icon (<span class="icon"><svg>) by name, e.g.
//                         "phone", "mute", "edit", "user" (lib/icons.js); text otherwise
//   popOut(tabKey),       open this chat's widget with that tab in a window of its own, on
//                         Switchboard's origin (e.g. calls, when a framing page denies the
//                         microphone); returns the window, or null where the page can't
// }
//
// A tab's styles come from the stylesheet its WidgetTab declares (a CSS file its plugin
// serves): the host links it once per page and mounts the tab when it has loaded.
import { escapeHtml, h, initials, replace, safeUrl } from "./dom.js";
import { channelBadge, channelLabel, readableAddress } from "./channels.js";
import { hasIcon, icon } from "./icons.js";
import { currentLanguage, formatNumber, onLocaleChange, translator } from "./i18n.js";
import { dayLabel, duration, fullTime, messageTime, relativeTime } from "./time.js";

export const DOM = Object.freeze({ h, replace, escapeHtml, safeUrl, initials });
// Times and numbers in the agent's language and time zone.
export const TIME = Object.freeze({ fullTime, messageTime, relativeTime, dayLabel, duration, number: formatNumber });

/** The ctx of one mounted tab: `mounted.subscriptions` collects its socket handlers. */
export function tabContext(base, mounted, currentChat, tab = {}) {
  const chat = currentChat();
  const channels = base.channels || [];
  return {
    chat,
    agent: base.agent,
    api: base.api,
    socket: base.socket,
    channels,
    dom: DOM,
    // The tab's own plugin's messages, in the agent's language (see lib/i18n.js).
    t: translator(tab.plugin || "host"),
    get language() { return currentLanguage(); },
    time: TIME,
    style: Object.freeze({
      channelBadge: (key, text = null) => channelBadge(key, channels, text),
      channelLabel: (key, fallback = null) => channelLabel(key, channels, fallback),
      address: (key, address) => readableAddress(key, address, channels),
    }),
    escapeHtml,
    icon: (name, className = "") => (hasIcon(name) ? icon(name, className) : h("span", String(name))),
    openChat: (chatId) => base.openChat?.(chatId),
    popOut: (tabKey) => (base.popOut ? base.popOut(currentChat()?.id ?? null, tabKey) : null),
    onLocaleChange(listener) {
      if (mounted.closed) return () => {};
      const stop = onLocaleChange(() => {
        if (mounted.closed) stop(); // unmounted since: forget it at the first change after
        else listener();
      });
      return stop;
    },
    on(event, handler) {
      if (mounted.closed || !base.socket) return () => {};
      const wrapped = (...args) => {
        if (mounted.closed) return;
        try {
          handler(...args);
        } catch (exc) {
          console.error(`A handler for ${event} failed`, exc);
        }
      };
      base.socket.on(event, wrapped);
      const pair = [event, wrapped];
      mounted.subscriptions.push(pair);
      return () => {
        base.socket.off(event, wrapped);
        const index = mounted.subscriptions.indexOf(pair);
        if (index >= 0) mounted.subscriptions.splice(index, 1);
      };
    },
  };
}

const linked = new Map(); // stylesheet URL -> Promise settled once it loaded (or failed)

/**
 * Link a tab's stylesheet into the page once; resolves when it applies, so a tab is never
 * drawn unstyled. A stylesheet that fails to load leaves the tab usable, just plain.
 */
export function stylesheetReady(url) {
  if (!url) return Promise.resolve();
  if (!linked.has(url)) {
    const existing = [...document.querySelectorAll('link[rel="stylesheet"]')].find((l) => l.getAttribute("href") === url);
    linked.set(url, existing ? Promise.resolve() : new Promise((resolve) => {
      const link = h("link", { rel: "stylesheet", href: url, dataset: { tabStylesheet: "" } });
      link.addEventListener("load", () => resolve());
      link.addEventListener("error", () => {
        console.error(`The stylesheet ${url} could not be loaded`);
        resolve();
      });
      document.head.append(link);
    }));
  }
  return linked.get(url);
}
