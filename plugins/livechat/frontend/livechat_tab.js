// LiveChat tab: the open chat's mirror in LiveChat and the LiveChat calls still waiting.
//
// Shows the LiveChat chat id, whether its thread is active, pending and failed sync items
// with their errors in words ("LiveChat sync delayed: …"), and a Retry button. Updates
// live on `livechat:sync` (pushed by the plugin's worker after each attempt).


export function mount(element, ctx) {
  const { h } = ctx.dom;
  const { t } = ctx;
  // The worker's pushes reach every agent watching the chat, so the state comes as codes
  // and the tab words it in its own agent's language.
  const statusText = (code, error) => ({
    failed: () => t("sync.status.failed", { error }),
    delayed: () => t("sync.status.delayed", { error }),
    not_configured: () => t("sync.status.notConfigured"),
    syncing: () => t("sync.status.syncing"),
    in_sync: () => t("sync.status.inSync"),
    not_mirrored: () => t("sync.status.notMirrored"),
  })[code]?.();
  const actionText = (action) => ({
    open: () => t("sync.action.open"),
    message: () => t("sync.action.message"),
    update_customer: () => t("sync.action.updateCustomer"),
    transfer: () => t("sync.action.transfer"),
    deactivate: () => t("sync.action.deactivate"),
    mark_delivered: () => t("sync.action.markDelivered"),
    reply: () => t("sync.action.reply"),
  })[action]?.();
  const when = (value) => (value ? ctx.time.fullTime(value) : ""); // the agent's language and zone
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
      error = exc.message || t("sync.loadFailed");
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
      error = exc.message || t("sync.retryFailed");
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
      element.replaceChildren(h("div", { class: "tab-empty" }, h("strong", null, t("sync.noChat")),
        h("p", null, t("sync.noChatText"))));
      return;
    }
    if (!state && !error) {
      element.replaceChildren(h("p", { class: "muted" }, t("sync.loading")));
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
      parts.push(h("p", { class: `livechat-status ${problem ? "warn" : "ok"}` },
        statusText(state.status_code, state.status_error) ?? state.status));
      const facts = h("dl", { class: "kv" });
      facts.append(
        h("dt", null, t("sync.chat")), h("dd", { class: "livechat-chat-id" }, state.lc_chat_id || t("sync.notCreated")),
        h("dt", null, t("sync.thread")), h("dd", null, state.lc_chat_id ? (state.active ? t("sync.active") : t("sync.closed")) : "—"),
        h("dt", null, t("sync.waiting")), h("dd", { class: "livechat-pending" }, ctx.time.number(state.pending)),
        h("dt", null, t("sync.failed")), h("dd", { class: "livechat-failed" }, ctx.time.number(state.failed)),
      );
      parts.push(facts);
      if (state.items.length) {
        const list = h("ul", { class: "livechat-items" });
        for (const item of state.items) {
          const meta = item.state === "failed"
            ? t("sync.failedAfter", { attempts: item.attempts })
            : item.last_error ? t("sync.retryingAt", { when: when(item.next_attempt_at), attempt: item.attempts + 1 }) : t("sync.itemWaiting");
          list.append(h("li", { class: `livechat-item ${item.state}` },
            h("strong", null, actionText(item.action) ?? item.label), " — ", h("span", { class: "muted" }, meta),
            item.last_error ? h("p", { class: "livechat-item-error" }, item.last_error) : null));
        }
        parts.push(list);
      }
    }
    const canRetry = Boolean(state) && state.configured && (state.failed > 0 || state.pending > 0 || !state.mirrored);
    actions.hidden = !canRetry;
    if (canRetry) {
      button.textContent = busy ? t("sync.retrying") : (state.mirrored || state.items.length ? t("sync.retryNow") : t("sync.mirror"));
      button.disabled = busy;
    }
    body.replaceChildren(...parts);
    if (element.firstChild !== frame || element.childNodes.length !== 1) element.replaceChildren(frame);
  }

  ctx.on("livechat:sync", (data) => {
    if (!data || !ctx.chat || data.chat_id !== ctx.chat.id) return;
    // A push goes to every agent watching the chat, so its reasons are in English: the
    // API words them in this agent's language (failures are rare; one read each).
    if (data.status_error || data.items?.some((item) => item.last_error)) return void load();
    keepNewest({ ...data, configured: state ? state.configured : true });
    render();
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
