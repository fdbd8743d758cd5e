// Contacts tab (thin first version): recent customers, newest first, one row per
// address, with "Open" to jump to their chat. Replaced later by real contact search.

function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function channelLabel(key, channels) {
  const known = { sms: "SMS", whatsapp: "WhatsApp", voice: "Voice", livechat: "LiveChat" };
  return channels.find((c) => c.key === key)?.label || known[key] || key || "";
}

const STATUS = { queued: "Waiting", active: "Open", archived: "Archived" };

export function mount(element, ctx) {
  let chats = [];
  let query = "";
  let failed = "";

  const search = el("input", "tab-search");
  search.type = "search";
  search.placeholder = "Filter by name or number";
  search.setAttribute("aria-label", "Filter contacts");
  search.addEventListener("input", () => {
    query = search.value.trim().toLowerCase();
    renderList();
  });
  const list = el("ul", "item-list");
  element.replaceChildren(search, list);

  function unique(rows) {
    const seen = new Set();
    return rows.filter((chat) => {
      const key = String(chat.customer_address || "").replace(/^whatsapp:/, "");
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }

  function renderList() {
    if (failed) {
      list.replaceChildren(el("li", "tab-error", failed));
      return;
    }
    const rows = unique(chats).filter((c) => !query
      || (c.customer_name || "").toLowerCase().includes(query)
      || (c.customer_address || "").toLowerCase().includes(query));
    if (!rows.length) {
      list.replaceChildren(el("li", "tab-empty",
        el("strong", null, query ? "No match" : "No customers yet"),
        el("p", null, query ? "Nobody you've talked to matches that." : "Customers appear here after their first message.")));
      return;
    }
    list.replaceChildren(...rows.map((chat) => {
      const open = el("button", "button small", chat.id === ctx.chat?.id ? "Open ✓" : "Open");
      open.type = "button";
      open.disabled = chat.id === ctx.chat?.id;
      open.setAttribute("aria-label", `Open chat with ${chat.customer_name || chat.customer_address}`);
      open.addEventListener("click", () => ctx.openChat(chat.id));
      return el("li", "item",
        el("div", "item-main",
          el("strong", "item-title", chat.customer_name || chat.customer_address),
          el("span", "item-sub",
            chat.customer_name ? `${chat.customer_address} · ` : "",
            channelLabel(chat.channel, ctx.channels), " · ", STATUS[chat.status] || chat.status)),
        open);
    }));
  }

  async function load() {
    try {
      chats = await ctx.api("/api/v1/chats?view=all&limit=200");
      failed = "";
    } catch (exc) {
      failed = `Couldn't load customers: ${exc.message}`;
    }
    renderList();
  }

  list.replaceChildren(el("li", "tab-loading", "Loading customers…"));
  load();
  const refresh = ({ chat } = {}) => {
    if (!chat) return;
    const index = chats.findIndex((c) => c.id === chat.id);
    if (index >= 0) chats[index] = { ...chats[index], ...chat };
    else chats.unshift(chat);
    renderList();
  };
  ctx.on("chat:created", refresh);
  ctx.on("chat:updated", refresh);
}
