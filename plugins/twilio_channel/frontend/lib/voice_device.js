// The page's voice Device: `window.SwitchboardVoiceDevice` when a page or test provides
// one (same constructor and method names as the SDK's Device), else the simulator's
// stand-in when the token says `device: "simulator"`, else @twilio/voice-sdk's Device.
// Its access token is renewed before it expires.
import { Device } from "@twilio/voice-sdk";
import { SimulatedDevice } from "./simulated_device.js";
import { t } from "./kit.js";

/** Returns {ensure() → Promise<Device>, get(), destroy()}; `state` shows how it is doing. */
export function createDevices({ api, socket, state, changed, onIncoming }) {
  let device = null;
  let starting = null;
  let refreshTimer = null;

  async function fetchToken() {
    return api("/api/v1/voice/token");
  }

  function ensure() {
    if (device && state.device === "ready") return Promise.resolve(device);
    if (starting) return starting;
    state.device = "starting";
    state.error = "";
    changed();
    starting = (async () => {
      const token = await fetchToken();
      const Custom = window.SwitchboardVoiceDevice;
      const DeviceClass = Custom || (token.device === "simulator" ? SimulatedDevice : Device);
      state.mode = Custom ? "custom" : token.device;
      const options = { closeProtection: true, socket, logLevel: "warn" };
      if (token.edge) options.edge = token.edge; // the Twilio region's edge (e.g. "dublin" for IE1)
      device = new DeviceClass(token.token, options);
      device.on("incoming", onIncoming);
      device.on("error", (error) => {
        state.error = error?.message || t("phone.deviceError");
        changed();
      });
      device.on("tokenWillExpire", renewToken);
      await device.register();
      scheduleRenewal(token.ttl);
      state.device = "ready";
      changed();
      return device;
    })().catch((exc) => {
      state.device = "error";
      state.error = exc?.message || t("phone.couldNotStart");
      device = null;
      changed();
      throw exc;
    }).finally(() => {
      starting = null;
    });
    return starting;
  }

  async function renewToken() {
    try {
      const token = await fetchToken();
      device?.updateToken(token.token);
      scheduleRenewal(token.ttl);
    } catch (exc) {
      state.error = t("phone.renewFailed", { problem: exc.message });
      changed();
    }
  }

  // The SDK warns with tokenWillExpire; a timer renews too, for Devices that don't.
  function scheduleRenewal(ttl) {
    clearTimeout(refreshTimer);
    if (ttl > 120) refreshTimer = setTimeout(renewToken, (ttl - 60) * 1000);
  }

  function destroy() {
    clearTimeout(refreshTimer);
    device?.destroy();
    device = null;
  }

  return { ensure, get: () => device, destroy };
}
