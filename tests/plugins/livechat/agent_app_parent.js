// A stand-in for LiveChat's Agent App around a Details widget, for the browser tests.
//
// It speaks the same protocol the widget's @livechat/agent-app-sdk expects, using the very
// library the SDK uses for it (@livechat/postmessage): the parent frames the widget,
// starts the handshake, exposes a `handle` method the widget calls with
// {plugin_id, message, data} (e.g. "plugin_inited"), and sends events by calling the
// widget's `handle` with {event_name: "livechat:<event>", event_data}.
// A reconnectable frame re-handshakes after the widget navigates (e.g. after sign-in).
import { createReconnectableIframe } from "@livechat/postmessage";

const harness = {
  received: [],
  connections: 0,
  child: null,
  sendProfile(profile) {
    if (!harness.child) throw new Error("the widget has not connected yet");
    return harness.child.call("handle", { event_name: "livechat:customer_profile", event_data: profile });
  },
};
window.lcHarness = harness;

createReconnectableIframe(
  {
    container: document.getElementById("agent-app"),
    url: window.WIDGET_URL,
    onConnected(child) {
      harness.child = child;
      harness.connections += 1;
    },
  },
  {
    handle(message) {
      harness.received.push(message);
      return true;
    },
  },
);
