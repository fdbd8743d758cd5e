// SMS tab (thin first version): text a customer by SMS. Prefilled with the open
// chat's customer number; the reply lands in that customer's chat.
import { t, useHost } from "./lib/kit.js";
import { mountSendForm, phoneOf } from "./lib/send_form.js";

export function mount(element, ctx) {
  useHost(ctx);
  mountSendForm(element, ctx, {
    channel: "sms",
    label: "SMS",
    prefill: phoneOf,
    placeholder: "+14155550123",
    help: t("sms.help"),
  });
}
