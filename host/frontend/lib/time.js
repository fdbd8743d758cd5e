// Times for people, in the agent's language and time zone (lib/i18n.js: the zone they
// chose on their profile, else the browser's). Dates from the API are UTC; naive ISO
// strings (no offset) are read as UTC too.
import { currentLanguage, currentTimeZone, onLocaleChange, t } from "./i18n.js";

export function parseDate(value) {
  if (!value) return null;
  if (value instanceof Date) return value;
  const text = String(value);
  const hasZone = /([zZ]|[+-]\d\d:?\d\d)$/.test(text);
  const date = new Date(hasZone ? text : text + "Z");
  return Number.isNaN(date.getTime()) ? null : date;
}

let formats = null;
onLocaleChange(() => { formats = null; });

function format(name) {
  if (!formats) {
    const base = { timeZone: currentTimeZone() };
    const make = (options) => new Intl.DateTimeFormat(currentLanguage(), { ...base, ...options });
    formats = {
      // The language's own short time ("9:05" in Spanish, "09:05" in Polish, "9:05 AM" in
      // English): hour/minute options would force a numeric hour, "9:05", on every language.
      time: make({ timeStyle: "short" }),
      day: make({ month: "short", day: "numeric" }),
      full: make({ dateStyle: "medium", timeStyle: "short" }),
      long: make({ weekday: "long", month: "long", day: "numeric" }),
      key: new Intl.DateTimeFormat("en-CA", { ...base, year: "numeric", month: "2-digit", day: "2-digit" }),
    };
  }
  return formats[name];
}

/** The calendar day ("2026-03-04") a moment falls on in the agent's zone. */
export function dayKey(value) {
  const date = parseDate(value);
  return date ? format("key").format(date) : null;
}

function daysBefore(date, now) {
  const day = (d) => Date.parse(`${format("key").format(d)}T00:00:00Z`);
  return Math.round((day(now) - day(date)) / 86_400_000);
}

/** "now", "5m", "3h", "Yesterday", "Mar 4" — short, for the chat list. */
export function relativeTime(value, now = new Date()) {
  const date = parseDate(value);
  if (!date) return "";
  const seconds = Math.max(0, (now - date) / 1000);
  if (seconds < 45) return t("time.now");
  if (seconds < 3600) return t("time.minutesShort", { count: Math.round(seconds / 60) });
  const days = daysBefore(date, now);
  if (days <= 0) return t("time.hoursShort", { count: Math.floor(seconds / 3600) });
  if (days === 1) return t("time.yesterday");
  return format("day").format(date);
}

/** "14:05" today, "Mar 4, 14:05" otherwise — for message timestamps. */
export function messageTime(value, now = new Date()) {
  const date = parseDate(value);
  if (!date) return "";
  if (daysBefore(date, now) === 0) return format("time").format(date);
  return t("time.dayAndTime", { day: format("day").format(date), time: format("time").format(date) });
}

export function fullTime(value) {
  const date = parseDate(value);
  return date ? format("full").format(date) : "";
}

/** "Today", "Yesterday", "Wednesday, March 4" — the transcript's day separators. */
export function dayLabel(value, now = new Date()) {
  const date = parseDate(value);
  if (!date) return "";
  const days = daysBefore(date, now);
  if (days === 0) return t("time.today");
  if (days === 1) return t("time.yesterday");
  return format("long").format(date);
}

/** A call's length: "0:42", "12:05", "1:02:03" (digits in the agent's language). */
export function duration(seconds) {
  const total = Math.max(0, Math.round(Number(seconds) || 0));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n) => new Intl.NumberFormat(currentLanguage(), { minimumIntegerDigits: 2, useGrouping: false }).format(n);
  const one = (n) => new Intl.NumberFormat(currentLanguage(), { useGrouping: false }).format(n);
  return h ? `${one(h)}:${two(m)}:${two(s)}` : `${one(m)}:${two(s)}`;
}
