// The console's chats, wherever they came from (list fetches, single fetches, events),
// and which list each belongs in. Realtime payloads carry the chat without `unread`
// and `last_message`; those are kept from what we already knew.
import { parseDate } from "./time.js";

export const VIEWS = ["queued", "mine", "archived"];

// Delivery status order, as on the server: a late "queued" never undoes "sent".
const STATUS_RANK = { received: 0, queued: 1, accepted: 1, scheduled: 1, sending: 2, sent: 3,
  delivered: 4, read: 5, undelivered: 9, failed: 9, canceled: 9 };

export function statusRank(status) {
  return STATUS_RANK[status] ?? -1;
}

/** Merge a newer copy of a message into an older one without moving its status back. */
export function mergeMessage(old, incoming) {
  if (!old) return { ...incoming };
  const merged = { ...old, ...incoming };
  if (statusRank(incoming.status) < statusRank(old.status)) {
    merged.status = old.status;
    merged.error_code = old.error_code;
    merged.error_message = old.error_message;
  }
  return merged;
}

/** ISO timestamps from the same serializer compare correctly as strings. */
function isOlder(incoming, known) {
  return Boolean(incoming && known && String(incoming) < String(known));
}

export class ChatStore {
  constructor(agent, isAdmin) {
    this.agent = agent;
    this.isAdmin = Boolean(isAdmin);
    this.chats = new Map();
    this.listeners = new Set();
  }

  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  changed() {
    for (const fn of this.listeners) fn(this);
  }

  get(id) {
    return this.chats.get(Number(id)) || null;
  }

  /**
   * Add or refresh a chat; returns the stored object. A copy older than the one we
   * have (by `updated_at`) is ignored: an HTTP response can arrive after a realtime
   * event that already reported a later change (e.g. someone transferred the chat).
   */
  upsert(chat, { notify = true } = {}) {
    const id = Number(chat.id);
    const old = this.chats.get(id);
    if (old && isOlder(chat.updated_at, old.updated_at)) {
      if (notify) this.changed();
      return old;
    }
    const merged = { ...(old || { unread: 0, last_message: null }), ...chat };
    if (chat.unread === undefined && old) merged.unread = old.unread;
    if (chat.last_message === undefined && old) merged.last_message = old.last_message;
    merged.unread = merged.unread || 0;
    this.chats.set(id, merged);
    if (notify) this.changed();
    return merged;
  }

  /** Replace the contents of one list with what the server said, keeping others. */
  replaceView(view, chats) {
    for (const [id, chat] of this.chats) {
      if (this.viewOf(chat) === view && !chats.some((c) => Number(c.id) === id)) this.chats.delete(id);
    }
    for (const chat of chats) this.upsert(chat, { notify: false });
    this.changed();
  }

  /** Note a new message on a chat: preview, time, and (for customer messages) unread. */
  noteMessage(chatSnapshot, message, { countUnread }) {
    const chat = this.upsert(chatSnapshot, { notify: false });
    const known = chat.last_message;
    const isNewer = !known || !known.id || !message.id || message.id >= known.id;
    if (isNewer) {
      chat.last_message = { id: message.id, body: message.body, direction: message.direction, kind: message.kind,
        created_at: message.created_at };
      chat.last_message_at = message.created_at || chat.last_message_at;
    }
    if (countUnread) chat.unread = (chat.unread || 0) + 1;
    this.changed();
    return chat;
  }

  markRead(id) {
    const chat = this.get(id);
    if (chat && chat.unread) {
      chat.unread = 0;
      this.changed();
    }
  }

  visible(chat) {
    if (this.isAdmin || !chat.group_id || chat.agent_id === this.agent.id) return true;
    return (this.agent.group_ids || []).includes(chat.group_id);
  }

  viewOf(chat) {
    if (!chat || !this.visible(chat)) return null;
    if (chat.status === "queued") return "queued";
    if (chat.status === "archived") return "archived";
    if (chat.status === "active" && chat.agent_id === this.agent.id) return "mine";
    return null;
  }

  list(view) {
    const rows = [...this.chats.values()].filter((c) => this.viewOf(c) === view);
    const key = (c) => (parseDate(c.last_message_at) || parseDate(c.created_at) || new Date(0)).getTime();
    if (view === "archived") {
      const archivedKey = (c) => (parseDate(c.archived_at) || new Date(0)).getTime() || key(c);
      return rows.sort((a, b) => archivedKey(b) - archivedKey(a) || b.id - a.id);
    }
    return rows.sort((a, b) => key(b) - key(a) || b.id - a.id);
  }

  counts() {
    const counts = Object.fromEntries(VIEWS.map((v) => [v, 0]));
    for (const chat of this.chats.values()) {
      const view = this.viewOf(chat);
      if (view) counts[view] += 1;
    }
    return counts;
  }

  /** Unread customer messages in the lists this agent works from. */
  totalUnread() {
    let total = 0;
    for (const chat of this.chats.values()) if (this.viewOf(chat)) total += chat.unread || 0;
    return total;
  }

  unreadIn(view) {
    return this.list(view).reduce((sum, c) => sum + (c.unread || 0), 0);
  }
}
