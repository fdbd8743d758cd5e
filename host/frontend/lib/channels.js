// Channels as they describe themselves (host/channel_descriptions.py): names, badge
// colours, what they carry. `channels` (the enabled, set-up ones) comes with the page and
// follows plugins switched on and off; the catalogue of every registered channel, from
// the bootstrap too, draws chats of a channel whose plugin is off or not set up. Both are
// asked for again together (`fetchChannels`) when plugins change or the language does.
import { h } from "./dom.js";
import { t } from "./i18n.js";

const catalogue = new Map(); // key -> description of every registered channel

/** Learn every registered channel's description (the bootstrap's `channelCatalogue`). */
export function learnChannels(descriptions = []) {
  for (const description of descriptions) catalogue.set(description.key, description);
}

/**
 * Every registered channel as the server describes it now, in the agent's language
 * (`GET channels?all=true`): the catalogue learns them all, and `channels`, the page's
 * shared list, changed in place, keeps those agents can use now.
 */
export async function fetchChannels(api, channels) {
  const every = await api("channels?all=true");
  learnChannels(every);
  channels.splice(0, channels.length, ...every.filter((channel) => channel.usable));
}

function described(key, channels = []) {
  return channels.find((c) => c.key === key) || catalogue.get(key) || null;
}

/** Channel `key` by name; `fallback` (when given) names a channel no plugin registers. */
export function channelLabel(key, channels = [], fallback = null) {
  const found = described(key, channels);
  if (found?.label) return found.label;
  if (fallback) return fallback;
  if (!key) return t("channels.unknown");
  return key.charAt(0).toUpperCase() + key.slice(1);
}

/**
 * A badge naming channel `key` in the colours it describes (chat rows, search results,
 * plugin tabs); `text` when the caller names it itself (a plugin in the agent's language).
 */
export function channelBadge(key, channels = [], text = null) {
  const colour = described(key, channels)?.colour;
  const style = colour ? `--channel-tint: ${colour.background}; --channel-ink: ${colour.text}` : null;
  return h("span.badge.channel", { style }, text ?? channelLabel(key, channels));
}

/** A customer's address as people read it on channel `key`: without the prefix the channel writes. */
export function readableAddress(key, address, channels = []) {
  const prefix = described(key, channels)?.address?.prefix;
  return prefix && String(address || "").startsWith(prefix) ? address.slice(prefix.length) : address;
}

/** A channel that carries no text (a phone line): its messages are calls and voicemails. */
export function isCallChannel(key, channels = []) {
  const found = described(key, channels);
  return Boolean(found && (found.text_refusal || found.carries?.text === false));
}

/**
 * The Socket.IO events of every channel that carries calls: {ringing: [...], answered: [...],
 * tabFor(ringingEvent)} — the key of the tab where agents answer those calls, or "".
 */
export function callEvents() {
  const calling = [...catalogue.values()].filter((c) => c.carries?.calls);
  const names = (which) => [...new Set(calling.map((c) => c.carries.calls[which]))];
  const tabFor = (event) => calling.find((c) => c.carries.calls.ringing === event)?.carries.calls.answer_tab || "";
  return { ringing: names("ringing"), answered: names("answered"), tabFor };
}

/**
 * The channel a chat's typed replies go by: its own, unless that one carries no text (an
 * older chat a call left on a phone line): then the first text channel of the same plugin,
 * as the server picks (host/text_channels.py). null when there is none.
 */
export function replyChannel(key, channels = []) {
  const own = channels.find((c) => c.key === key);
  if (!own || !own.text_refusal) return key;
  const texts = channels.filter((c) => !c.text_refusal);
  return (texts.find((c) => c.plugin === own.plugin) || texts[0])?.key || null;
}
