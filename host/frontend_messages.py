"""The browser's message catalogs: ICU messages as JSON, one file per language.

Switchboard's own are ``host/messages/<language>.json``; a plugin ships its own next to
its module, ``<package>/messages/<language>.json`` (``plugins/<name>/messages/es.json``),
and its widget tabs read them through ``ctx.t``. English is the source: a plugin that
lacks a language, or a key in it, shows its English message there.
``host/frontend/i18n_check.mjs`` checks every catalog against the keys the code uses.
"""
from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from flask import current_app

from host.i18n import DEFAULT_LANGUAGE, current_language

HOST_MESSAGES = Path(__file__).resolve().parent / "messages"


def plugin_folder(plugin) -> Path | None:
    """Where a plugin's catalogs live: the ``messages`` folder of its module's package."""
    origin = getattr(plugin, "__file__", None)
    folder = Path(origin).resolve().parent / "messages" if origin else None
    return folder if folder is not None and folder.is_dir() else None


@cache
def _read(folder: Path, language: str) -> dict[str, str]:
    path = folder / f"{language}.json"
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def _catalog(folder: Path, language: str) -> dict[str, str]:
    return {**_read(folder, DEFAULT_LANGUAGE), **_read(folder, language)}


def catalogs(language: str) -> dict[str, dict[str, str]]:
    """Every enabled plugin's catalog and the host's, in ``language`` (English filling gaps)."""
    sb = current_app.extensions["switchboard"]
    result = {"host": _catalog(HOST_MESSAGES, language)}
    disabled = sb.plugins.disabled()
    for name, info in sb.plugins.plugins.items():
        folder = plugin_folder(info.plugin)
        if folder is not None and name not in disabled:
            result[name] = _catalog(folder, language)
    return result


def plugin_message(plugin: str, key: str) -> str | None:
    """A message the host reads from a plugin's catalog in the request's language (English
    filling gaps), e.g. ``plugin.description`` for the Plugins page, or None."""
    info = current_app.extensions["switchboard"].plugins.plugins.get(plugin)
    folder = plugin_folder(info.plugin) if info is not None else None
    return _catalog(folder, current_language()).get(key) if folder else None


_ARGUMENT = re.compile(r"\{(\w+)\}")


def plugin_text(plugin: str, key: str, **values) -> str | None:
    """A message of a plugin's catalog in the request's language with its ``{arguments}``
    filled in, or None: the server's sentences of a plugin that ships no gettext catalog
    (keys ``server.…``; simple arguments only, no plurals or selects)."""
    message = plugin_message(plugin, key)
    if message is None:
        return None
    return _ARGUMENT.sub(lambda found: str(values.get(found.group(1), found.group(0))), message)


def tab_title(plugin: str, tab) -> str:
    """A widget tab's title in the request's language, as the console shows it: the
    message ``tab.<key>`` of its plugin's catalog, else the title it registered."""
    return plugin_message(plugin, f"tab.{tab.key}") or tab.title
