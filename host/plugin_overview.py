"""Plugins described for people: what each one is, whether it is on, what it adds to the
console and what it still needs — for the Plugins page and ``/healthz`` details.

Descriptions come from the plugin's own message catalog (``plugin.title`` and
``plugin.description`` in ``messages/<language>.json``, for a plugin that ships no
gettext catalog), else its settings (``PluginSettings.title``/``description``), else the
first line of its module's docstring. The setup status joins three sources:
stored settings that don't validate, channels not offered to agents yet (their
``missing_settings()``), and the plugin's health checks, each with the action that
fixes it.
"""
from __future__ import annotations

import inspect

from flask import current_app, url_for
from flask_babel import gettext, lazy_gettext, ngettext

from host import settings as settings_store
from host.frontend_messages import plugin_message, tab_title
from host.i18n import and_list

BUILTIN_TITLES = {"host.defaults": lazy_gettext("Switchboard core"), "host.realtime": lazy_gettext("Live updates")}
# The built-in parts' descriptions in words for admins (their docstrings are for developers).
BUILTIN_DESCRIPTIONS = {
    "host.defaults": lazy_gettext("The host's own answers to the plugin hooks; any plugin may answer first."),
    "host.realtime": lazy_gettext("Pushes every notification to the agents who may see it, over Socket.IO."),
}


def _sb():
    return current_app.extensions["switchboard"]


def describe(name: str) -> tuple[str, str]:
    """(title, one-paragraph description) of an installed plugin."""
    sb = _sb()
    registered = sb.settings.get(name)
    info = sb.plugins.plugins[name]
    doc = inspect.getdoc(info.plugin) or ""
    if not inspect.ismodule(info.plugin) and doc == inspect.getdoc(type(info.plugin).__base__):
        doc = ""
    first = doc.split("\n\n")[0].replace("\n", " ").strip()
    title = plugin_message(name, "plugin.title") or \
        (registered.title if registered and registered.title else BUILTIN_TITLES.get(name)) or \
        name.replace("_", " ").capitalize()
    description = plugin_message(name, "plugin.description") or \
        (registered.description if registered and registered.description else "") or \
        BUILTIN_DESCRIPTIONS.get(name) or first
    return str(title), str(description)


def setup_items(name: str, health=None) -> list[dict]:
    """What the plugin still needs, each with the action that fixes it (empty when set up)."""
    sb = _sb()
    items = []
    has_settings = name in sb.settings
    settings_url = url_for("admin.plugin_settings", name=name) if has_settings else ""
    missing, blocked = [], []  # settings not filled in; channels held back until they are
    schema_problems = settings_store.missing_and_problems(name) if has_settings else ([], [])
    missing.extend(schema_problems[0])
    for problem in schema_problems[1]:
        items.append({"text": problem, "action": gettext("Fix it in the settings"), "action_url": settings_url})
    for key, (owner, channel) in sb.channels.items():
        if owner != name:
            continue
        needs = sb.missing_settings(key)
        if needs:
            blocked.append(channel.label)
            missing.extend(label for label in (settings_store.label(name, f) for f in needs) if label not in missing)
    if missing:
        text = gettext("Not filled in yet: %(fields)s.", fields=", ".join(missing))
        if blocked:
            text += " " + ngettext("Until then %(channels)s is not offered to agents.",
                                   "Until then %(channels)s are not offered to agents.", len(blocked),
                                   channels=and_list(blocked))
        items.insert(0, {"text": text, "action": ngettext("Fill it in", "Fill them in", len(missing)),
                         "action_url": settings_url})
    checks = health if health is not None else [c for owner, c in sb.health() if owner == name]
    for check in checks:
        if not check.ok:
            items.append({"text": f"{check.name}: {check.detail}" if check.detail else check.name,
                          "action": check.action or (gettext("Open the settings") if check.setup and settings_url else ""),
                          "action_url": check.action_url or (settings_url if check.setup else ""),
                          "outage": not check.setup})
    return items


def adds(name: str) -> dict:
    """What the plugin adds to the console, in the words agents see."""
    sb = _sb()
    return {
        "tabs": [tab_title(owner, tab) for owner, tab in sorted(sb.tabs.values(), key=lambda item: item[1].order)
                 if owner == name],
        "channels": [channel.label for owner, channel in sb.channels.values() if owner == name],
    }


def cards() -> list[dict]:
    """One card per installed plugin, essential ones first."""
    sb = _sb()
    disabled = sb.plugins.disabled()
    health: dict[str, list] = {}
    for owner, check in sb.health():
        health.setdefault(owner, []).append(check)
    result = []
    for info in sorted(sb.plugins.plugins.values(), key=lambda p: (not p.essential, p.name)):
        title, description = describe(info.name)
        enabled = info.name not in disabled
        result.append({
            "name": info.name, "title": title, "description": description, "enabled": enabled,
            "essential": info.essential, "source": info.source, "version": info.version,
            "adds": adds(info.name), "has_settings": info.name in sb.settings,
            "setup": setup_items(info.name, health.get(info.name, [])),
            "passing": [c for c in health.get(info.name, []) if c.ok],
        })
    return result


def setup_report() -> list[dict]:
    """Every enabled plugin's open setup items, for ``/healthz`` (admins only)."""
    return [{"plugin": card["name"], **item} for card in cards() for item in card["setup"]]
