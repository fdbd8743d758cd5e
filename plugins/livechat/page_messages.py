"""The plugin's browser catalog for its pages outside the widget (the Agent App bridge and
its sign-in page): they are no plugin tab, so nothing hands them ``ctx.t``; their page
config carries the catalog in the request's language instead (``frontend/lib/messages.js``)."""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from flask_babel import get_locale

MESSAGES = Path(__file__).resolve().parent / "messages"
DEFAULT_LANGUAGE = "en"


@cache
def _read(language: str) -> dict[str, str]:
    path = MESSAGES / f"{language}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def page_locale() -> dict:
    """``language`` and ``messages`` (English filling any gap) for a page's config."""
    locale = get_locale()
    language = str(locale.language) if locale is not None else DEFAULT_LANGUAGE
    return {"language": language, "messages": {**_read(DEFAULT_LANGUAGE), **_read(language)}}
