"""The Call tab in headless Chromium.

* The whole ring → answer → mute → transfer → hang-up flow between two agents, with a
  ``Device`` stand-in injected as ``window.SwitchboardVoiceDevice`` (the widget's
  documented hook) that has the SDK's method names and records what the widget called;
  Twilio's side is the offline simulator (signed webhooks, REST updates, callbacks).
* The real ``@twilio/voice-sdk`` bundle has every method the widget calls (the list is
  read from the widget's source, so it cannot drift), as does the simulated Device.
* An outgoing call from the Customer tab's Call button through the simulated Device.

Screenshots of each step go to ``$SWITCHBOARD_SCREENSHOTS`` (default: the test's tmp dir).
"""
from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from host.extensions import db
from host.models import Call, Chat
from host.testing.pytest_plugin import LOCAL_URLS, blocked_page, choose_language, sign_in_page
from plugins.twilio_channel.simulator.engine import simulator_for
from plugins.twilio_channel.simulator.voice import voice_simulator_for

expect = pytest.importorskip("playwright.sync_api").expect

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "plugins/twilio_channel/frontend"
CUSTOMER = "+14155550123"
OUR_NUMBER = "+14155550000"  # the simulator's number

# A Device with the SDK's method and event names that records every call into it.
FAKE_DEVICE = """
(() => {
  const voice = window.__voice = { log: [], devices: [], calls: [] };
  class Emitter {
    constructor() { this.handlers = {}; }
    on(event, fn) { (this.handlers[event] = this.handlers[event] || []).push(fn); return this; }
    off(event, fn) { this.handlers[event] = (this.handlers[event] || []).filter((f) => f !== fn); return this; }
    emit(event, ...args) { (this.handlers[event] || []).slice().forEach((fn) => fn(...args)); }
  }
  class FakeCall extends Emitter {
    constructor(params, status) {
      super();
      this.customParameters = new Map(Object.entries(params || {}));
      this.parameters = { CallSid: "" };
      this.muted = false;
      this.state = status;
      voice.calls.push(this);
    }
    accept() { voice.log.push("call.accept"); this.state = "open"; setTimeout(() => this.emit("accept", this), 0); }
    reject() { voice.log.push("call.reject"); this.state = "closed"; this.emit("reject"); }
    disconnect() {
      voice.log.push("call.disconnect");
      if (this.state === "closed") return;
      this.state = "closed";
      this.emit("disconnect", this);
    }
    mute(muted = true) { voice.log.push(`call.mute(${muted})`); this.muted = muted; this.emit("mute", muted, this); }
    isMuted() { return this.muted; }
    status() { return this.state; }
    remoteHangup() { if (this.state !== "closed") { this.state = "closed"; this.emit("disconnect", this); } }
  }
  window.SwitchboardVoiceDevice = class FakeDevice extends Emitter {
    constructor(token) { super(); voice.log.push("new Device"); voice.token = token; voice.devices.push(this); }
    register() { voice.log.push("device.register"); return Promise.resolve(); }
    connect({ params }) { voice.log.push("device.connect"); return Promise.resolve(new FakeCall(params, "connecting")); }
    updateToken() { voice.log.push("device.updateToken"); }
    destroy() { voice.log.push("device.destroy"); }
    ring(params) { const call = new FakeCall(params, "pending"); this.emit("incoming", call); return call; }
  };
})();
"""


