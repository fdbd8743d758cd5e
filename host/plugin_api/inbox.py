"""The inbox: a webhook records its provider's event and answers; the inbox worker hands it
to the plugin's ``InboxHandler`` later, in arrival order per customer."""
from __future__ import annotations

from host.inbox import record

__all__ = ["record"]
