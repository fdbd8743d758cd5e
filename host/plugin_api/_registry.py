"""What the running app has switched on, asked from inside an app context."""
from __future__ import annotations

from flask import current_app

from host.contracts import Channel
from host.registry import Switchboard


def _switchboard() -> Switchboard:
    sb: Switchboard = current_app.extensions["switchboard"]
    return sb


def is_enabled(plugin: str) -> bool:
    """Whether ``plugin`` is switched on now (every process agrees within two seconds)."""
    return bool(_switchboard().plugins.is_enabled(plugin))


def enabled_channels() -> dict[str, Channel]:
    """The channels agents can use now: their plugin is on and they are set up."""
    return _switchboard().enabled_channels()


def channel_refusal(key: str) -> str | None:
    """Why channel ``key`` can't be used now, as a sentence for people; None when it can."""
    return _switchboard().channel_refusal(key)
