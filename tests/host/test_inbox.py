"""The inbox: recorded events are processed once, in order per customer, with retries and
dead letters; several workers share the work safely."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from host import hookimpl, inbox
from host.contracts import InboxHandler
from host.extensions import db
from host.models import InboxEvent, utcnow


class Journal:
    """A plugin whose handler writes down what it handled; ``fail`` makes events raise."""

    def __init__(self):
        self.handled: list[tuple[str, int]] = []
        self.fail: dict[str, int] = {}  # external id → failures left
        self.lock = threading.Lock()

    @hookimpl
    def register_inbox_handlers(self, app):
        return [InboxHandler("journal.entry", self.handle)]

    def handle(self, payload):
        with self.lock:
            left = self.fail.get(payload["id"], 0)
            if left:
                self.fail[payload["id"]] = left - 1
                raise RuntimeError(f"cannot handle {payload['id']} yet")
            self.handled.append((payload["customer"], payload["n"]))


@pytest.fixture
def journal():
    return Journal()


@pytest.fixture
def extra_plugins(journal):
    return [("journal", journal)]


@pytest.fixture
def switchboard_config():
    return {"INBOX_SYNC": False}


def record(n, customer="a"):
    return inbox.record("journal", f"{customer}-{n}", "journal.entry", customer,
                        {"id": f"{customer}-{n}", "customer": customer, "n": n})


def worker(app):
    return app.extensions["switchboard"].inbox


def drain(app):
    while worker(app).drain():
        pass


def states():
    return {e.external_id: e.state for e in db.session.execute(db.select(InboxEvent)).scalars()}


def test_an_event_is_recorded_once_and_processed_once(app, journal):
    assert record(1) is True
    assert record(1) is False  # a re-delivery
    assert journal.handled == []  # recorded, not yet processed
    drain(app)
    drain(app)
    assert journal.handled == [("a", 1)]
    assert states() == {"a-1": "done"}


def test_a_customers_events_wait_for_an_earlier_one_that_is_retried(app, journal):
    journal.fail["a-1"] = 1
    for n in (1, 2, 3):
        record(n)
    record(1, customer="b")
    drain(app)
    # a-1 failed and waits for its retry; a-2 and a-3 wait behind it; b is not held up
    assert journal.handled == [("b", 1)]
    event = db.session.execute(db.select(InboxEvent).where(InboxEvent.external_id == "a-1")).scalar_one()
    assert event.state == "pending" and event.attempts == 1 and "cannot handle a-1 yet" in event.last_error
    event.next_attempt_at = utcnow()  # its backoff is over
    db.session.commit()
    drain(app)
    assert journal.handled == [("b", 1), ("a", 1), ("a", 2), ("a", 3)]


def test_an_event_that_keeps_failing_is_dead_lettered_and_can_be_reprocessed(app, journal):
    journal.fail["a-1"] = inbox.MAX_ATTEMPTS + 1
    record(1)
    record(2)
    for _ in range(inbox.MAX_ATTEMPTS):
        db.session.execute(db.update(InboxEvent).values(next_attempt_at=utcnow()))
        db.session.commit()
        drain(app)
    assert states() == {"a-1": "dead", "a-2": "done"}  # the dead letter lets later events through
    assert journal.handled == [("a", 2)]
    assert inbox.backlog()["dead"] == 1

    journal.fail["a-1"] = 0
    dead = db.session.execute(db.select(InboxEvent.id).where(InboxEvent.external_id == "a-1")).scalar_one()
    assert worker(app).reprocess(dead) is True
    assert worker(app).reprocess(dead) is False  # no longer a dead letter
    drain(app)
    assert journal.handled == [("a", 2), ("a", 1)] and states()["a-1"] == "done"


def test_a_claim_of_a_worker_that_died_is_taken_over(app, journal):
    record(1)
    from host import work_queue
    [claimed] = work_queue.claim_many(InboxEvent, worker(app).due_ids(), 60)  # then the process dies
    drain(app)
    assert journal.handled == []  # its lease still holds
    db.session.execute(db.update(InboxEvent).where(InboxEvent.id == claimed)
                       .values(locked_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    drain(app)
    assert journal.handled == [("a", 1)]


def test_events_of_a_disabled_plugin_are_dead_lettered_with_the_reason(app, journal):
    app.extensions["switchboard"].plugins.set_enabled("journal", False)
    record(1)
    drain(app)
    event = db.session.execute(db.select(InboxEvent)).scalar_one()
    assert event.state == "dead" and event.last_error == "No enabled plugin handles journal.entry events."


def test_the_backlog_counts_pending_events_and_the_age_of_the_oldest(app, journal):
    assert inbox.backlog() == {"pending": 0, "oldest_seconds": 0.0, "dead": 0}
    record(1)
    record(2, customer="b")
    db.session.execute(db.update(InboxEvent).where(InboxEvent.external_id == "a-1")
                       .values(received_at=utcnow() - timedelta(seconds=90)))
    db.session.commit()
    backlog = inbox.backlog()
    assert backlog["pending"] == 2 and 89 < backlog["oldest_seconds"] < 120


def test_healthz_reports_the_backlog_and_turns_503_past_the_configured_age(app, journal):
    client = app.test_client()
    inbox_check = client.get("/healthz").json["checks"]["inbox"]
    assert inbox_check == {"ok": True, "pending": 0, "oldest_seconds": 0.0, "dead": 0}
    record(1)
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json["checks"]["inbox"]["pending"] == 1
    db.session.execute(db.update(InboxEvent).values(
        received_at=utcnow() - timedelta(seconds=app.config["SWITCHBOARD_INBOX_MAX_AGE_SECONDS"] + 5)))
    db.session.commit()
    response = client.get("/healthz")
    assert response.status_code == 503
    check = response.json["checks"]["inbox"]
    assert check["ok"] is False and "are the workers running?" in check["detail"]
    drain(app)
    assert client.get("/healthz").status_code == 200


def test_admins_see_dead_letters_in_words_and_reprocess_them(app, journal, admin, agent, signed_in):
    journal.fail["a-1"] = inbox.MAX_ATTEMPTS
    record(1)
    for _ in range(inbox.MAX_ATTEMPTS):
        db.session.execute(db.update(InboxEvent).values(next_attempt_at=utcnow()))
        db.session.commit()
        drain(app)
    client = signed_in(admin)
    page = client.get("/admin/inbox").get_data(as_text=True)
    assert "A journal.entry event from journal" in page and "cannot handle a-1 yet" in page
    assert '{"id"' not in page  # no raw payloads
    event_id = db.session.execute(db.select(InboxEvent.id)).scalar_one()
    other = signed_in(agent)
    assert other.post(f"/admin/inbox/{event_id}/reprocess", data={"csrf_token": other.csrf_token}).status_code == 403
    assert states() == {"a-1": "dead"}
    response = client.post(f"/admin/inbox/{event_id}/reprocess", data={"csrf_token": client.csrf_token})
    assert response.status_code == 302
    drain(app)
    assert states() == {"a-1": "done"} and journal.handled == [("a", 1)]
    assert "No dead letters" in client.get("/admin/inbox").get_data(as_text=True)


def test_processed_events_are_pruned_after_the_retention_dead_letters_stay(app, journal):
    journal.fail["a-1"] = inbox.MAX_ATTEMPTS
    for n in (1, 2, 3):
        record(n)
    for _ in range(inbox.MAX_ATTEMPTS):
        db.session.execute(db.update(InboxEvent).values(next_attempt_at=utcnow()))
        db.session.commit()
        drain(app)
    assert states() == {"a-1": "dead", "a-2": "done", "a-3": "done"}
    db.session.execute(db.update(InboxEvent).where(InboxEvent.external_id != "a-3")
                       .values(received_at=utcnow() - timedelta(days=8)))
    db.session.commit()
    assert inbox.prune(7) == 1
    assert states() == {"a-1": "dead", "a-3": "done"}
    assert record(3) is False  # still recognised as a re-delivery
