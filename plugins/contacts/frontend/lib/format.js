// Formatting shared by the Customer and Contacts tabs.
import { t, time } from "./kit.js";

const KNOWN = { sms: "SMS", whatsapp: "WhatsApp", voice: "Voice", livechat: "LiveChat", phone: "SMS", email: "Email" };
const KIND_LABELS = { phone: () => t("kind.phone"), whatsapp: () => "WhatsApp", email: () => t("kind.email"),
  livechat: () => "LiveChat" };

export function channelLabel(key, channels = []) {
  return channels.find((c) => c.key === key)?.label || KNOWN[key] || key || "";
}

/** A channel by name (a chat's, a contact's preferred one) in the agent's language, switched off now or not. */
export function chatChannel(key, ctx) {
  return ctx.style.channelLabel(key, KNOWN[key] || key || "");
}

/** What an identity is called next to its address: "Phone", "WhatsApp", "Loopback"… */
export function kindLabel(kind, channels = []) {
  return KIND_LABELS[kind]?.() || channelLabel(kind, channels);
}

/** The channel whose consent an identity records: a phone identity is SMS. */
export function consentLabel(kind, channels = []) {
  if (kind === "phone") return channelLabel("sms", channels);
  return kindLabel(kind, channels);
}

export function showAddress(identity) {
  return String(identity.address || "").replace(/^whatsapp:/, "");
}

/** A stored time in the agent's language and time zone. */
export function formatDate(value) {
  return value ? time.fullTime(value) : "";
}

/** A contact's name, or the best thing to call them by. */
export function displayName(contact) {
  if (!contact) return "";
  return contact.name || contact.email || contact.phone || contact.whatsapp
    || (contact.identities?.[0] ? showAddress(contact.identities[0]) : t("contact.numbered", { id: contact.id }));
}

/** The number to call: the phone, else the WhatsApp number. */
export function callAddress(contact) {
  return contact?.phone || contact?.whatsapp || null;
}

export function subtitle(contact, channels = []) {
  const parts = [];
  if (contact.name && contact.phone) parts.push(contact.phone);
  else if (contact.name && contact.whatsapp) parts.push(`WhatsApp ${contact.whatsapp}`);
  if (contact.email && contact.name) parts.push(contact.email);
  if (!parts.length) {
    const other = (contact.identities || []).find((i) => showAddress(i) !== displayName(contact));
    if (other) parts.push(`${kindLabel(other.kind, channels)} ${showAddress(other)}`);
  }
  return parts.join(" · ");
}

export function debounce(fn, wait) {
  let timer = null;
  const wrapped = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), wait);
  };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}
