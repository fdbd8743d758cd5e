// The browser's message catalog: one per page, for the signed-in agent's language.
//
// The server embeds it in the page's bootstrap (`language`, `timeZone`, `messages`):
// `messages` holds one catalog per namespace — "host" for Switchboard's own screens and
// one per plugin (its `messages/<language>.json`, English filling any gap). Messages are
// ICU MessageFormat ("{count, plural, one {# chat} other {# chats}}"), formatted with
// FormatJS's intl-messageformat in the agent's language.
//
// Code asks for a message by key with a literal string — `t("chat.reply")` — so
// `host/frontend/i18n_check.mjs` can find every key and check it against the catalogs.
// A plugin tab gets `ctx.t`, bound to its own plugin's catalog.
//
// When the agent picks another language or zone (profile page), the server tells every
// open console and widget ("agent:preferences"); `followPreferences` loads the new catalog
// and calls back so the page can draw itself again, in place.
import { IntlMessageFormat } from "intl-messageformat";

const state = {
  language: "en",
  timeZone: undefined, // undefined: the browser's own zone
  catalogs: {},
  formats: new Map(),
};
const listeners = new Set();
// Written right to left (as host/i18n.py's RTL_LANGUAGES): the page's `dir` follows.
const RTL_LANGUAGES = new Set(["ar", "fa", "he", "ur"]);

/** Use this language, zone and catalogs from now on, and tell whoever listens. */
export function setLocale({ language, timeZone, messages } = {}) {
  state.language = language || "en";
  state.timeZone = validZone(timeZone) ? timeZone : undefined;
  state.catalogs = messages || {};
  state.formats.clear();
  document.documentElement.lang = state.language;
  document.documentElement.dir = RTL_LANGUAGES.has(state.language.split("-")[0]) ? "rtl" : "ltr";
  for (const listener of [...listeners]) listener();
}

function validZone(zone) {
  if (!zone) return false;
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export function currentLanguage() {
  return state.language;
}

/** The agent's chosen IANA zone, or undefined for the browser's own (as Intl takes it). */
export function currentTimeZone() {
  return state.timeZone;
}

/** Called after every change of language or zone; returns a function that stops it. */
export function onLocaleChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Whether `namespace`'s catalog has `key` (e.g. an optional translated tab title). */
export function hasMessage(namespace, key) {
  return Object.prototype.hasOwnProperty.call(state.catalogs[namespace] || {}, key);
}

function format(namespace, key, values) {
  const id = `${namespace}\u0000${key}`;
  let formatter = state.formats.get(id);
  if (formatter === undefined) {
    const source = (state.catalogs[namespace] || {})[key];
    if (typeof source !== "string") {
      console.warn(`No message "${key}" in the ${namespace} catalog`);
      return key;
    }
    try {
      formatter = new IntlMessageFormat(source, state.language);
    } catch (exc) {
      console.error(`The message "${key}" of the ${namespace} catalog is not valid ICU`, exc);
      formatter = null;
    }
    state.formats.set(id, formatter);
  }
  if (formatter === null) return key;
  try {
    return String(formatter.format(values));
  } catch (exc) {
    console.error(`The message "${key}" needs other values`, exc);
    return key;
  }
}

/** `t(key, values)` for one namespace's catalog: "host" or a plugin's name. */
export function translator(namespace) {
  return (key, values) => format(namespace, key, values);
}

/** Switchboard's own screens. */
export const t = translator("host");

/** A number in the agent's language ("1 234,5" in Polish). */
export function formatNumber(value, options) {
  return new Intl.NumberFormat(state.language, options).format(value);
}

/**
 * Follow the agent's choice while the page is open: on "agent:preferences" load the new
 * catalogs (`api` as the page authenticates) and switch, then `redraw()`.
 */
export function followPreferences({ socket, api, redraw }) {
  socket.on("agent:preferences", async (preferences) => {
    const language = preferences?.language || state.language;
    try {
      const data = await api(`messages/${encodeURIComponent(language)}`);
      setLocale({ language: data.language, timeZone: preferences?.time_zone, messages: data.messages });
      redraw?.();
    } catch (exc) {
      console.error("Could not load the messages of the chosen language", exc);
    }
  });
}

/** Read the bootstrap's language, zone and catalogs into this module. */
export function startLocale(boot) {
  setLocale({ language: boot.language, timeZone: boot.timeZone, messages: boot.messages });
}
