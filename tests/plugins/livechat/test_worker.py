"""The LiveChat sync worker is the plugin API's polling worker: woken by an enqueue, it
makes the due calls on its own thread, prunes on its first pass and outlives a failed one."""
from __future__ import annotations

import threading
import time
from datetime import timedelta

from host.extensions import db
from host.models import utcnow
from host.plugin_api import workers
from plugins.livechat import sync_queue
from plugins.livechat.models import LiveChatSyncItem


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def states():
    db.session.rollback()  # read what the worker's thread committed
    return [i.state for i in db.session.execute(db.select(LiveChatSyncItem).order_by(LiveChatSyncItem.id)).scalars()]


def start(worker):
    threads = []

    def start_background_task(target):
        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        threads.append(thread)
        return thread

    worker.start(start_background_task)
    worker.start(start_background_task)  # a second start is a no-op: one thread per app
    return threads


def test_the_sync_worker_is_the_plugin_apis_polling_worker(app):
    assert "PollingWorker" in workers.__all__
    assert issubclass(sync_queue.LiveChatSync, workers.PollingWorker)
    assert "_run" not in vars(sync_queue.LiveChatSync)  # the loop is the API's, not a copy


def test_the_thread_makes_the_calls_prunes_and_survives_a_failed_pass(app, livechat, inbound, monkeypatch):
    app.config["SWITCHBOARD_OUTBOX_POLL_SECONDS"] = 0.2
    inbound("hello")  # queues LiveChat's start of the chat and the message
    chat_id = db.session.execute(db.select(LiveChatSyncItem.chat_id)).scalars().first()
    old = LiveChatSyncItem(chat_id=chat_id, action="message", state="done", payload={})
    db.session.add(old)
    db.session.commit()
    old.updated_at = utcnow() - timedelta(days=30)  # finished long ago: the first pass prunes it
    db.session.commit()
    assert states() == ["pending", "pending", "done"]

    worker = sync_queue.sync()
    real_drain = worker.drain
    calls = {"n": 0}

    def flaky_drain(*args):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database went away")
        return real_drain(*args)

    monkeypatch.setattr(worker, "drain", flaky_drain)
    threads = start(worker)
    assert len(threads) == 1 and worker.running
    try:
        worker.kick()  # the first pass fails; the thread pauses a second and polls again
        wait_for(lambda: states() == ["done", "done"])
        assert calls["n"] >= 2
        assert livechat.requests_for("start_chat")
    finally:
        worker.stop()
    threads[0].join(5)
    assert not threads[0].is_alive() and not worker.running
