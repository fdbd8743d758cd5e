// WhatsApp tab (thin first version): write to a customer on WhatsApp. The To field
// holds a `whatsapp:+E164` address, prefilled from the open chat.
import { mountSendForm, phoneOf } from "./lib/send_form.js";

function whatsappAddress(chat) {
  const phone = phoneOf(chat).replace(/[\s().-]/g, "");
  return phone ? `whatsapp:${phone.startsWith("+") ? phone : `+${phone}`}` : "";
}

export function mount(element, ctx) {
  mountSendForm(element, ctx, {
    channel: "whatsapp",
    label: "WhatsApp",
    prefill: whatsappAddress,
    placeholder: "whatsapp:+14155550123",
    help: "Outside 24 hours since the customer's last message, WhatsApp only delivers approved templates.",
  });
}
