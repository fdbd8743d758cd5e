"""Errors: JSON for the API (flask-smorest's shape), a readable page for people."""
from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext, lazy_gettext
from werkzeug.exceptions import HTTPException

from host.auth import wants_json
from host.validation_messages import translated

TITLES = {
    400: lazy_gettext("That request didn't look right"),
    403: lazy_gettext("You don't have access to this"),
    404: lazy_gettext("Nothing here"),
    405: lazy_gettext("That doesn't work here"),
    413: lazy_gettext("That's too big"),
    429: lazy_gettext("Slow down a little"),
}


def init_errors(app, api) -> None:
    json_handler = api.handle_http_exception

    @app.errorhandler(HTTPException)
    def handle(error: HTTPException):
        data = getattr(error, "data", None)
        if isinstance(data, dict):  # a schema's refusal: marshmallow's sentences in the reader's language
            for key in ("messages", "errors"):
                if key in data:
                    data[key] = translated(data[key])
        if wants_json(request) or request.path.startswith("/webhooks/"):
            return json_handler(error)
        title = TITLES.get(error.code) or gettext("Something went wrong")
        description = getattr(error, "description", "") or ""
        if error.code == 429:
            description = str(description) or gettext("Too many requests. Wait a minute and try again.")
        return render_template("error.html", code=error.code, title=title, description=description,
                               page="error"), error.code
