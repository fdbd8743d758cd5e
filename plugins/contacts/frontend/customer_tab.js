// Customer tab (thin first version): who the open chat is with.
// The contacts team replaces this with profiles, notes and call buttons.

function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function parseDate(value) {
  if (!value) return null;
  const text = String(value);
  const date = new Date(/([zZ]|[+-]\d\d:?\d\d)$/.test(text) ? text : `${text}Z`);
  return Number.isNaN(date.getTime()) ? null : date;
}

function formatDate(value) {
  const date = parseDate(value);
  return date ? new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" }).format(date) : "—";
}

function channelLabel(key, channels) {
  const known = { sms: "SMS", whatsapp: "WhatsApp", voice: "Voice", livechat: "LiveChat" };
  return channels.find((c) => c.key === key)?.label || known[key] || key || "—";
}

function initials(name) {
  const words = String(name || "").replace(/[^\p{L}\s]/gu, " ").trim().split(/\s+/).filter(Boolean);
  return words.length ? (words[0][0] + (words.length > 1 ? words[words.length - 1][0] : "")).toUpperCase() : "#";
}

export function mount(element, ctx) {
  function render() {
    const chat = ctx.chat;
    if (!chat) {
      element.replaceChildren(el("div", "tab-empty",
        el("strong", null, "No customer yet"),
        el("p", null, "Open a chat to see who you're talking to.")));
      return;
    }
    const name = chat.customer_name || "";
    const rows = [
      ["Name", name || "Not known yet"],
      [chat.channel === "whatsapp" ? "WhatsApp" : "Address", chat.customer_address],
      ["Channel", channelLabel(chat.channel, ctx.channels)],
      ["First seen", formatDate(chat.created_at)],
      ["Group", chat.group_name || "None"],
      ["Assigned to", chat.agent_id ? (chat.agent_id === ctx.agent?.id ? "You" : chat.agent_name || "Another agent") : "Nobody yet"],
    ];
    const list = el("dl", "kv");
    for (const [label, value] of rows) list.append(el("dt", null, label), el("dd", null, value));
    element.replaceChildren(el("div", "customer-card",
      el("div", "customer-head",
        el("span", "avatar avatar-lg", initials(name)),
        el("div", null,
          el("h3", "customer-name", name || chat.customer_address),
          name ? el("p", "muted", chat.customer_address) : null)),
      list));
  }

  render();
  ctx.on("chat:updated", ({ chat } = {}) => {
    if (chat && ctx.chat && chat.id === ctx.chat.id) {
      Object.assign(ctx.chat, chat);
      render();
    }
  });
}
