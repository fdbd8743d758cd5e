// The Gateway tab: which numbers the open chat's SMS go between. This file is the tab's
// whole bundle, shipped as is in the package: it imports nothing, and takes the host's
// DOM and styling helpers from ctx (ctx.dom, ctx.style). Its styles are gateway_tab.css,
// declared on the WidgetTab. A plugin with npm dependencies would bundle them into
// static/ before publishing; Switchboard never builds an installed plugin's sources.
const CHANNEL = "http_sms";

export function mount(element, ctx) {
  const { h, replace } = ctx.dom;
  const chat = ctx.chat;
  if (!chat || chat.channel !== CHANNEL) {
    replace(element, h("div.tab-empty", h("strong", "Not a gateway chat"),
      h("p", "This chat doesn't go through the SMS gateway, so there is nothing to show here.")));
    return;
  }
  replace(element, h("div.gateway-card",
    h("div.gateway-head", ctx.style.channelBadge(CHANNEL), h("span", "Sent through your HTTP SMS gateway")),
    h("dl.kv",
      h("dt", "Customer"), h("dd", chat.customer_address || "Unknown"),
      h("dt", "Our number"), h("dd", chat.sender || "The gateway's default sender"))));
}
