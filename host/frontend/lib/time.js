// Dates from the API are UTC; naive ISO strings (no offset) are read as UTC too.

export function parseDate(value) {
  if (!value) return null;
  if (value instanceof Date) return value;
  const text = String(value);
  const hasZone = /([zZ]|[+-]\d\d:?\d\d)$/.test(text);
  const date = new Date(hasZone ? text : text + "Z");
  return Number.isNaN(date.getTime()) ? null : date;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
const dayFormat = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric" });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** "now", "5m", "3h", "Yesterday", "Mar 4" — short, for the chat list. */
export function relativeTime(value, now = new Date()) {
  const date = parseDate(value);
  if (!date) return "";
  const seconds = Math.max(0, (now - date) / 1000);
  if (seconds < 45) return "now";
  if (seconds < 3600) return `${Math.round(seconds / 60)}m`;
  if (seconds < 86400 && date.getDate() === now.getDate()) return `${Math.floor(seconds / 3600)}h`;
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (date.toDateString() === yesterday.toDateString()) return "Yesterday";
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h`;
  return dayFormat.format(date);
}

/** "14:05" today, "Mar 4, 14:05" otherwise — for message timestamps. */
export function messageTime(value, now = new Date()) {
  const date = parseDate(value);
  if (!date) return "";
  if (date.toDateString() === now.toDateString()) return timeFormat.format(date);
  return `${dayFormat.format(date)}, ${timeFormat.format(date)}`;
}

export function fullTime(value) {
  const date = parseDate(value);
  return date ? fullFormat.format(date) : "";
}

export function dayLabel(value, now = new Date()) {
  const date = parseDate(value);
  if (!date) return "";
  if (date.toDateString() === now.toDateString()) return "Today";
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (date.toDateString() === yesterday.toDateString()) return "Yesterday";
  return new Intl.DateTimeFormat(undefined, { weekday: "long", month: "long", day: "numeric" }).format(date);
}
