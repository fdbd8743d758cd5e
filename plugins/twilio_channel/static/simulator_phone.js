// The customer phone page (simulator mode): play the customer over SMS and WhatsApp.
// Loaded by templates/twilio_channel_phone.html; the CSRF token comes from the page.
(() => {
  const csrf = document.querySelector("[data-csrf]").dataset.csrf;
  const form = document.getElementById("sim-form");
  const thread = document.getElementById("sim-thread");
  const status = document.getElementById("sim-status");
  const toSelect = form.elements.to;
  const esc = (t) => String(t ?? "").replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
  let lastRendered = "";
  // The sentences, in the agent's language, from the page (templates/twilio_channel_phone.html).
  const TEXT = JSON.parse(document.getElementById("sim-phone-text").textContent);
  const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, name) => String(values[name]));

  function fillNumbers() {
    const list = JSON.parse(toSelect.dataset[form.elements.channel.value] || "[]");
    toSelect.innerHTML = list.map((n) => `<option value="${esc(n)}">${esc(n)}</option>`).join("");
  }
  function say(text, bad) { status.textContent = text; status.className = "sim-status" + (bad ? " bad" : ""); }

  function bubble(m) {
    const mine = m.direction === "inbound";
    const cls = m.direction === "outbound-reply" ? "twilio" : (mine ? "me" : "them");
    const who = m.direction === "outbound-reply" ? TEXT.twilio : (mine ? TEXT.you : "Switchboard");
    const media = (m.media || []).map((x) => (x.content_type || "").startsWith("image/") || !x.content_type
      ? `<img src="${esc(x.url)}" alt="${esc(TEXT.attachment)}">` : `<a href="${esc(x.url)}">${esc(TEXT.attachment)}</a>`).join("");
    const err = m.error_code ? ` · ${esc(fill(TEXT.error, { code: m.error_code }))}` : "";
    const when = new Date(m.created_at).toLocaleTimeString(document.documentElement.lang || undefined);
    return `<div class="sim-msg ${cls}" data-sid="${esc(m.sid)}" data-status="${esc(m.status)}">${esc(m.body)}${media}` +
      `<span class="sim-meta">${who} · ${esc(m.channel)}${m.template ? " " + esc(TEXT.template) : ""} · ${when} · <b class="sim-state">${esc(m.status)}</b>${err}</span></div>`;
  }

  async function refresh() {
    const number = form.elements.from.value.trim();
    if (!number) return;
    try {
      const res = await fetch(`/simulator/phone/messages?number=${encodeURIComponent(number)}`, {headers: {Accept: "application/json"}});
      if (!res.ok) return;
      const rows = await res.json();
      const html = rows.length ? rows.map(bubble).join("") : `<p class="muted">${esc(TEXT.empty)}</p>`;
      if (html !== lastRendered) {
        const atBottom = thread.scrollTop + thread.clientHeight >= thread.scrollHeight - 20;
        thread.innerHTML = html; lastRendered = html;
        if (atBottom) thread.scrollTop = thread.scrollHeight;
      }
    } catch (e) { /* the server restarted: try again on the next tick */ }
  }

  async function send() {
    const body = document.getElementById("sim-body");
    const file = document.getElementById("sim-file");
    const data = new FormData(form);
    data.set("body", body.value);
    if (file.files[0]) data.set("attachment", file.files[0]);
    say(TEXT.sending);
    const res = await fetch("/simulator/phone/send", {method: "POST", body: data, headers: {"X-CSRFToken": csrf, Accept: "application/json"}});
    const out = await res.json().catch(() => ({}));
    if (res.ok) { say(out.message || TEXT.sent); body.value = ""; file.value = ""; refresh(); }
    else if (out.errors) { say(Object.values(out.errors).flat().join(" "), true); }
    else { say(out.message || fill(TEXT.notDelivered, { status: res.status }), true); }
  }

  form.elements.channel.addEventListener("change", fillNumbers);
  form.elements.from.addEventListener("change", () => { lastRendered = ""; refresh(); });
  document.getElementById("sim-send").addEventListener("click", send);
  document.getElementById("sim-body").addEventListener("keydown", (e) => { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); send(); } });
  fillNumbers(); refresh(); setInterval(refresh, 1000);
})();
