"""The console's words fit where they are shown, in every language: the search box's
placeholder is read whole on a phone, a laptop and a desktop screen, not cut off mid-word."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from host.extensions import db
from host.testing.pytest_plugin import sign_in_page

expect = pytest.importorskip("playwright.sync_api").expect

# The placeholder's width as the input draws it (its own font), against the room inside
# the input's padding: text wider than that room is cut at the edge.
PLACEHOLDER_ROOM = """(input) => {
  const style = getComputedStyle(input);
  const context = document.createElement('canvas').getContext('2d');
  context.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return { text: input.placeholder, width: context.measureText(input.placeholder).width, room };
}"""


@pytest.mark.parametrize("language", ["en", "es", "pl"])
@pytest.mark.parametrize("width", [390, 1280, 1920])
def test_the_search_placeholder_shows_whole(app, agent, browser_page, live_server, language, width):
    agent.language = language
    db.session.commit()
    page = browser_page
    page.set_viewport_size({"width": width, "height": 900})
    sign_in_page(page, live_server.url, agent.email)
    search = page.locator(".search-input")
    expect(search).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.evaluate("document.fonts.ready")
    folder = Path(os.environ.get("SWITCHBOARD_SCREENSHOTS") or "/tmp")
    page.screenshot(path=str(folder / f"search-{language}-{width}.png"), clip={"x": 0, "y": 0, "width": min(width, 480), "height": 220})
    seen = search.evaluate(PLACEHOLDER_ROOM)
    assert seen["width"] <= seen["room"], f"{language} at {width}px: “{seen['text']}” needs {seen['width']:.0f}px, has {seen['room']:.0f}px"
