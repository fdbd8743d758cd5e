// What the server says about calls (Socket.IO call:* and chat:updated), folded into the
// phone's state: the newest record per chat, who is on a call, transfers, mute.
import { t } from "./kit.js";

const LIVE = new Set(["queued", "initiated", "ringing", "in-progress", "answered"]);

/** Whether a server call record is still ringing or running. */
export function isLive(record) {
  return Boolean(record) && !record.ended_at && LIVE.has(record.status);
}

export function followRecords({ state, agent, changed, finish, endedReason }) {
  function noteRecord(record) {
    if (!record?.chat_id) return;
    const known = state.records.get(record.chat_id);
    if (!known || known.id <= record.id) state.records.set(record.chat_id, record);
    const active = state.active;
    if (active && active.chatId === record.chat_id && (!active.recordId || active.recordId === record.id)) {
      active.recordId = record.id;
      if (record.ended_at && !active.ended) {
        // the server saw the call end (e.g. the caller hung up): the Device follows
        try {
          if (active.call && active.call.status() !== "closed") active.call.disconnect();
        } catch { /* a Device that already closed it */ }
        finish(endedReason(active));
      }
    }
    if (!isLive(record)) {
      state.onCall.delete(record.id);
      state.transfers.delete(record.id);
    }
    changed();
  }

  function noteIncoming({ call: record, transfer } = {}) {
    if (!record) return;
    if (transfer) state.transfers.add(record.id);
    noteRecord(record);
  }

  function noteConnected({ call: record, agent_id: agentId, agent_name: agentName } = {}) {
    if (!record) return;
    state.onCall.set(record.id, { agent_id: agentId, agent_name: agentName });
    state.transfers.delete(record.id);
    noteRecord(record);
  }

  function noteChat(chat) {
    const active = state.active;
    if (!chat || !active || active.chatId !== chat.id || active.transferredTo || active.hungUpByMe) return;
    if (active.ended && Date.now() - active.endedAt > 10_000) return; // a later transfer, not why it ended
    if (chat.agent_id && chat.agent_id !== agent.id) {
      active.transferredTo = chat.agent_name || t("call.anotherAgent");
      if (active.ended) active.ended = endedReason(active); // the call ended because of the transfer
      changed();
    }
  }

  function noteMuted({ call_id: recordId, muted } = {}) {
    if (state.active?.recordId === recordId) {
      state.active.muted = Boolean(muted);
      changed();
    }
  }

  return { noteRecord, noteIncoming, noteConnected, noteChat, noteMuted };
}
