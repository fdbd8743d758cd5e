// What the transcript says besides bubbles: calls and voicemails as rows of their own,
// which channel each message travelled on when a chat used several, a line at each
// change of channel, and delivery states in words.
import { channelLabel } from "./channels.js";
import { h, safeUrl } from "./dom.js";
import { icon } from "./icons.js";

export const STATUS_TEXT = { queued: "Queued", sending: "Sending", accepted: "Queued", scheduled: "Scheduled", sent: "Sent",
  delivered: "Delivered", read: "Read", failed: "Failed", undelivered: "Not delivered", canceled: "Canceled" };

const EVENT_KINDS = new Set(["system", "note", "call"]);

/** A channel that carries no text (a phone line): its messages are calls and voicemails. */
export function isCallChannel(key, channels = []) {
  return Boolean(channels.find((c) => c.key === key)?.text_refusal) || key === "voice";
}

/** Whether a message travelled as text on its channel (not a call, voicemail, note or system line). */
export function isTextMessage(message, channels) {
  return !EVENT_KINDS.has(message.kind || "text") && !isCallChannel(message.channel, channels);
}

/** The text channels a transcript's messages used, in order of first use. */
export function textChannelsUsed(messages, channels) {
  const used = [];
  for (const message of messages) {
    if (isTextMessage(message, channels) && message.channel && !used.includes(message.channel)) used.push(message.channel);
  }
  return used;
}

/** "Switched to WhatsApp": the line between two messages on different text channels. */
export function channelChange(key, channels) {
  return h("div.channel-change", { role: "separator", dataset: { channel: key } },
    h("span", `Switched to ${channelLabel(key, channels)}`));
}

/** The channel a message went by, in its meta line (only when the chat used several). */
export function channelTag(key, channels) {
  return h("span.msg-channel", { dataset: { channel: key } }, channelLabel(key, channels));
}

/** The delivery state of an outgoing message, in words next to its ticks. */
export function deliveryText(status) {
  const failed = ["failed", "undelivered", "canceled"].includes(status);
  return h(`span.msg-status-text${failed ? ".is-failed" : ""}`, { dataset: { status } }, STATUS_TEXT[status] || status);
}

function player(media, label) {
  const url = safeUrl(media?.url);
  if (!url) return null;
  return h("audio.msg-audio", { controls: true, preload: "none", src: url, "aria-label": label });
}

function parts(body) {
  const duration = /(\d+:\d\d)\)?\s*$/.exec(body || "")?.[1] || null;
  const reason = /\(([a-z -]+)\)\s*$/i.exec(body || "")?.[1] || null;
  return { duration, reason };
}

/**
 * A call's line: incoming or outgoing, who answered (or placed) it, how long it lasted,
 * or that it was missed and why; a voicemail left on it plays in place.
 */
export function callRow(message, time) {
  const incoming = message.direction !== "out";
  const missed = message.status === "failed";
  const { duration, reason } = parts(message.body);
  const way = incoming ? "Incoming call" : "Outgoing call";
  const title = missed ? `Missed ${way.toLowerCase()}` : way;
  const details = [];
  if (missed && reason) details.push(reason);
  if (!missed && message.agent_name) details.push(incoming ? `answered by ${message.agent_name}` : `by ${message.agent_name}`);
  if (!missed && duration) details.push(duration);
  const recording = (message.media || []).find((m) => String(m.content_type || "").startsWith("audio/"));
  return h("div.msg.msg-event.kind-call", {
    dataset: { messageId: message.id, status: message.status, outcome: missed ? "missed" : "answered", direction: incoming ? "in" : "out" },
  }, h("div.msg-event-body", icon("phone", missed ? "call-missed-icon" : ""),
    h("strong.call-title", title), details.length ? h("span.call-details", ` · ${details.join(" · ")}`) : null, " ", time),
  recording ? player(recording, "Voicemail recording") : null);
}

/** A voicemail the customer left: a row with its length and a player. */
export function voicemailRow(message, time) {
  const { duration } = parts(message.body);
  const recording = (message.media || []).find((m) => String(m.content_type || "").startsWith("audio/")) || (message.media || [])[0];
  return h("div.msg.msg-event.kind-voicemail", { dataset: { messageId: message.id, status: message.status } },
    h("div.msg-event-body", icon("phone"), h("strong.call-title", "Voicemail"),
      duration ? h("span.call-details", ` · ${duration}`) : null, " ", time),
    player(recording, `Voicemail${duration ? `, ${duration}` : ""}`));
}

/** A template message's marker: the body above is what the customer read. */
export function templateMark(message) {
  const name = message.template?.name || message.template?.sid || "";
  return h("div.msg-template", { title: "Sent as an approved template" },
    message.body ? `Template${name ? ` · ${name}` : ""}` : `Template${name ? ` ${name}` : ""} (its text was not kept)`);
}
