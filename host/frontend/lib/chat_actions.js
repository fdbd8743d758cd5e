// What an agent does to a chat from the console: accept, archive, reopen, transfer,
// attach a file, reply. Each answers with a toast in words; the chat comes back from
// the server and is applied to the lists and the open view.
import { toast } from "./toast.js";
import { openTransferDialog } from "./transfer_dialog.js";
import { t } from "./i18n.js";

/** `view()` is the console's chat view (made after these actions, which it is handed). */
export function chatActions({ api, me, state, store, view, applyChat, setView, openChat }) {
  async function act(path, { json, done, after } = {}) {
    const id = state.openId;
    try {
      const chat = await api(`chats/${id}/${path}`, { method: "POST", json });
      applyChat(chat);
      if (after) after(chat);
      if (done) toast(done(chat), "ok");
    } catch (exc) {
      toast(exc.message, "error");
    }
  }

  function accept() {
    return act("accept", { after: () => setView("mine") });
  }

  function archive() {
    return act("archive", { done: () => t("actions.archived") });
  }

  function reopen() {
    return act("reopen", { json: {}, after: () => setView("mine"), done: () => t("actions.reopened") });
  }

  async function transfer() {
    const chat = view().chat;
    if (!chat) return;
    const result = await openTransferDialog({ chat, api, me });
    if (!result) return;
    applyChat(result);
    toast(result.agent_id ? t("actions.transferred", { name: result.agent_name || t("actions.anotherAgent") })
      : t("actions.queued", { group: result.group_name || t("console.anotherGroup") }), "ok");
  }

  /** Transfer a chat from anywhere (the call bar): open it, then the same dialog. */
  async function transferChat(chatId) {
    await openChat(chatId);
    if (view().chat?.id === Number(chatId)) await transfer();
  }

  /** Upload a file to attach to the next reply in `chat`; the channel's limits answer at once. */
  function upload(chat, file) {
    const form = new FormData();
    form.append("file", file, file.name);
    return api(`chats/${chat.id}/attachments`, { method: "POST", form });
  }

  async function send(body, attachmentIds = []) {
    const chat = view().chat;
    const message = await api(`chats/${chat.id}/messages`, { method: "POST", json: { body, attachment_ids: attachmentIds } });
    view().upsertMessage(message);
    store.noteMessage(store.get(chat.id) || chat, message, { countUnread: false });
    if (chat.status === "queued") {
      // Replying took the chat: it now lives in My chats, so follow it there.
      applyChat({ id: chat.id, status: "active", agent_id: me.id, agent_name: me.name || me.email });
      setView("mine");
    }
    return message;
  }

  return { accept, archive, reopen, transfer, transferChat, upload, send };
}
