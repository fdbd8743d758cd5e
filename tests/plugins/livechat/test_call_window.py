"""Calls from the widget inside LiveChat's Agent App when its frame gets no microphone.

The stand-in Agent App frames the widget without ``allow="microphone"`` (a cross-origin
frame is then denied it, as LiveChat's may be): the Call tab says so and opens a call window
on Switchboard's own origin, which holds the call.
"""
from __future__ import annotations

import pytest

from host.testing.pytest_plugin import sign_in_page
from tests.plugins.livechat.test_agent_app_browser import (agent_app, mirror,  # noqa: F401 - fixtures
                                                          parent_page_script, widget_frame)

expect = pytest.importorskip("playwright.sync_api").expect
pytestmark = pytest.mark.browser


def test_without_the_microphone_the_call_tab_offers_a_call_window_that_holds_the_call(
        browser_page, live_server, agent_app, agent, inbound, drain):
    page = browser_page
    chat, profile = mirror(inbound, drain, "Please call me", "+14155550123")
    sign_in_page(page, live_server.url, agent.email)
    page.goto(f"{agent_app.url}/agent-app")
    page.wait_for_function("window.lcHarness && window.lcHarness.connections === 1")
    frame = widget_frame(page)
    assert frame.evaluate("document.featurePolicy.allowsFeature('microphone')") is False
    page.evaluate("profile => window.lcHarness.sendProfile(profile)", profile)
    expect(frame.locator(".widget-chat-title")).to_have_text("+14155550123")
    frame.get_by_role("tab", name="Call").click()
    panel = frame.locator(".call-panel")
    expect(panel).to_have_attribute("data-state", "pop-out")
    expect(panel.locator(".call-device")).to_have_text("Calls in a Switchboard window")
    expect(panel.get_by_text("LiveChat doesn't let this panel use your microphone")).to_be_visible()
    expect(panel.locator(".call-customer-button")).to_have_count(0)  # no calls from the frame itself
    with page.expect_popup() as opened:
        panel.get_by_role("button", name="Open call window").click()
    window = opened.value
    window.wait_for_load_state()
    assert window.url.startswith(f"{live_server.url}/widget?chat_id={chat.id}&tab=call")
    assert window.evaluate("document.featurePolicy.allowsFeature('microphone')") is True
    expect(window.locator(".widget-chat-title")).to_have_text("+14155550123")
    call = window.locator(".call-panel")
    expect(call.locator(".call-device")).to_have_attribute("data-state", "ready")
    call.get_by_role("button", name="Call +14155550123").click()
    # The call window's phone holds the call (in the customer's call chat).
    held = "() => window.switchboardPhone.state.active ? window.switchboardPhone.state.active.direction : null"
    for _ in range(100):
        if window.evaluate(held) == "out":
            break
        window.wait_for_timeout(50)
    assert window.evaluate(held) == "out"
    window.evaluate("window.switchboardPhone.hangUp()")
    assert page.js_errors == []
