// Calls in the console: a chat rings while a call waits on it. Channels that carry calls
// name the events their calls push (their description's `calls`: ringing, answered);
// the host's own call:updated follows every call's status. The ring sounds for the agent who can answer (the assignee, or anyone
// in the group while the chat is queued); everyone who sees the chat sees the indicator
// and whom it rings for. A call nobody picks up stops ringing after RING_LIMIT_MS.
import { notify, startRing, stopRing } from "./alerts.js";
import { callEvents } from "./channels.js";
import { customerLabel } from "./chat_list.js";
import { t } from "./i18n.js";

const RING_LIMIT_MS = 180_000; // voicemail takes the call by then

/** Returns {rows()}: chat id -> {forOther} for the chat list's ringing rows. */
export function followCalls({ socket, store, me, state, render, applyChat, attentive, openChat, refreshTranscript, tabTitle }) {
  const ringing = new Map(); // chat id -> {callId, transfer, timer}

  function canAnswer(chat) {
    if (!chat || chat.status === "archived") return false;
    return chat.agent_id ? chat.agent_id === me.id : store.visible(chat);
  }

  function rows() {
    const found = new Map();
    for (const chatId of ringing.keys()) {
      const chat = store.get(chatId);
      const other = chat?.agent_id && chat.agent_id !== me.id ? chat.agent_name || t("actions.anotherAgent") : null;
      found.set(chatId, { forOther: other });
    }
    return found;
  }

  function refreshRing() {
    if ([...ringing.keys()].some((id) => canAnswer(store.get(id)))) startRing();
    else stopRing();
    render();
  }

  function stopRinging(chatId, callId) {
    const entry = ringing.get(chatId);
    if (!entry || (callId !== undefined && entry.callId !== callId)) return;
    clearTimeout(entry.timer);
    ringing.delete(chatId);
    refreshRing();
  }

  const events = callEvents();
  for (const ringingEvent of events.ringing) {
    const answerTab = events.tabFor(ringingEvent); // where agents answer, as the page titles it
    socket.on(ringingEvent, ({ call, chat, transfer } = {}) => {
      if (!call || !chat) return;
      applyChat(chat);
      clearTimeout(ringing.get(chat.id)?.timer);
      ringing.set(chat.id, { callId: call.id, transfer: Boolean(transfer), timer: setTimeout(() => stopRinging(chat.id), RING_LIMIT_MS) });
      refreshRing();
      if (canAnswer(store.get(chat.id)) && !attentive(chat.id)) {
        const tab = answerTab && tabTitle(answerTab);
        const text = !transfer ? t("calls.incoming") : tab ? t("calls.transferred", { tab }) : t("calls.transferredNoTab");
        notify(customerLabel(chat), text, { tag: `call-${call.id}`, onClick: () => openChat(chat.id) });
      }
    });
  }

  socket.on("call:updated", ({ call } = {}) => {
    if (call?.ended_at && call.chat_id === state.openId) refreshTranscript(call.chat_id); // the call's line
    const entry = call && ringing.get(call.chat_id);
    if (!entry || entry.callId !== call.id) return;
    const answered = call.status === "in-progress" && !entry.transfer;
    if (call.ended_at || answered) stopRinging(call.chat_id, call.id);
  });

  for (const answeredEvent of events.answered) {
    socket.on(answeredEvent, ({ call } = {}) => {
      if (call) stopRinging(call.chat_id, call.id);
    });
  }

  socket.on("chat:updated", () => {
    if (ringing.size) refreshRing(); // an assignment or transfer changes who may answer
  });

  return { rows };
}
