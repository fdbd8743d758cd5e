"""What a browser would post for a server-rendered form, read from the page's HTML.

For tests of generated forms (``host.settings_form``): a form saved unchanged must be
accepted, so a test reads the form as rendered and posts it back. Follows the HTML rules
that matter here: ``<template>`` content is not part of the form, unchecked checkboxes
and disabled controls send nothing, a ``<select>`` sends its selected option (or its
first), a control without a name sends nothing.
"""
from __future__ import annotations

from html.parser import HTMLParser


class _FormReader(HTMLParser):
    def __init__(self, form_selector: str | None):
        super().__init__(convert_charrefs=True)
        self.selector = form_selector
        self.in_form = False
        self.template_depth = 0
        self.pairs: list[tuple[str, str]] = []
        self._select: dict | None = None
        self._option: dict | None = None
        self._textarea: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self.in_form = self.selector is None or self.selector in a.get("class", "").split() \
                or a.get("id") == self.selector
            return
        if tag == "template":
            self.template_depth += 1
        if not self.in_form or self.template_depth or "disabled" in a:
            return
        if tag == "input":
            kind = a.get("type", "text")
            if not a.get("name") or kind in ("submit", "button", "reset", "file", "image"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.pairs.append((a["name"], a.get("value", "on")))
            else:
                self.pairs.append((a["name"], a.get("value", "")))
        elif tag == "select" and a.get("name"):
            self._select = {"name": a["name"], "first": None, "selected": None}
        elif tag == "option" and self._select is not None:
            self._option = {"value": a.get("value"), "text": "", "selected": "selected" in a}
        elif tag == "textarea" and a.get("name"):
            self._textarea = {"name": a["name"], "text": ""}

    def handle_data(self, data):
        if self._option is not None:
            self._option["text"] += data
        if self._textarea is not None:
            self._textarea["text"] += data

    def handle_endtag(self, tag):
        if tag == "template":
            self.template_depth -= 1
        elif tag == "form":
            self.in_form = False
        elif tag == "option" and self._option is not None:
            self._end_option()
        elif tag == "select" and self._select is not None:
            if self._option is not None:
                self._end_option()
            chosen = self._select["selected"] or self._select["first"]
            if chosen is not None:
                self.pairs.append((self._select["name"], chosen))
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.pairs.append((self._textarea["name"], self._textarea["text"].removeprefix("\n")))
            self._textarea = None

    def _end_option(self):
        option, self._option = self._option, None
        value = option["value"] if option["value"] is not None else option["text"].strip()
        if self._select["first"] is None:
            self._select["first"] = value
        if option["selected"]:
            self._select["selected"] = value


def form_data(html: str, form: str | None = None) -> list[tuple[str, str]]:
    """The (name, value) pairs the first form (or the one with class/id ``form``) would post."""
    reader = _FormReader(form)
    reader.feed(html)
    return reader.pairs


def as_multidict(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Pairs as ``{name: [values…]}``, the shape Flask's test client posts."""
    result: dict[str, list[str]] = {}
    for name, value in pairs:
        result.setdefault(name, []).append(value)
    return result
