"""JSON request bodies: malformed or deeply nested JSON is a 400 that says why, before any view.

Python's JSON decoder recurses once per nesting level, so ``[[[[…]]]]`` ten thousand
levels deep ends in ``RecursionError`` — not the ``ValueError`` Flask and webargs turn
into a 400 — and a body a few hundred levels deep that does parse can still exhaust the
stack in whatever walks it next (serialising, hashing, validating). Every JSON body the
app reads therefore goes through :class:`JSONProvider` (``app.json``), which refuses
more than :data:`MAX_DEPTH` levels, and a ``before_request`` parses the JSON body of
every signed-in or webhook request once, so a bad body is answered the same way on
every route — including the ones whose view would parse it with webargs or not at all.
The parsed body is cached on the request: views pay nothing more for it.
"""
from __future__ import annotations

from flask import Request, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest

# Deeper than any document Switchboard or its providers exchange (LiveChat's webhooks
# nest about eight levels); far below where the decoder's recursion would fail.
MAX_DEPTH = 32


class JSONTooDeep(ValueError):
    """A JSON document nested more than :data:`MAX_DEPTH` levels."""


def nesting_exceeds(value, limit: int = MAX_DEPTH) -> bool:
    """Whether arrays/objects in ``value`` nest more than ``limit`` levels (no recursion)."""
    if not isinstance(value, (dict, list)):
        return False
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, refusing documents nested more than ``MAX_DEPTH`` levels."""

    def loads(self, s, **kwargs):
        too_deep = JSONTooDeep(f"The JSON in the request body is nested more than {MAX_DEPTH} levels deep.")
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise too_deep from None
        if nesting_exceeds(value):
            raise too_deep
        return value


class JSONRequest(Request):
    def on_json_loading_failed(self, e: ValueError | None):
        """A field-named 400 (``errors.json``, like webargs's own) with the reason in words."""
        if e is None:  # not a JSON content type and not forced
            return super().on_json_loading_failed(e)
        text = str(e) if isinstance(e, JSONTooDeep) else f"The request body is not valid JSON: {e}."
        error = BadRequest(description=text)  # the page people see says it too
        error.data = {"message": text, "messages": {"json": [text]}}  # flask-smorest's JSON answer
        raise error


def init_json_bodies(app) -> None:
    app.json = JSONProvider(app)
    app.request_class = JSONRequest

    @app.before_request
    def parse_json_body_once():
        if request.is_json and request.method not in ("GET", "HEAD", "OPTIONS") and request.get_data(cache=True):
            request.get_json()
