// LiveChat tab: the open chat's mirror in LiveChat and the LiveChat calls still waiting.
//
// Shows the LiveChat chat id, whether its thread is active, pending and failed sync items
// with their errors in words ("LiveChat sync delayed: …"), and a Retry button. Updates
// live on `livechat:sync` (pushed by the plugin's worker after each attempt).

function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function when(value) {
  if (!value) return "";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return "";
  return new Intl.DateTimeFormat(undefined, { timeStyle: "short" }).format(date);
}

export function mount(element, ctx) {
  let state = null;
  let error = null;
  let busy = false;
  let closed = false;
  let shown = "";   // what the tab shows now: a push that changes nothing leaves the DOM alone
  // The tab's frame and its Retry button live as long as the tab: a push (the worker
  // reports each attempt) redraws only the facts above the button, so the button never
  // leaves the page or moves while the agent is reaching for it.
  const button = el("button", "livechat-retry");
  button.type = "button";
  button.addEventListener("click", () => retry());
  const body = el("div", "livechat-body");
  const actions = el("div", "livechat-actions", button);
  const frame = el("div", "livechat-tab", body, actions);

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
      element.replaceChildren(el("div", "tab-empty", el("strong", null, "No chat open"),
        el("p", null, "Open a chat to see how it is mirrored in LiveChat.")));
      return;
    }
    if (!state && !error) {
      element.replaceChildren(el("p", "muted", "Loading the LiveChat sync state…"));
      return;
    }
    const parts = [];
    if (error) {
      const alert = el("p", "error livechat-error", error);
      alert.setAttribute("role", "alert");
      parts.push(alert);
    }
    if (state) {
      const problem = state.failed > 0 || state.delayed;
      parts.push(el("p", `livechat-status ${problem ? "warn" : "ok"}`, state.status));
      const facts = el("dl", "kv");
      facts.append(
        el("dt", null, "LiveChat chat"), el("dd", "livechat-chat-id", state.lc_chat_id || "not created yet"),
        el("dt", null, "LiveChat thread"), el("dd", null, state.lc_chat_id ? (state.active ? "active" : "closed") : "—"),
        el("dt", null, "Waiting"), el("dd", "livechat-pending", String(state.pending)),
        el("dt", null, "Failed"), el("dd", "livechat-failed", String(state.failed)),
      );
      parts.push(facts);
      if (state.items.length) {
        const list = el("ul", "livechat-items");
        for (const item of state.items) {
          const meta = item.state === "failed"
            ? `failed after ${item.attempts} attempt${item.attempts === 1 ? "" : "s"}`
            : item.last_error ? `retrying at ${when(item.next_attempt_at)} (attempt ${item.attempts + 1})` : "waiting";
          list.append(el("li", `livechat-item ${item.state}`,
            el("strong", null, item.label), " — ", el("span", "muted", meta),
            item.last_error ? el("p", "livechat-item-error", item.last_error) : null));
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
