// The one phone of the page (lib/voice_phone.js) and the Call tab's background part:
// it starts with the page, follows the call events of every chat, keeps the call bar in
// the page's live bar and answers the Customer/Contacts tabs' Call buttons.
import { createCallBar } from "./call_bar.js";
import { t, useHost } from "./kit.js";
import { createPhone } from "./voice_phone.js";
import { isLive } from "./voice_records.js";

let phone = null;
let phoneSubscriptions = [];

/** Whether this document is denied the microphone by the page framing it (Permissions Policy). */
export function microphoneBlocked() {
  const policy = document.permissionsPolicy || document.featurePolicy;
  return Boolean(policy && typeof policy.allowsFeature === "function") && !policy.allowsFeature("microphone");
}

/** Open the call window for the open chat; an error sentence when the browser refused. */
export function openCallWindow(ctx) {
  const win = ctx.popOut ? ctx.popOut("call") : null;
  if (!win) throw new Error(t("call.popupBlocked"));
  win.focus?.();
  return win;
}

export function phoneFor(ctx) {
  if (phone) return phone;
  const current = createPhone({ api: ctx.api, socket: ctx.socket, agent: ctx.agent });
  phone = current;
  // Page-long subscriptions (not ctx.on, which ends with a tab's mount), until the
  // plugin is switched off (stopPhone).
  const socket = ctx.socket;
  const askWaiting = () => socket.emit("call:waiting", {});
  phoneSubscriptions = [
    ["call:incoming", (data) => current.noteIncoming(data)],
    ["call:updated", (data) => current.noteRecord(data?.call)],
    ["call:connected", (data) => current.noteConnected(data)],
    ["call:muted", (data) => current.noteMuted(data)],
    ["chat:updated", (data) => current.noteChat(data?.chat)],
    // A call that started ringing before this page connected (a reload, a reconnect after
    // a network blip) is sent again as call:incoming to this connection only.
    ["connect", askWaiting],
  ];
  for (const [event, handler] of phoneSubscriptions) socket?.on(event, handler);
  if (socket?.connected) askWaiting();
  window.switchboardPhone = current; // for curious admins and tests
  return current;
}

/** The plugin was switched off: no more ringing in this browser, no more call events. */
function stopPhone(socket) {
  for (const [event, handler] of phoneSubscriptions) socket?.off(event, handler);
  phoneSubscriptions = [];
  phone?.destroy();
  phone = null;
  delete window.switchboardPhone;
}

export function background(ctx) {
  useHost(ctx);
  const p = phoneFor(ctx);
  const poppedOut = microphoneBlocked() && Boolean(ctx.popOut);
  const onCall = async (event) => {
    const { address, contact_id: contactId } = event.detail || {};
    ctx.show();
    if (poppedOut) return; // the Call tab offers the call window
    try {
      const placed = await p.place({ to: address, contactId });
      if (ctx.currentChat()?.id !== placed.chat.id) ctx.openChat(placed.chat.id);
    } catch (exc) {
      p.reportError(exc.message);
    }
  };
  window.addEventListener("switchboard:call", onCall);
  // Registered from the start, so a transferred call can ring this browser directly —
  // unless this frame has no microphone: then the call window registers its own.
  if (!poppedOut) p.ensureDevice().catch(() => {});
  // Bring the Call tab forward when the open chat has a call this agent can take.
  let shownFor = null;
  const showWhenWaiting = () => {
    const chat = ctx.currentChat();
    if (!chat) return;
    const record = p.state.records.get(chat.id);
    const waiting = p.state.pending.has(chat.id) || (isLive(record) && record.direction === "in"
      && (record.status === "ringing" || p.state.transfers.has(record.id)));
    const mayAnswer = !chat.agent_id || chat.agent_id === ctx.agent.id;
    const key = waiting && mayAnswer ? `${chat.id}:${record?.id}` : null;
    if (key && key !== shownFor) {
      shownFor = key;
      ctx.show();
    }
  };
  const unsubscribe = p.subscribe(showWhenWaiting);
  const timer = setInterval(showWhenWaiting, 500); // the open chat changes without telling background tabs
  // The call bar: the ringing or running call's controls, above every list, chat and tab.
  // A frame without the microphone has none: its Call tab sends calls to the call window,
  // whose own bar answers them.
  const stopBar = ctx.liveBar && !poppedOut ? createCallBar({ bar: ctx.liveBar, phone: p, ctx }) : () => {};
  return () => {
    stopBar();
    window.removeEventListener("switchboard:call", onCall);
    unsubscribe();
    clearInterval(timer);
    stopPhone(ctx.socket);
  };
}
