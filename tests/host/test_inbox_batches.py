"""The inbox worker hands a kind's claimed events to its handler's ``handle_batch`` at
once; a batch that fails is handled event by event, so one bad event is retried or
dead-lettered alone and the others are processed once."""
from __future__ import annotations

import pytest

from host import hookimpl, inbox
from host.contracts import InboxHandler
from host.extensions import db
from host.models import InboxEvent, utcnow
from tests.host.test_inbox import Journal, drain, record, states


class BatchJournal(Journal):
    """A Journal whose handler also takes batches, all or nothing, as the contract asks."""

    def __init__(self):
        super().__init__()
        self.batches: list[list[tuple[str, int]]] = []
        self.poisoned: set[str] = set()  # ids that make any batch or single call holding them fail

    @hookimpl
    def register_inbox_handlers(self, app):
        return [InboxHandler("journal.entry", self.handle, handle_batch=self.handle_batch)]

    def handle(self, payload):
        if payload["id"] in self.poisoned:
            raise RuntimeError(f"{payload['id']} cannot be handled")
        super().handle(payload)

    def handle_batch(self, payloads):
        if any(p["id"] in self.poisoned for p in payloads):
            raise RuntimeError("a batch with a poisoned event")
        with self.lock:
            self.batches.append([(p["customer"], p["n"]) for p in payloads])
            self.handled.extend((p["customer"], p["n"]) for p in payloads)


@pytest.fixture
def journal():
    return BatchJournal()


@pytest.fixture
def extra_plugins(journal):
    return [("journal", journal)]


@pytest.fixture
def switchboard_config(postgres_url):
    return {"DATABASE_URL": postgres_url, "INBOX_SYNC": False}


def test_events_of_several_customers_are_handled_in_one_batch_in_order_per_customer(app, journal):
    for n in range(3):
        for customer in ("a", "b", "c"):
            record(n, customer)
    drain(app)
    # one event per customer in each batch, so a customer's events never race each other
    assert journal.batches == [[("a", 0), ("b", 0), ("c", 0)], [("a", 1), ("b", 1), ("c", 1)],
                               [("a", 2), ("b", 2), ("c", 2)]]
    assert set(states().values()) == {"done"}


def test_a_poisoned_event_is_dead_lettered_alone_and_its_batch_is_processed_once(app, journal):
    journal.poisoned.add("b-0")
    for customer in ("a", "b", "c"):
        record(0, customer)
    record(1, "b")  # waits behind b-0
    drain(app)
    assert sorted(journal.handled) == [("a", 0), ("c", 0)]  # the good ones, one by one, once
    event = db.session.execute(db.select(InboxEvent).where(InboxEvent.external_id == "b-0")).scalar_one()
    assert event.state == "pending" and event.attempts == 1 and "b-0 cannot be handled" in event.last_error
    for _ in range(inbox.MAX_ATTEMPTS - 1):
        db.session.execute(db.update(InboxEvent).where(InboxEvent.state == "pending")
                           .values(next_attempt_at=utcnow()))
        db.session.commit()
        drain(app)
    assert states() == {"a-0": "done", "b-0": "dead", "c-0": "done", "b-1": "done"}
    assert sorted(journal.handled) == [("a", 0), ("b", 1), ("c", 0)]


def test_a_batch_is_claimed_in_one_statement_that_skips_rows_another_worker_is_claiming(app, journal):
    """``claim_due`` locks what it takes with SKIP LOCKED: a second worker whose claim
    runs while the first one's is uncommitted takes the other customers' events instead
    of waiting for them or taking them twice."""
    from sqlalchemy import text

    from host import work_queue

    for customer in ("a", "b"):
        record(0, customer)
    with db.engine.connect() as other:
        other.execute(text("SELECT id FROM inbox_events WHERE external_id = 'a-0' FOR UPDATE"))
        rows = work_queue.claim_due(InboxEvent, 10, 60, key=InboxEvent.ordering_key)
        other.rollback()
    assert [row.external_id for row in rows] == ["b-0"]


def claims_in_a_pass(app) -> int:
    """How many claims one pass of the worker thread makes (``drain_pass``)."""
    from sqlalchemy import event

    claims = []

    def seen(_conn, _cursor, statement, *_args):
        if statement.startswith("UPDATE inbox_events SET locked_until"):
            claims.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        app.extensions["switchboard"].inbox.drain_pass()
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    return len(claims)


def test_a_pass_ends_without_another_claim_once_nothing_it_claimed_had_a_later_event(app, journal):
    for customer in ("a", "b", "c"):
        record(0, customer)
    assert claims_in_a_pass(app) == 1  # not a second claim that would come back empty
    assert journal.batches == [[("a", 0), ("b", 0), ("c", 0)]]
    assert set(states().values()) == {"done"}


def test_a_pass_claims_again_for_a_customers_later_event_and_after_a_full_batch(app, journal, monkeypatch):
    record(0, "a")
    record(0, "b")
    record(1, "a")  # due once a-0 is done
    assert claims_in_a_pass(app) == 2
    assert journal.handled == [("a", 0), ("b", 0), ("a", 1)]

    monkeypatch.setattr(app.extensions["switchboard"].inbox, "batch", 2)
    for customer in ("c", "d", "e"):
        record(0, customer)
    assert claims_in_a_pass(app) == 2  # the first batch was full: there may be more
    assert set(states().values()) == {"done"}
