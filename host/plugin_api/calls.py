"""Calls on a chat: started and updated by the plugin that carries them."""
from __future__ import annotations

from host.calls import FINAL, set_muted, start_call, update_call

__all__ = ["start_call", "update_call", "set_muted", "FINAL"]
