"""Switchboard host: the Flask app factory, plugin framework and core helpdesk model.

Plugins write ``from host import hookimpl`` and implement hooks from
:mod:`host.hookspecs`.
"""
import pluggy

PROJECT = "switchboard"
hookimpl = pluggy.HookimplMarker(PROJECT)
hookspec = pluggy.HookspecMarker(PROJECT)


def create_app(config=None):
    """Build a fresh Switchboard application (see :mod:`host.app`)."""
    from host.app import create_app as _create_app

    return _create_app(config)


__all__ = ["hookimpl", "hookspec", "create_app", "PROJECT"]
