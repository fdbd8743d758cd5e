"""An event recorder: a plugin that remembers every notification it receives."""
from __future__ import annotations

from host import hookimpl
from host.events import ALL_EVENTS


class EventRecorder:
    def __init__(self):
        self.events = []

    def of(self, hook: str) -> list:
        return [e for e in self.events if e.hook == hook]

    def names(self) -> list[str]:
        return [e.hook for e in self.events]

    def clear(self) -> None:
        self.events.clear()


def _make_handler(hook_name):
    def handler(self, event):
        self.events.append(event)

    handler.__name__ = hook_name
    return hookimpl(handler)


for _event in ALL_EVENTS:
    setattr(EventRecorder, _event.hook, _make_handler(_event.hook))
