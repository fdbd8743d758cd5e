// The Gateway tab: which numbers the open chat's SMS go between. This file is the tab's
// whole bundle, shipped as is in the package: it imports nothing, and takes the host's
// DOM and styling helpers from ctx (ctx.dom, ctx.style). Its styles are gateway_tab.css,
// declared on the WidgetTab. A plugin with npm dependencies would bundle them into
// static/ before publishing; Switchboard never builds an installed plugin's sources.
// Its words come from messages/<language>.json next to the plugin's module, via ctx.t.
const CHANNEL = "http_sms";

export function mount(element, ctx) {
  const { h, replace } = ctx.dom;
  const { t } = ctx;
  const chat = ctx.chat;
  if (!chat || chat.channel !== CHANNEL) {
    replace(element, h("div.tab-empty", h("strong", t("notGateway")), h("p", t("notGatewayText"))));
    return;
  }
  replace(element, h("div.gateway-card",
    h("div.gateway-head", ctx.style.channelBadge(CHANNEL), h("span", t("sentThrough"))),
    h("dl.kv",
      h("dt", t("customer")), h("dd", chat.customer_address || t("unknown")),
      h("dt", t("ourNumber")), h("dd", chat.sender || t("defaultSender")))));
}