@pytest.fixture
def shots(tmp_path):
    folder = Path(os.environ.get("SWITCHBOARD_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)

    def take(page, name):
        page.screenshot(path=str(folder / f"call-{name}.png"))
    return take


@pytest.fixture
def phone(app):
    return voice_simulator_for(app)


def open_console(page, live_server, agent):
    sign_in_page(page, live_server.url, agent.email)
    expect(page.locator(".conn")).to_have_attribute("data-state", "connected")
    return page


@pytest.fixture
def second_page(chromium, live_server):
    """Another agent's browser (its own cookies), blocked from the internet like browser_page."""
    page = blocked_page(chromium, FAKE_DEVICE)
    yield page
    page.context.close()


def panel(page):
    return page.locator(".pane-details .widget-panel[data-tab=call] .call-panel")


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def agent_leg(phone, agent):
    """The simulator's ringing leg to this agent's browser (Twilio's <Dial><Client>)."""
    # the live server's threads add calls meanwhile: read a copy each time; a loaded machine
    # can take a while to ring a transfer's second browser
    return wait_for(lambda: next((c for c in phone.calls_now()
                                  if c.to_address == f"client:agent-{agent.id}" and c.status == "ringing"), None),
                    timeout=20.0)


def fresh(query):
    """Read what the server committed since (end this thread's read snapshot first)."""
    db.session.rollback()
    return db.session.execute(query).scalar_one()


def ringing(page):
    return page.evaluate("Boolean(window.switchboardRinging)")


def test_ring_answer_mute_transfer_and_the_caller_hangs_up(app, browser_page, second_page, live_server, agent,
                                                          make_agent, phone, shots):
    colleague = make_agent("kim@example.test", name="Kim Colleague")
    browser_page.context.add_init_script(FAKE_DEVICE)
    sam = open_console(browser_page, live_server, agent)
    kim = open_console(second_page, live_server, colleague)
    for page in (sam, kim):
        expect(page.locator(".pane-details .widget-tab[data-tab=call]")).to_be_visible()
        wait_for(lambda page=page: "device.register" in page.evaluate("window.__voice.log"))

    # --- ring: both agents of the group see it and hear the ring ---------------------------
    dialled = phone.customer_dials(CUSTOMER, "+14155550000")
    call = db.session.execute(db.select(Call)).scalar_one()
    for page in (sam, kim):
        expect(page.locator(".chat-list .chat-row.is-ringing")).to_contain_text(CUSTOMER)
        wait_for(lambda page=page: ringing(page))
    shots(sam, "1-ringing")
    # a console reloaded while the call waits rings again, and still shows which chat
    kim.reload()
    expect(kim.locator(".conn")).to_have_attribute("data-state", "connected")
    expect(kim.locator(".chat-list .chat-row.is-ringing")).to_contain_text(CUSTOMER)
    wait_for(lambda: ringing(kim))
    wait_for(lambda: "device.register" in kim.evaluate("window.__voice.log"))

    sam.locator(".chat-list .chat-row", has_text=CUSTOMER).click()
    expect(panel(sam)).to_have_attribute("data-state", "incoming")  # the Call tab comes forward by itself
    expect(panel(sam)).to_contain_text(f"Incoming call from {CUSTOMER}")
    shots(sam, "2-incoming")

    # --- answer: the caller's leg is redirected to Sam's browser, which accepts it ------------
    panel(sam).locator(".call-answer").click()
    expect(panel(sam)).to_have_attribute("data-state", "connecting")
    leg = agent_leg(phone, agent)
    assert leg.parent_sid == dialled.sid and leg.params == {"chat_id": str(call.chat_id)}
    sam.evaluate("params => window.__voice.devices[0].ring(params)", leg.params)
    wait_for(lambda: "call.accept" in sam.evaluate("window.__voice.log"))
    phone.device_accepts(agent.id, leg.sid)  # Twilio connects the legs: status callback "answered"
    expect(panel(sam)).to_have_attribute("data-state", "in-call")
    expect(panel(sam).locator(".call-timer")).to_have_text(re.compile(r"^0:0[1-9]$"), timeout=5000)
    for page in (sam, kim):
        wait_for(lambda page=page: not ringing(page))
    expect(kim.locator(".chat-list .chat-row.is-ringing")).to_have_count(0)
    shots(sam, "3-in-call")
    # the call leaves the chat its text channel: the reply box stays open and says SMS
    reply_box = sam.locator(".composer-input")
    expect(reply_box).to_be_enabled()
    expect(reply_box).to_have_attribute("placeholder", re.compile(r"by SMS"))
    expect(sam.locator(".composer-via")).to_have_text("Sends by SMS")
    # the tabs' icons are drawn (SVG), not emoji that depend on the agent's fonts
    expect(sam.locator(".pane-details .widget-tab[data-tab=call] svg")).to_have_count(1)

    # --- mute: in the browser, recorded on the call, shown to whoever watches the chat -------
    panel(sam).locator(".call-mute").click()
    expect(panel(sam).locator(".call-mute")).to_have_attribute("aria-pressed", "true")
    expect(panel(sam).locator(".call-muted")).to_be_visible()
    assert "call.mute(true)" in sam.evaluate("window.__voice.log")
    wait_for(lambda: fresh(db.select(Call.muted)) is True)
    shots(sam, "4-muted")

    # the Device's token is renewed when the SDK says it will expire
    sam.evaluate("window.__voice.devices[0].emit('tokenWillExpire')")
    wait_for(lambda: "device.updateToken" in sam.evaluate("window.__voice.log"))

    # --- a colleague who opens the chat sees who is on the call (and that it is muted) --------
    kim.goto(f"{live_server.url}/console/chats/{call.chat_id}")
    kim.locator(".pane-details .widget-tab[data-tab=call]").click()
    expect(panel(kim)).to_have_attribute("data-state", "on-call-other")
    expect(panel(kim)).to_contain_text("Sam Agent is on this call")
    expect(panel(kim).locator(".call-muted")).to_be_visible()
    expect(panel(kim).locator(".call-answer")).to_have_count(0)
    wait_for(lambda: "device.register" in kim.evaluate("window.__voice.log"))
    shots(kim, "4b-colleague-sees-who")

    # --- transfer to Kim: the call follows the chat ------------------------------------------
    sam.get_by_role("button", name="Transfer", exact=True).click()
    dialog = sam.locator("dialog.transfer-dialog")
    kim_option = dialog.locator("select[name=agent_id] option", has_text="Kim Colleague")
    dialog.locator("select[name=agent_id]").select_option(value=kim_option.get_attribute("value"))
    dialog.get_by_role("button", name="Transfer").click()
    kim_leg = agent_leg(phone, colleague)  # Twilio rings Kim's browser with the caller
    assert kim_leg.parent_sid == dialled.sid and leg.status == "completed"
    sam.evaluate("window.__voice.calls[0].remoteHangup()")  # Twilio drops Sam's old leg
    expect(panel(sam)).to_have_attribute("data-state", "ended")
    expect(panel(sam)).to_contain_text("Transferred to Kim Colleague")
    shots(sam, "5-transferred-away")

    wait_for(lambda: ringing(kim))
    kim.get_by_role("tab", name=re.compile("My chats")).click()
    expect(kim.locator(".chat-list .chat-row.is-ringing")).to_contain_text(CUSTOMER)  # now Kim's chat
    expect(panel(kim)).to_contain_text(f"Transferred call from {CUSTOMER}")
    kim.evaluate("params => window.__voice.devices[0].ring(params)", kim_leg.params)
    expect(panel(kim)).to_have_attribute("data-state", "transfer-incoming")
    shots(kim, "6-transfer-incoming")
    panel(kim).locator(".call-answer").click()
    wait_for(lambda: "call.accept" in kim.evaluate("window.__voice.log"))
    phone.device_accepts(colleague.id, kim_leg.sid)
    expect(panel(kim)).to_have_attribute("data-state", "in-call")
    expect(panel(kim).locator(".call-mute")).to_have_attribute("aria-pressed", "false")
    wait_for(lambda: not ringing(kim))
    shots(kim, "7-kim-in-call")

    # --- the caller hangs up first: a clear ended state and the transcript line ---------------
    phone.customer_hangs_up(dialled.sid)
    expect(panel(kim)).to_have_attribute("data-state", "ended")
    expect(panel(kim)).to_contain_text("The caller hung up.")
    expect(kim.locator(".transcript .kind-call .call-details")).to_have_text(re.compile(r"answered by .* · 0:\d\d$"))
    expect(panel(kim).locator(".call-history .call-row").first).to_contain_text("Incoming call ·")
    shots(kim, "8-caller-hung-up")
    final = fresh(db.select(Call))
    assert (final.status, final.answered_by_id, final.muted) == ("completed", agent.id, False)
    assert db.session.get(Chat, final.chat_id).agent_id == colleague.id
    assert kim.evaluate("window.__voice.log").count("call.accept") == 1
    assert sam.js_errors == [] and kim.js_errors == []


def _methods(pattern: str) -> set[str]:
    """Method names the widget calls on SDK objects, read from its source (no drift)."""
    names: set[str] = set()
    for path in (FRONTEND / "call_panel.js", *sorted((FRONTEND / "lib").glob("voice_*.js"))):
        names |= set(re.findall(pattern, path.read_text()))
    return names


DEVICE_METHODS = _methods(r"\bdevice\??\.(\w+)\(")
CALL_METHODS = _methods(r"\bcall\??\.(\w+)\(")


def test_the_method_lists_come_from_the_widget_code():
    assert {"register", "connect", "updateToken", "on", "destroy"} <= DEVICE_METHODS
    assert {"accept", "reject", "disconnect", "mute", "isMuted", "on", "status"} <= CALL_METHODS


def test_the_real_voice_sdk_bundle_has_every_method_the_widget_calls(app, browser_page, live_server, agent, api):
    finished = []  # requests that got an answer (the context aborts every non-local one)
    browser_page.on("requestfinished", lambda request: finished.append(request.url))
    page = open_console(browser_page, live_server, agent)
    token = api(agent).get("/api/v1/voice/token").get_json()["token"]
    found = page.evaluate("""async ({deviceMethods, callMethods, token}) => {
      const mod = await import("/plugins/twilio_channel/static/dist/call_panel.js");
      const missing = [];
      const check = (cls, label, names) => names.forEach((name) => {
        if (typeof cls.prototype[name] !== "function") missing.push(`${label}.${name}`);
      });
      check(mod.TwilioDevice, "Device", deviceMethods);
      check(mod.TwilioCall, "Call", callMethods);
      check(mod.SimulatedDevice, "SimulatedDevice", deviceMethods);
      check(mod.SimulatedCall, "SimulatedCall", callMethods);
      // A real Device can be built offline (its sounds come from Twilio's CDN: blocked here).
      const device = new mod.TwilioDevice(token, { closeProtection: true, logLevel: "warn" });
      const ready = typeof device.register === "function" && typeof device.on === "function";
      device.destroy();
      return { missing, ready, version: mod.TwilioDevice.version };
    }""", {"deviceMethods": sorted(DEVICE_METHODS), "callMethods": sorted(CALL_METHODS), "token": token})
    assert found["missing"] == []
    assert found["ready"] is True and found["version"].startswith("2.")
    # nothing left the machine (browser_page blocks everything that is not the live server)
    assert finished and all(url.startswith(LOCAL_URLS) for url in finished)
    assert page.js_errors == []


def test_call_button_of_the_customer_tab_calls_through_the_simulated_device(app, browser_page, live_server, agent,
                                                                            phone, shots, twilio_webhook_sms):
    chat = twilio_webhook_sms()
    page = open_console(browser_page, live_server, agent)
    page.locator(".chat-list .chat-row", has_text="Maria").click()
    page.locator(".pane-details .widget-tab[data-tab=customer]").click()
    page.locator(".pane-details .widget-panel[data-tab=customer]").get_by_role("button", name=re.compile("Call")).click()
    expect(panel(page)).to_have_attribute("data-state", "calling")  # the Call tab came forward
    expect(panel(page).locator(".call-device")).to_have_text("Simulator phone · no audio")
    ringing_leg = wait_for(lambda: next((c for c in phone.calls_of(CUSTOMER)
                                         if c.direction == "outbound-dial" and c.status == "ringing"), None))
    assert ringing_leg.from_address == OUR_NUMBER
    expect(panel(page)).to_contain_text("Ringing Maria Lopez…")
    shots(page, "9-outgoing-ringing")
    phone.customer_answers(ringing_leg.sid)
    expect(panel(page)).to_have_attribute("data-state", "in-call")
    phone.customer_hangs_up(ringing_leg.sid)
    expect(panel(page)).to_have_attribute("data-state", "ended")
    expect(panel(page)).to_contain_text("The customer hung up.")
    shots(page, "10-outgoing-ended")
    call = fresh(db.select(Call))
    assert (call.chat_id, call.direction, call.status) == (chat.id, "out", "completed")
    assert page.js_errors == []


@pytest.fixture
def twilio_webhook_sms(app):
    """Maria texts us first (so the chat has a customer with a name and a Call button)."""
    def send():
        status, _ = simulator_for(app).customer_sends(CUSTOMER, OUR_NUMBER, "Please call me", channel="whatsapp",
                                             profile_name="Maria Lopez")
        assert status == 200
        return wait_for(lambda: db.session.rollback() or db.session.execute(db.select(Chat)).scalar_one_or_none())
    return send


NOTIFICATIONS = """
window.__notifications = [];
window.Notification = class { constructor(title, options) { window.__notifications.push({ title, body: options.body }); }
  static get permission() { return "granted"; } static requestPermission() { return Promise.resolve("granted"); } };
"""


def test_the_call_bar_answers_mutes_transfers_and_hangs_up_from_any_list_and_tab(
        app, browser_page, live_server, agent, make_agent, phone, shots):
    from host.extensions import db as database
    from host.models import Agent

    make_agent("kim@example.test", name="Kim Colleague")
    browser_page.context.add_init_script(FAKE_DEVICE)
    browser_page.context.add_init_script(NOTIFICATIONS)
    agent.sound_alerts = False   # this agent chose silence on the profile page
    database.session.merge(agent)
    database.session.commit()
    assert database.session.get(Agent, agent.id).sound_alerts is False
    sam = open_console(browser_page, live_server, agent)
    wait_for(lambda: "device.register" in sam.evaluate("window.__voice.log"))
    bar = sam.locator(".live-bar")
    expect(bar).to_be_hidden()
    # somewhere else entirely: the Archived list and the Logs tab
    sam.locator('.views [data-view="archived"]').click()
    sam.locator(".pane-details .widget-tab[data-tab=logs]").click()

    phone.customer_dials(CUSTOMER, OUR_NUMBER)
    expect(bar).to_be_visible()
    expect(bar).to_have_attribute("data-state", "ringing")
    expect(bar.locator(".call-bar-title")).to_have_text(f"Incoming call from {CUSTOMER}")
    expect(bar).not_to_contain_text("null")
    expect(bar.locator(".call-bar-timer")).to_have_text(re.compile(r"^0:0\d$"))
    expect(sam.locator('.views [data-view="queued"] .view-ring')).to_be_visible()   # marked in every list
    expect(sam.locator('.views [data-view="archived"] .view-ring')).to_be_hidden()
    wait_for(lambda: any(n["body"] == "Incoming call" for n in sam.evaluate("window.__notifications")))
    assert ringing(sam) and sam.evaluate("window.switchboardRings || 0") == 0   # silent, as chosen
    shots(sam, "bar-1-ringing")

    bar.get_by_role("button", name=f"Answer the call from {CUSTOMER}").click()
    leg = agent_leg(phone, agent)
    sam.evaluate("params => window.__voice.devices[0].ring(params)", leg.params)
    wait_for(lambda: "call.accept" in sam.evaluate("window.__voice.log"))
    phone.device_accepts(agent.id, leg.sid)
    expect(bar).to_have_attribute("data-state", "in-call")
    expect(bar.locator(".call-bar-title")).to_have_text(f"On call with {CUSTOMER}")
    expect(sam.locator(".chat-title")).to_have_text(CUSTOMER)   # answering opened the chat
    expect(bar.locator(".call-bar-timer")).to_have_text(re.compile(r"^0:0[1-9]$"), timeout=5000)
    # another tab and another list: the controls stay
    sam.locator(".pane-details .widget-tab[data-tab=logs]").click()
    sam.locator('.views [data-view="archived"]').click()
    mute = bar.locator(".call-bar-mute")
    mute.click()
    expect(mute).to_have_attribute("aria-pressed", "true")
    wait_for(lambda: "call.mute(true)" in sam.evaluate("window.__voice.log"))
    shots(sam, "bar-2-in-call")
    bar.locator(".call-bar-transfer").click()
    dialog = sam.get_by_role("dialog")
    expect(dialog).to_be_visible()
    sam.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    bar.locator(".call-bar-hangup").click()
    wait_for(lambda: "call.disconnect" in sam.evaluate("window.__voice.log"))
    expect(bar).to_be_hidden()
    assert sam.js_errors == []


def test_escape_while_a_reply_is_on_its_way_leaves_the_reply_box_for_good(app, browser_page, live_server, agent):
    """The send's answer must not pull the focus back into the reply box the agent just left
    (on a slow network the bubble shows before the API answers); a send started with the
    button still hands the focus back, as the button goes disabled meanwhile."""
    from host.testing.loopback import webhook

    assert webhook(app.test_client(), {"id": "s1", "from": "+15550001", "body": "Hi"}).status_code == 200
    held = []
    browser_page.route("**/api/v1/chats/*/messages",
                       lambda route: held.append(route) if route.request.method == "POST" else route.continue_())
    page = open_console(browser_page, live_server, agent)
    page.locator(".chat-list .chat-row", has_text="+15550001").click()
    composer = page.locator(".composer-input")
    composer.fill("Sent by Enter")
    composer.press("Enter")
    wait_for(lambda: page.evaluate("1") and held)
    page.keyboard.press("Escape")
    expect(composer).not_to_be_focused()
    held.pop().continue_()
    expect(composer).to_have_value("")
    page.wait_for_timeout(200)
    expect(composer).not_to_be_focused()

    composer.fill("Sent by the button")
    page.locator(".composer-send").click()
    wait_for(lambda: page.evaluate("1") and held)
    held.pop().continue_()
    expect(composer).to_have_value("")
    expect(composer).to_be_focused()


def test_one_whole_flow_by_keyboard_alone(app, browser_page, live_server, agent, make_agent, phone, shots):
    """Move through chats, open one, accept, reply, transfer; answer, mute and hang up a
    call: every step a key press, no mouse."""
    from host.testing.loopback import webhook

    kim = make_agent("kim@example.test", name="Kim Colleague")
    for number, (message_id, text) in (("+15550001", ("k1", "First")), ("+15550002", ("k2", "Second"))):
        assert webhook(app.test_client(), {"id": message_id, "from": number, "body": text}).status_code == 200
    browser_page.context.add_init_script(FAKE_DEVICE)
    page = open_console(browser_page, live_server, agent)
    wait_for(lambda: "device.register" in page.evaluate("window.__voice.log"))
    keys = page.keyboard
    page.locator("body").focus()

    # "?" lists the shortcuts; Escape closes the list
    keys.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Open the next chat in the list")
    shots(page, "keys-1-shortcuts")
    keys.press("Escape")
    expect(dialog).to_have_count(0)

    # j / k move through the queue, opening each chat
    keys.press("1")
    keys.press("j")
    expect(page.locator(".chat-title")).to_have_text("+15550002")   # newest first
    keys.press("j")
    expect(page.locator(".chat-title")).to_have_text("+15550001")
    keys.press("k")
    expect(page.locator(".chat-title")).to_have_text("+15550002")
    expect(page.locator(".transcript")).to_have_attribute("aria-busy", "false")

    # a accepts, r writes, Enter sends, Escape leaves the reply box
    keys.press("a")
    expect(page.locator(".status-pill")).to_have_text("Open")
    keys.press("r")
    expect(page.locator(".composer-input")).to_be_focused()
    keys.type("Hello from the keyboard")
    keys.press("Enter")
    expect(page.locator(".transcript .msg-out .msg-body")).to_have_text(["Hello from the keyboard"])
    keys.press("Escape")
    expect(page.locator(".composer-input")).not_to_be_focused()

    # t transfers: the dialog is worked with arrows, Tab and Enter
    keys.press("t")
    transfer = page.get_by_role("dialog", name="Transfer chat")
    expect(transfer.locator("select[name=agent_id] option", has_text="Kim Colleague")).to_have_count(1)
    expect(transfer.locator("select[name=agent_id]")).to_be_focused()
    keys.press("ArrowDown")
    expect(transfer.locator("select[name=agent_id]")).to_have_value(str(kim.id))
    for _ in range(3):   # group, Cancel, Transfer
        keys.press("Tab")
    expect(transfer.get_by_role("button", name="Transfer")).to_be_focused()
    keys.press("Enter")
    expect(transfer).to_have_count(0)
    expect(page.locator(".chat-assignee")).to_contain_text("Kim Colleague")

    # a call: p answers from the call bar, m mutes, h hangs up
    phone.customer_dials(CUSTOMER, OUR_NUMBER)
    bar = page.locator(".live-bar")
    expect(bar).to_have_attribute("data-state", "ringing")
    expect(bar.locator(".call-bar-answer")).to_be_enabled()  # what "p" presses is there to press
    page.locator("body").focus()
    keys.press("p")
    expect(bar).not_to_have_attribute("data-state", "ringing")  # answering: the key was taken
    leg = agent_leg(phone, agent)
    page.evaluate("params => window.__voice.devices[0].ring(params)", leg.params)
    wait_for(lambda: "call.accept" in page.evaluate("window.__voice.log"))
    phone.device_accepts(agent.id, leg.sid)
    expect(bar).to_have_attribute("data-state", "in-call")
    page.locator("body").focus()
    keys.press("m")
    wait_for(lambda: "call.mute(true)" in page.evaluate("window.__voice.log"))
    keys.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_contain_text("Hang up (the call bar)")
    keys.press("Escape")
    keys.press("h")
    wait_for(lambda: "call.disconnect" in page.evaluate("window.__voice.log"))
    expect(bar).to_be_hidden()
    assert page.js_errors == []


def test_the_call_bar_speaks_a_language_chosen_while_it_rings_and_the_call_survives(
        app, browser_page, live_server, agent, phone):
    browser_page.context.add_init_script(FAKE_DEVICE)
    sam = open_console(browser_page, live_server, agent)
    wait_for(lambda: "device.register" in sam.evaluate("window.__voice.log"))
    sam.evaluate("window.notReloaded = true")
    bar = sam.locator(".live-bar")
    call = phone.customer_dials(CUSTOMER, OUR_NUMBER)
    expect(bar.locator(".call-bar-title")).to_have_text(f"Incoming call from {CUSTOMER}")

    choose_language(browser_page.context, live_server.url, "es")

    # No call event in between: the bar says it in Spanish at once, and the page was not
    # reloaded (that would have hung the call up).
    expect(bar.locator(".call-bar-title")).to_have_text(f"Llamada entrante de {CUSTOMER}")
    expect(bar.locator(".call-bar-answer")).to_have_text("Contestar")
    expect(bar).to_have_attribute("aria-label", "Llamada")
    assert sam.evaluate("window.notReloaded") is True

    # The rest of the console follows at once too, and the call still rings after it.
    expect(sam.locator(".pane-title")).to_have_text("Bandeja de entrada")
    expect(bar).to_have_attribute("data-state", "ringing")
    phone.customer_hangs_up(call.sid)
    expect(bar).to_be_hidden()


def test_the_whole_console_switches_language_in_place_keeping_the_draft_and_the_ringing_call(
        app, browser_page, live_server, agent, phone, twilio_webhook_sms, shots):
    browser_page.context.add_init_script(FAKE_DEVICE)
    chat = twilio_webhook_sms()
    sam = open_console(browser_page, live_server, agent)
    sam.goto(f"{live_server.url}/console/chats/{chat.id}")
    expect(sam.locator(".transcript")).to_have_attribute("aria-busy", "false")
    wait_for(lambda: "device.register" in sam.evaluate("window.__voice.log"))
    draft = "Hola Maria, un momento por favor"
    composer = sam.locator(".composer-input")
    composer.fill(draft)
    sam.evaluate("window.__marker = 'before the switch'")
    bar = sam.locator(".live-bar")
    phone.customer_dials(CUSTOMER, OUR_NUMBER)
    expect(bar).to_have_attribute("data-state", "ringing")
    expect(sam.locator(".chat-actions [data-action=archive]")).to_have_text("Archive")

    choose_language(browser_page.context, live_server.url, "es")

    # Every part of the console speaks Spanish while the call still rings ...
    expect(sam.locator(".pane-title")).to_have_text("Bandeja de entrada")
    expect(sam.locator('.views [data-view="mine"] .view-label')).to_have_text("Mis chats")
    expect(sam.locator(".chat-actions [data-action=archive]")).to_have_text("Archivar")
    expect(sam.locator(".composer-send")).to_have_text("Enviar")
    expect(composer).to_have_attribute("aria-label", "Respuesta")
    expect(sam.locator(".topbar nav a").first).to_have_text("Consola")
    expect(sam.locator("html")).to_have_attribute("lang", "es")
    expect(sam.locator("html")).to_have_attribute("dir", "ltr")
    expect(sam).to_have_title(re.compile("^Consola"))
    # channel names come from the server, in the agent's language too
    expect(sam.locator("select[name=channel] option[value=voice]")).to_have_text("Voz")
    expect(bar.locator(".call-bar-title")).to_have_text("Llamada entrante de Maria Lopez")
    # ... with the same chat open, the draft as typed, the call bar showing the call, and
    # the same page (no load since the marker was set).
    expect(sam.locator(".chat-title")).to_have_text("Maria Lopez")
    expect(composer).to_have_value(draft)
    expect(bar).to_be_visible()
    expect(bar).to_have_attribute("data-state", "ringing")
    assert sam.evaluate("window.__marker") == "before the switch"
    assert sam.evaluate("performance.getEntriesByType('navigation').length") == 1
    shots(sam, "language-switched-in-place")
    assert sam.js_errors == []


def test_the_widgets_call_bar_switches_language_in_place(app, browser_page, live_server, agent, phone):
    # The widget on its own page (as inside LiveChat's Agent App) is redrawn without a reload.
    browser_page.context.add_init_script(FAKE_DEVICE)
    sign_in_page(browser_page, live_server.url, agent.email)
    widget = browser_page
    widget.goto(f"{live_server.url}/widget")
    wait_for(lambda: "device.register" in widget.evaluate("window.__voice?.log || []"))
    bar = widget.locator(".live-bar")
    phone.customer_dials(CUSTOMER, OUR_NUMBER)
    expect(bar.locator(".call-bar-title")).to_have_text(f"Incoming call from {CUSTOMER}")

    choose_language(browser_page.context, live_server.url, "pl")
    expect(widget.locator("html")).to_have_attribute("lang", "pl")
    expect(bar.locator(".call-bar-title")).to_have_text(f"Połączenie przychodzące: {CUSTOMER}")


@pytest.mark.parametrize("language", ["pl", "es"])
@pytest.mark.parametrize("width", [390, 1280, 1920])
def test_the_call_bar_title_wraps_instead_of_hiding_the_number(app, browser_page, live_server, agent, phone, shots,
                                                                language, width):
    agent.language = language
    db.session.merge(agent)
    db.session.commit()
    browser_page.context.add_init_script(FAKE_DEVICE)
    browser_page.set_viewport_size({"width": width, "height": 800})
    sam = open_console(browser_page, live_server, agent)
    wait_for(lambda: "device.register" in sam.evaluate("window.__voice.log"))
    phone.customer_dials(CUSTOMER, OUR_NUMBER)
    title = sam.locator(".live-bar .call-bar-title")
    expect(title).to_contain_text(CUSTOMER)
    # All of it is drawn: nothing scrolled away inside the title, nothing past the screen's edge.
    box = title.evaluate("""el => { const r = el.getBoundingClientRect();
        return { clipped: el.scrollWidth > el.clientWidth + 1, right: r.right, width: window.innerWidth }; }""")
    assert not box["clipped"], box
    assert box["right"] <= box["width"], box
    for button in sam.locator(".live-bar .call-bar-actions button").all():
        right = button.evaluate("el => el.getBoundingClientRect().right")
        assert right <= width, (button.inner_text(), right)
    shots(sam, f"bar-{language}-{width}")
