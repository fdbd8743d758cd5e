"""register_workers: a plugin's background worker runs and stops with the host's workers."""
import pytest

from host import create_app, hookimpl
from host.registry import RegistrationError


class Counter:
    def __init__(self):
        self.started, self.stopped = [], 0

    def start(self, start_background_task):
        self.started.append(start_background_task)

    def stop(self):
        self.stopped += 1


class WorkerPlugin:
    def __init__(self, worker):
        self.worker = worker

    @hookimpl
    def register_workers(self, app):
        return [self.worker]


def test_a_plugins_worker_starts_and_stops_with_the_outbox_worker(tmp_path):
    worker = Counter()
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k" * 32,
                      "EXTRA_PLUGINS": [("worker_plugin", WorkerPlugin(worker))]})
    outbox = app.extensions["switchboard"].outbox
    started = []

    def start_background_task(fn):  # records the threads instead of starting them
        started.append(fn)
        return "thread"

    assert worker.started == []
    outbox.start(start_background_task)
    assert worker.started == [start_background_task] and worker.stopped == 0
    outbox.stop()
    assert worker.stopped == 1


def test_something_that_is_not_a_worker_stops_start_up(tmp_path):
    with pytest.raises(RegistrationError, match="worker_plugin returned a worker without start/stop"):
        create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k" * 32,
                    "EXTRA_PLUGINS": [("worker_plugin", WorkerPlugin(object()))]})
