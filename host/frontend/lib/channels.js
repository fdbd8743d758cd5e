// Channel names and badges. Labels come from the enabled channels in the bootstrap;
// chats on a channel whose plugin was switched off still get a readable name.
import { h } from "./dom.js";
import { t } from "./i18n.js";

const KNOWN = { sms: () => "SMS", mms: () => "MMS", whatsapp: () => "WhatsApp", voice: () => t("channels.voice"),
  livechat: () => "LiveChat", email: () => t("channels.email") };

export function channelLabel(key, channels = []) {
  const found = channels.find((c) => c.key === key);
  if (found?.label) return found.label;
  if (!key) return t("channels.unknown");
  return KNOWN[key]?.() || key.charAt(0).toUpperCase() + key.slice(1);
}

/** A CSS-safe class suffix for the channel badge colour. */
export function channelClass(key) {
  return "ch-" + String(key || "other").toLowerCase().replace(/[^a-z0-9-]/g, "");
}

/**
 * The channel a chat's typed replies go by: its own, unless that one carries no text (an
 * older chat a call left on "voice"): then the first text channel of the same plugin, as
 * the server picks (host/text_channels.py). null when there is none.
 */
export function replyChannel(key, channels = []) {
  const own = channels.find((c) => c.key === key);
  if (!own || !own.text_refusal) return key;
  const texts = channels.filter((c) => !c.text_refusal);
  return (texts.find((c) => c.plugin === own.plugin) || texts[0])?.key || null;
}

/** A badge naming channel `key` in its colour (chat rows, search results, plugin tabs). */
export function channelBadge(key, channels = []) {
  return h(`span.badge.channel.${channelClass(key)}`, channelLabel(key, channels));
}
