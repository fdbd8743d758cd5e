"""Small helpers for plugin authors: a blueprint for static tab scripts, tab URLs, body limits,
and the server's sentences from a plugin's own JSON catalog (``plugin_text``)."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint

from host.frontend_messages import plugin_text as plugin_text  # a plugin's server sentence in the reader's language
from host.request_bodies import limit_body  # noqa: F401  (tighter body limits for a webhook blueprint)


def assets_blueprint(plugin_name: str, package_file: str) -> Blueprint:
    """A blueprint serving ``<plugin>/static`` at ``/plugins/<plugin>/static/…``.

    Built tab scripts go to ``static/dist/``; the blueprint disappears (404) with the plugin.
    """
    folder = Path(package_file).resolve().parent / "static"
    return Blueprint(f"{plugin_name}", package_file, static_folder=str(folder),
                     static_url_path="/static", url_prefix=f"/plugins/{plugin_name}")


def tab_script(plugin_name: str, filename: str) -> str:
    """The URL of a tab's prebuilt ES module, ``<plugin>/static/dist/<filename>``."""
    return f"/plugins/{plugin_name}/static/dist/{filename}"


def tab_stylesheet(plugin_name: str, filename: str) -> str:
    """The URL of a tab's stylesheet, a CSS file in ``<plugin>/static/`` (a WidgetTab's
    ``stylesheet``: the host links it before the tab is drawn)."""
    return f"/plugins/{plugin_name}/static/{filename}"
