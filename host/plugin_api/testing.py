"""The contract kit for a plugin's own tests (the pytest fixtures come with the
``switchboard`` pytest plugin): subclass a contract and pytest runs its checks; ``send_due`` and ``pending_sends`` drive
and read the outbox in a channel's retry tests."""
from __future__ import annotations

from host.testing.contracts import ChannelContract, PluginContract, WidgetTabContract, pending_sends, send_due

__all__ = ["PluginContract", "ChannelContract", "WidgetTabContract", "send_due", "pending_sends"]
