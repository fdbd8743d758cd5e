// The console's lists and open chat follow what happens elsewhere: chats created,
// updated, moved away or renamed, messages arriving and changing state.
import { previewText } from "./chat_list.js";
import { t } from "./i18n.js";

export function followChats({ socket, store, state, applyChat, attentive, alertAgent, markRead, leaveIfMovedAway, chatView, widget,
  refreshTranscript }) {
  socket.on("chat:created", ({ chat, origin } = {}) => {
    if (!chat) return;
    const isNew = !store.get(chat.id);
    applyChat(chat);
    if (isNew && origin !== "agent" && !attentive(chat.id)) alertAgent(chat, t("calls.newConversation"));
  });

  socket.on("chat:updated", ({ chat } = {}) => {
    if (chat) leaveIfMovedAway(applyChat(chat));
  });

  // A chat moved to a group this agent is not in: it leaves the lists (and the open view).
  socket.on("chat:gone", ({ chat_id: chatId, group_id: groupId, group_name: groupName } = {}) => {
    const known = store.get(chatId);
    if (!known || known.group_id === groupId) return; // chat:updated told us already
    leaveIfMovedAway(applyChat({ id: known.id, group_id: groupId, group_name: groupName, agent_id: null }));
  });

  // A customer renamed anywhere: every chat of theirs shows the new name at once.
  socket.on("contact:updated", ({ contact, deleted } = {}) => {
    if (!contact?.id || deleted || !contact.name) return;
    for (const chat of [...store.chats.values()]) {
      if (chat.contact_id === contact.id && chat.customer_name !== contact.name) applyChat({ id: chat.id, customer_name: contact.name });
    }
  });

  socket.on("message:created", ({ message, chat } = {}) => {
    if (!message || !chat) return;
    const inbound = message.direction === "in";
    const watching = attentive(chat.id);
    store.noteMessage(chat, message, { countUnread: inbound && !watching });
    if (chat.id === state.openId) {
      if (state.loading === chat.id) state.buffered.push(message);
      else chatView.upsertMessage(message);
      chatView.updateChat(store.get(chat.id));
      widget.updateChat(store.get(chat.id));
    }
    if (inbound && watching) markRead(chat.id);
    if (inbound && !watching) alertAgent(chat, previewText(message));
  });

  // Why a send failed (or is being retried) is worded by the server for one reader: the
  // push carries the worker's English sentence, so the transcript is read again through
  // the API, which words it in this agent's language. Failures are rare; a burst of them
  // costs a read or two (one more when a reason arrives while a read is under way).
  let reading = false;
  let again = false;
  async function rereadReasons() {
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    do {
      again = false;
      if (state.openId) await refreshTranscript(state.openId);
    } while (again);
    reading = false;
  }

  socket.on("message:updated", ({ message } = {}) => {
    if (!message || message.chat_id !== state.openId) return;
    let shown = message;
    if (message.error_message) {
      shown = { ...message };
      delete shown.error_message; // keep what is shown (already in this agent's words) until the API answers
      rereadReasons();
    }
    if (state.loading === message.chat_id) state.buffered.push(shown);
    else chatView.upsertMessage(shown);
  });
}
