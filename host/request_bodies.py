"""What the host checks in request bodies before any view reads them.

**Declared limits.** Every request body is capped by ``MAX_CONTENT_LENGTH`` (16 MiB, for
the API's uploads). A blueprint whose callers send small, known shapes — a provider's
webhooks — declares tighter limits with :func:`limit_body`; the host applies them first
thing, before the sign-in guard and before any signature is computed: a larger body is a
413 (unread when its ``Content-Length`` says so), a form with more fields a 400.

**JSON.** Python's JSON decoder recurses once per nesting level, so ``[[[[…]]]]`` ten thousand
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

from dataclasses import dataclass

from flask import Request, current_app, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

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
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise _too_deep() from None
        if nesting_exceeds(value):
            raise _too_deep()
        return value


def _too_deep() -> JSONTooDeep:
    return JSONTooDeep(gettext("The JSON in the request body is nested more than %(levels)s levels deep.",
                               levels=MAX_DEPTH))


class JSONRequest(Request):
    def on_json_loading_failed(self, e: ValueError | None):
        """A field-named 400 (``errors.json``, like webargs's own) with the reason in words."""
        if e is None:  # not a JSON content type and not forced
            return super().on_json_loading_failed(e)
        text = str(e) if isinstance(e, JSONTooDeep) else gettext("The request body is not valid JSON: %(reason)s.",
                                                                 reason=e)
        error = BadRequest()
        error.data = {"messages": {"json": [text]}}  # field-named, as webargs names them
        _refuse(error, text)


def _refuse(error, text: str):
    error.description = text  # the page people see says it
    error.data = {**(getattr(error, "data", None) or {}), "message": text}  # and flask-smorest's JSON answer
    raise error


# --- declared limits ---------------------------------------------------------------------------

@dataclass(frozen=True)
class BodyLimit:
    max_bytes: int
    max_fields: int | None = None


_ATTRIBUTE = "switchboard_body_limit"


def limit_body(blueprint, *, max_bytes: int, max_fields: int | None = None):
    """Cap the request bodies of every route of ``blueprint``: ``max_bytes`` (413 beyond)
    and, for form posts, ``max_fields`` fields in all (400 beyond). Returns the blueprint.

    Applied before anything else reads the body — the sign-in guard, the JSON check, your
    view and its signature check — so a hostile request costs at most this much reading
    and parsing.
    """
    setattr(blueprint, _ATTRIBUTE, BodyLimit(max_bytes, max_fields))
    return blueprint


def declared_limit(blueprint_name: str | None) -> BodyLimit | None:
    if not blueprint_name:
        return None
    return getattr(current_app.blueprints.get(blueprint_name.split(".")[0]), _ATTRIBUTE, None)


def apply_declared_limit() -> None:
    """``before_request``, registered first: the request's blueprint limits, if it declared any."""
    limit = declared_limit(request.blueprint)
    if limit is None:
        return
    request.max_content_length = limit.max_bytes  # Flask ≥ 3.1: this request only
    request.max_form_memory_size = limit.max_bytes
    request.max_form_parts = limit.max_fields  # multipart/form-data; urlencoded is counted below
    if (request.content_length or 0) > limit.max_bytes:
        _refuse(RequestEntityTooLarge(), f"This request body is larger than the {_size(limit.max_bytes)} "
                                         "this address accepts.")
    if limit.max_fields is not None and request.mimetype in ("application/x-www-form-urlencoded",
                                                             "multipart/form-data"):
        fields = sum(len(values) for _, values in request.form.lists()) + len(request.files)
        if fields > limit.max_fields:
            _refuse(BadRequest(), f"This request has {fields} form fields; this address accepts at most "
                                  f"{limit.max_fields}.")


def _size(size: int) -> str:
    return f"{size // (1024 * 1024)} MiB" if size % (1024 * 1024) == 0 else f"{size // 1024} KiB"


# --- wiring ----------------------------------------------------------------------------------------

def init_request_bodies(app) -> None:
    """JSON provider and request class, and the declared limits (before any other check)."""
    app.json = JSONProvider(app)
    app.request_class = JSONRequest
    app.before_request(apply_declared_limit)


def init_json_check(app) -> None:
    """Registered after the sign-in guard: anonymous callers are refused before their body is parsed."""

    @app.before_request
    def parse_json_body_once():
        if request.is_json and request.method not in ("GET", "HEAD", "OPTIONS") and request.get_data(cache=True):
            request.get_json()
