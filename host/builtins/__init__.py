"""Host defaults, registered as plugins like any other (they are essential)."""
