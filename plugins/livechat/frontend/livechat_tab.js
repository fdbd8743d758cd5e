// LiveChat tab: the open chat's mirror in LiveChat and the LiveChat calls still waiting.
//
// Shows the LiveChat chat id, whether its thread is active, pending and failed sync items
// with their errors in words ("LiveChat sync delayed: …"), and a Retry button. Updates
// live on `livechat:sync` (pushed by the plugin's worker after each attempt).

function when(value) {
  if (!value) return "";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return "";
  return new Intl.DateTimeFormat(undefined, { timeStyle: "short" }).format(date);
}

export function mount(element, ctx) {
  const { h } = ctx.dom;
  let state = null;
  let error = null;
  let busy = false;
  let closed = false;
  let shown = "";   // what the tab shows now: a push that changes nothing leaves the DOM alone
  // The tab's frame and its Retry button live as long as the tab: a push (the worker
  // reports each attempt) redraws only the facts above the button, so the button never
  // leaves the page or moves while the agent is reaching for it.
  const button = h("button", { class: "livechat-retry" });
  button.type = "button";
  button.addEventListener("click", () => retry());
  const body = h("div", { class: "livechat-body" });
  const actions = h("div", { class: "livechat-actions" }, button);
  const frame = h("div", { class: "livechat-tab" }, body, actions);

  // Answers and pushes can cross on the way: an older state never replaces a newer one.
  function keepNewest(next) {
    if (!state || !(next.as_of < state.as_of)) state = { ...(state || {}), ...next };
  }

  async function load() {
    if (!ctx.chat) return render();
    try {
      keepNewest(await ctx.api(`/api/v1/livechat/chats/${ctx.chat.id}/sync`));
      error = null;
    } catch (exc) {
      error = exc.message || "The LiveChat sync state could not be loaded.";
    }
    if (!closed) render();
  }

  async function retry() {
    busy = true;
    render();
    try {
      keepNewest(await ctx.api(`/api/v1/livechat/chats/${ctx.chat.id}/sync/retry`, { method: "POST", json: {} }));
      error = null;
    } catch (exc) {
      error = exc.message || "Retrying failed.";
    }
    busy = false;
    if (!closed) render();
  }

  function render() {
    const { as_of: _readAt, ...shownState } = state || {};
    const signature = JSON.stringify([ctx.chat?.id ?? null, state && shownState, error, busy]);
    if (signature === shown) return;
    shown = signature;
    if (!ctx.chat) {
      element.replaceChildren(h("div", { class: "tab-empty" }, h("strong", null, "No chat open"),
        h("p", null, "Open a chat to see how it is mirrored in LiveChat.")));
      return;
    }
    if (!state && !error) {
      element.replaceChildren(h("p", { class: "muted" }, "Loading the LiveChat sync state…"));
      return;
    }
    const parts = [];
    if (error) {
      const alert = h("p", { class: "error livechat-error" }, error);
      alert.setAttribute("role", "alert");
      parts.push(alert);
    }
    if (state) {
      const problem = state.failed > 0 || state.delayed;
      parts.push(h("p", { class: `livechat-status ${problem ? "warn" : "ok"}` }, state.status));
      const facts = h("dl", { class: "kv" });
      facts.append(
        h("dt", null, "LiveChat chat"), h("dd", { class: "livechat-chat-id" }, state.lc_chat_id || "not created yet"),
        h("dt", null, "LiveChat thread"), h("dd", null, state.lc_chat_id ? (state.active ? "active" : "closed") : "—"),
        h("dt", null, "Waiting"), h("dd", { class: "livechat-pending" }, String(state.pending)),
        h("dt", null, "Failed"), h("dd", { class: "livechat-failed" }, String(state.failed)),
      );
      parts.push(facts);
      if (state.items.length) {
        const list = h("ul", { class: "livechat-items" });
        for (const item of state.items) {
          const meta = item.state === "failed"
            ? `failed after ${item.attempts} attempt${item.attempts === 1 ? "" : "s"}`
            : item.last_error ? `retrying at ${when(item.next_attempt_at)} (attempt ${item.attempts + 1})` : "waiting";
          list.append(h("li", { class: `livechat-item ${item.state}` },
            h("strong", null, item.label), " — ", h("span", { class: "muted" }, meta),
            item.last_error ? h("p", { class: "livechat-item-error" }, item.last_error) : null));
        }
        parts.push(list);
      }
    }
    const canRetry = Boolean(state) && state.configured && (state.failed > 0 || state.pending > 0 || !state.mirrored);
    actions.hidden = !canRetry;
    if (canRetry) {
      button.textContent = busy ? "Retrying…" : (state.mirrored || state.items.length ? "Retry now" : "Mirror in LiveChat");
      button.disabled = busy;
    }
    body.replaceChildren(...parts);
    if (element.firstChild !== frame || element.childNodes.length !== 1) element.replaceChildren(frame);
  }

  ctx.on("livechat:sync", (data) => {
    if (data && ctx.chat && data.chat_id === ctx.chat.id) {
      keepNewest({ ...data, configured: state ? state.configured : true });
      render();
    }
  });
  ctx.on("chat:updated", ({ chat } = {}) => {
    if (chat && ctx.chat && chat.id === ctx.chat.id) load();
  });

  render();
  load();
  return () => {
    closed = true;
  };
}
