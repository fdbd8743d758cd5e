// What the transcript says besides bubbles: calls and voicemails as rows of their own,
// which channel each message travelled on when a chat used several, a line at each
// change of channel, and delivery states in words.
import { channelLabel, isCallChannel } from "./channels.js";
import { h, safeUrl } from "./dom.js";
import { icon } from "./icons.js";
import { t } from "./i18n.js";

const STATUS_TEXT = {
  queued: () => t("status.queued"), sending: () => t("status.sending"), accepted: () => t("status.queued"),
  scheduled: () => t("status.scheduled"), sent: () => t("status.sent"), delivered: () => t("status.delivered"),
  read: () => t("status.read"), failed: () => t("status.failed"), undelivered: () => t("status.undelivered"),
  canceled: () => t("status.canceled"),
};

/** A delivery state in words, in the agent's language. */
export function statusText(status) {
  return STATUS_TEXT[status]?.() || status;
}

const EVENT_KINDS = new Set(["system", "note", "call"]);

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

/** "Switched to <channel>": the line between two messages on different text channels. */
export function channelChange(key, channels) {
  return h("div.channel-change", { role: "separator", dataset: { channel: key } },
    h("span", t("transcript.switchedTo", { channel: channelLabel(key, channels) })));
}

/** The channel a message went by, in its meta line (only when the chat used several). */
export function channelTag(key, channels) {
  return h("span.msg-channel", { dataset: { channel: key } }, channelLabel(key, channels));
}

/** The delivery state of an outgoing message, in words next to its ticks. */
export function deliveryText(status) {
  const failed = ["failed", "undelivered", "canceled"].includes(status);
  return h(`span.msg-status-text${failed ? ".is-failed" : ""}`, { dataset: { status } }, statusText(status));
}

function player(media, label) {
  const url = safeUrl(media?.url);
  if (!url) return null;
  return h("audio.msg-audio", { controls: true, preload: "none", src: url, "aria-label": label });
}

function parts(body) {
  const duration = /(\d+:\d\d)\)?\s*$/.exec(body || "")?.[1] || null;
  const reason = /\(([a-z -]+)\)\s*$/i.exec(body || "")?.[1] || null;
  return { duration, reason: reason && missedReason(reason) };
}

/** Why a call was missed, as the host stores it in the call's line (Twilio's final call
 *  statuses, in English), in the agent's words. */
function missedReason(reason) {
  switch (reason.toLowerCase()) {
    case "busy": return t("transcript.callBusy");
    case "no answer": return t("transcript.callNoAnswer");
    case "failed": return t("transcript.callFailed");
    case "canceled": return t("transcript.callCanceled");
    default: return reason;
  }
}

/**
 * A call's line: incoming or outgoing, who answered (or placed) it, how long it lasted,
 * or that it was missed and why; a voicemail left on it plays in place.
 */
export function callRow(message, time) {
  const incoming = message.direction !== "out";
  const missed = message.status === "failed";
  const { duration, reason } = parts(message.body);
  const title = missed ? (incoming ? t("transcript.missedIncoming") : t("transcript.missedOutgoing"))
    : (incoming ? t("transcript.incomingCall") : t("transcript.outgoingCall"));
  const details = [];
  if (missed && reason) details.push(reason);
  if (!missed && message.agent_name) {
    details.push(incoming ? t("transcript.answeredBy", { name: message.agent_name }) : t("transcript.placedBy", { name: message.agent_name }));
  }
  if (!missed && duration) details.push(duration);
  const recording = (message.media || []).find((m) => String(m.content_type || "").startsWith("audio/"));
  return h("div.msg.msg-event.kind-call", {
    dataset: { messageId: message.id, status: message.status, outcome: missed ? "missed" : "answered", direction: incoming ? "in" : "out" },
  }, h("div.msg-event-body", icon("phone", missed ? "call-missed-icon" : ""),
    h("strong.call-title", title), details.length ? h("span.call-details", ` · ${details.join(" · ")}`) : null, " ", time),
  recording ? player(recording, t("transcript.voicemailRecording")) : null);
}

/** A voicemail the customer left: a row with its length and a player. */
export function voicemailRow(message, time) {
  const { duration } = parts(message.body);
  const recording = (message.media || []).find((m) => String(m.content_type || "").startsWith("audio/")) || (message.media || [])[0];
  return h("div.msg.msg-event.kind-voicemail", { dataset: { messageId: message.id, status: message.status } },
    h("div.msg-event-body", icon("phone"), h("strong.call-title", t("transcript.voicemail")),
      duration ? h("span.call-details", ` · ${duration}`) : null, " ", time),
    player(recording, duration ? t("transcript.voicemailLasting", { duration }) : t("transcript.voicemail")));
}

/** A template message's marker: the body above is what the customer read. */
export function templateMark(message) {
  const name = message.template?.name || message.template?.sid || "";
  const text = message.body ? (name ? t("transcript.templateNamed", { name }) : t("transcript.template"))
    : (name ? t("transcript.templateNamedNoText", { name }) : t("transcript.templateNoText"));
  return h("div.msg-template", { title: t("transcript.templateTitle") }, text);
}
