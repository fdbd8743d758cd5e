// The customer phone's call controls (templates/twilio_channel_phone_voice.html).
(() => {
  const csrf = document.querySelector("[data-csrf]").dataset.csrf;
  const $ = (id) => document.getElementById(id);
  const customer = () => document.getElementById("sim-form").elements.from.value.trim();
  const LIVE = ["queued", "ringing", "in-progress"];
  // The sentences, in the agent's language, from the page (templates/twilio_channel_phone_voice.html).
  const TEXT = JSON.parse(document.getElementById("sim-call-text").textContent);
  const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, name) => String(values[name]));
  let current = null;

  async function post(path, body) {
    const res = await fetch(path, {method: "POST", headers: {"X-CSRFToken": csrf, "Content-Type": "application/json",
      Accept: "application/json"}, body: JSON.stringify(body || {})});
    const out = await res.json().catch(() => ({}));
    if (!res.ok) $("sim-call-state").textContent = out.description || out.message || `HTTP ${res.status}`;
    refresh();
  }

  function clock(s) { return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`; }

  function show(call) {
    current = call;
    const live = call && LIVE.includes(call.status);
    const incoming = live && call.direction === "outbound-dial" && call.status === "ringing";
    let text = TEXT.none;
    if (incoming) text = fill(TEXT.incoming, { number: call.from });
    else if (live) text = `${TEXT.activity[call.activity] || call.status}${call.status === "in-progress" && call.activity === "talking" ? " · " + clock(call.duration) : ""}`;
    else if (call) text = `${fill(TEXT.last, { status: call.status })}${call.duration ? " · " + clock(call.duration) : ""}`;
    $("sim-call-state").textContent = text;
    $("sim-call-state").dataset.live = live ? "yes" : "no";
    $("sim-call-state").dataset.activity = call ? call.activity : "";
    $("sim-call-answer").hidden = $("sim-call-decline").hidden = !incoming;
    $("sim-call-stop").hidden = !(live && call.activity === "voicemail");
    $("sim-call-hangup").hidden = !live || incoming;
    $("sim-call-dial").disabled = Boolean(live);
    $("sim-call-heard").innerHTML = "";
    for (const line of (call && call.heard) || []) {
      const li = document.createElement("li");
      li.textContent = line;
      $("sim-call-heard").append(li);
    }
  }

  async function refresh() {
    const number = customer();
    if (!number) return;
    try {
      const res = await fetch(`/simulator/phone/voice/calls?number=${encodeURIComponent(number)}`, {headers: {Accept: "application/json"}});
      if (!res.ok) return;
      const calls = await res.json();
      show(calls.find((c) => LIVE.includes(c.status)) || calls.find((c) => c.direction !== "outbound-dial" || c.status !== "busy") || calls[0] || null);
    } catch (e) { /* the server restarted: try again */ }
  }

  $("sim-call-dial").addEventListener("click", () => post("/simulator/phone/voice/call", {from: customer(), to: $("sim-call-to").value}));
  $("sim-call-hangup").addEventListener("click", () => current && post(`/simulator/phone/voice/calls/${current.sid}/hangup`));
  $("sim-call-answer").addEventListener("click", () => current && post(`/simulator/phone/voice/calls/${current.sid}/answer`));
  $("sim-call-decline").addEventListener("click", () => current && post(`/simulator/phone/voice/calls/${current.sid}/decline`));
  $("sim-call-stop").addEventListener("click", () => current && post(`/simulator/phone/voice/calls/${current.sid}/stop-recording`));
  refresh(); setInterval(refresh, 1000);
})();
