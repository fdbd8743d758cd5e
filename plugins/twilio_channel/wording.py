"""Words the plugin's sentences share, in the request's language."""
from __future__ import annotations

from flask_babel import gettext


def and_list(items: list[str]) -> str:
    """"A, B and C" in the request's language (one item alone as it is), worded as the
    host's own lists are, so a sentence reads the same wherever it comes from."""
    if len(items) <= 1:
        return "".join(items)
    return gettext("%(items)s and %(last)s", items=", ".join(items[:-1]), last=items[-1])
