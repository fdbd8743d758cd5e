// Getting an agent's attention: a short beep, a phone ring while a call waits, a browser
// notification (only after the agent allowed it), and the unread total in the tab title.
import { h } from "./dom.js";
import { icon } from "./icons.js";
import { t } from "./i18n.js";

let audio = null;
let lastBeep = 0;
let soundOn = true; // the agent's choice on their profile page

/** Whether beeps and the ring play at all (notifications and the call bar show regardless). */
export function setSound(enabled) {
  soundOn = Boolean(enabled);
  if (!soundOn) stopRing();
}

function audioContext() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return null;
  if (!audio) audio = new Context();
  return audio;
}

// Browsers only let audio start after a user gesture: unlock on the first one.
export function unlockAudioOnGesture() {
  const unlock = () => {
    const ctx = audioContext();
    if (ctx && ctx.state === "suspended") ctx.resume().catch(() => {});
    window.removeEventListener("pointerdown", unlock);
    window.removeEventListener("keydown", unlock);
  };
  window.addEventListener("pointerdown", unlock);
  window.addEventListener("keydown", unlock);
}

/** Two soft tones, at most once every 1.5 s however many messages arrive together. */
export function beep() {
  if (!soundOn) return false;
  const now = Date.now();
  if (now - lastBeep < 1500) return false;
  lastBeep = now;
  window.switchboardBeeps = (window.switchboardBeeps || 0) + 1; // visible to tests and curious admins
  const ctx = audioContext();
  if (!ctx || ctx.state !== "running") return true;
  const start = ctx.currentTime;
  [[880, 0], [1320, 0.12]].forEach(([frequency, offset]) => {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = "sine";
    osc.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, start + offset);
    gain.gain.exponentialRampToValueAtTime(0.12, start + offset + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.18);
    osc.connect(gain).connect(ctx.destination);
    osc.start(start + offset);
    osc.stop(start + offset + 0.2);
  });
  return true;
}

export function notificationsSupported() {
  return "Notification" in window;
}

/** Show a notification if allowed; clicking it focuses the tab and runs `onClick`. */
export function notify(title, body, { tag, onClick } = {}) {
  if (!notificationsSupported() || Notification.permission !== "granted") return null;
  try {
    const n = new Notification(title, { body: String(body || "").slice(0, 180), tag, renotify: Boolean(tag) });
    n.onclick = () => {
      window.focus();
      onClick?.();
      n.close();
    };
    return n;
  } catch {
    return null; // e.g. Android Chrome needs a service worker for notifications
  }
}

/**
 * A small "Enable notifications" button, shown only while permission is undecided.
 * It asks once; after the answer it hides itself for good.
 */
export function notificationButton() {
  const button = h("button.link.notify-button", { type: "button", title: t("alerts.notifyTitle") },
    icon("bell"), t("alerts.enable"));
  const refresh = () => {
    button.hidden = !notificationsSupported() || Notification.permission !== "default";
  };
  button.addEventListener("click", async () => {
    try {
      await Notification.requestPermission();
    } finally {
      refresh();
    }
  });
  refresh();
  return button;
}

// A phone ring, distinct from the message beep: two short bursts of 440+480 Hz (the
// North American ring tone) every 3 s, for as long as a call waits for this agent.
let ringTimer = null;

function ringOnce() {
  window.switchboardRings = (window.switchboardRings || 0) + 1; // visible to tests
  const ctx = audioContext();
  if (!ctx || ctx.state !== "running") return;
  const start = ctx.currentTime;
  [0, 0.5].forEach((offset) => {
    const gain = ctx.createGain();
    gain.gain.setValueAtTime(0.0001, start + offset);
    gain.gain.exponentialRampToValueAtTime(0.09, start + offset + 0.03);
    gain.gain.setValueAtTime(0.09, start + offset + 0.37);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.4);
    gain.connect(ctx.destination);
    for (const frequency of [440, 480]) {
      const osc = ctx.createOscillator();
      osc.frequency.value = frequency;
      osc.connect(gain);
      osc.start(start + offset);
      osc.stop(start + offset + 0.42);
    }
  });
}

/** Ring until stopRing(); calling it again while ringing changes nothing. */
export function startRing() {
  window.switchboardRinging = true;
  if (ringTimer || !soundOn) return;
  ringOnce();
  ringTimer = setInterval(ringOnce, 3000);
}

export function stopRing() {
  window.switchboardRinging = false;
  clearInterval(ringTimer);
  ringTimer = null;
}

/** "(3) Switchboard" while there are unread messages. */
export function setUnreadTitle(count, base = "Switchboard") {
  document.title = count > 0 ? `(${count}) ${base}` : base;
}
