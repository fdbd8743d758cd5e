"""Open consoles and widgets follow plugins being switched on and off.

The enabled state lives in the database (``host.plugins``), and any process may change
it: the Plugins page, the API, or the ``switchboard`` command, with or without Redis.
So each serving process watches it itself: on every pass of the realtime checks
(``host.realtime_access``, every ``SWITCHBOARD_ACCESS_CHECK_SECONDS``) it reads the
disabled set afresh and, when it differs from what it saw last, sends
``plugins:changed`` to each of its own connections. The console then fetches the tabs
and channels enabled now (``lib/plugin_changes.js``). Sending only to its own
connections (``ignore_queue``) means a change is announced once per browser however
many processes see it.
"""
from __future__ import annotations

import logging

log = logging.getLogger(__name__)

EVENT = "plugins:changed"
_SEEN = "switchboard.plugins_seen"


def check(app, sids) -> bool:
    """Compare the enabled state with the last pass; tell ``sids`` when it changed."""
    sb = app.extensions["switchboard"]
    disabled = sb.plugins.refresh()
    seen = app.extensions.get(_SEEN)
    app.extensions[_SEEN] = disabled
    if seen is None or seen == disabled:
        return False
    enabled = sorted(name for name in sb.plugins.plugins if name not in disabled)
    server = app.extensions["socketio"].server
    log.info("plugins changed (disabled now: %s); telling %d connection(s)", ", ".join(sorted(disabled)) or "none",
             len(sids))
    for sid in sids:
        try:
            server.emit(EVENT, {"enabled": enabled}, to=sid, ignore_queue=True)
        except Exception:  # a connection that went away meanwhile
            log.debug("could not tell %s about the plugin change", sid, exc_info=True)
    return True


def remember(app) -> None:
    """Note the state a newly started watch begins from (a change before it isn't news)."""
    if _SEEN not in app.extensions:
        app.extensions[_SEEN] = app.extensions["switchboard"].plugins.refresh()
