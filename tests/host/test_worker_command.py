"""`switchboard worker`: the inbox and outbox workers in a process of their own, at a lower
CPU priority than the processes answering webhooks."""
import os
import threading

from host.cli import main as cli


def run_worker(app, monkeypatch, *args):
    niced, started, stopped = [], [], []
    monkeypatch.setattr(os, "nice", lambda n: niced.append(n) or n)
    outbox = app.extensions["switchboard"].outbox
    monkeypatch.setattr(outbox, "start", lambda spawn: started.append(spawn))
    monkeypatch.setattr(outbox, "stop", lambda: stopped.append(True))

    def interrupted(self, timeout=None):  # Ctrl+C as soon as the worker waits
        raise KeyboardInterrupt

    monkeypatch.setattr(threading.Event, "wait", interrupted)
    result = app.test_cli_runner().invoke(cli, ["worker", *args])
    monkeypatch.undo()
    assert result.exit_code == 0, result.output
    assert started and stopped == [True]
    return niced


def test_the_worker_leaves_the_cpu_to_the_http_processes_first(app, monkeypatch):
    assert run_worker(app, monkeypatch) == [19]
    assert run_worker(app, monkeypatch, "--nice", "3") == [3]
    assert run_worker(app, monkeypatch, "--nice", "0") == []


def test_a_priority_out_of_range_is_refused_by_name(app):
    result = app.test_cli_runner().invoke(cli, ["worker", "--nice", "25"])
    assert result.exit_code == 2 and "--nice" in result.output
