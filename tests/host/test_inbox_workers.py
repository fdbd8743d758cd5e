"""Several inbox workers at once on PostgreSQL: each event once, in order per customer."""
from __future__ import annotations

import threading

import pytest

from tests.host.test_inbox import Journal, drain, record


@pytest.fixture
def journal():
    return Journal()


@pytest.fixture
def extra_plugins(journal):
    return [("journal", journal)]


@pytest.fixture
def switchboard_config(postgres_url):
    return {"DATABASE_URL": postgres_url, "INBOX_SYNC": False}


def test_several_workers_process_each_event_once_in_order_per_customer(app, journal):
    customers = [f"c{i}" for i in range(6)]
    for n in range(15):
        for customer in customers:
            record(n, customer)
    errors = []

    def run():
        try:
            with app.app_context():
                drain(app)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    drain(app)
    assert errors == []
    assert sorted(journal.handled) == sorted((c, n) for c in customers for n in range(15))  # each once
    for customer in customers:
        assert [n for c, n in journal.handled if c == customer] == list(range(15))
