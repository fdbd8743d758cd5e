"""Notifications: events a plugin raises reach every enabled plugin after the commit.

``emit(event)`` queues a notification (an event from :mod:`host.plugin_api`) on the current
transaction; ``commit()`` commits and then dispatches what was queued, each plugin in
isolation. A rollback drops them.
"""
from __future__ import annotations

from host.emit import commit, emit

__all__ = ["emit", "commit"]
