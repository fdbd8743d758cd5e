"""CPU the inbox worker spends per message in passes of the size a steady stream gives it.

    python benchmarks/inbox_worker.py --postgres postgresql+psycopg://postgres@127.0.0.1/postgres \
                                      --redis redis://127.0.0.1:6379/0 [--per-pass 15] [--passes 300]

At 300 webhooks/s a ``switchboard worker`` starts a pass every 50 ms
(``SWITCHBOARD_INBOX_GATHER_SECONDS``) and finds about 15 events in it, mostly of
different customers writing into chats they already have. This runs exactly that in one
process, with nothing else in it: a fresh PostgreSQL database made through ``--postgres``
(dropped at the end), ``--groups`` groups with ``--agents`` agents, ``--customers``
contacts of the example HTTP SMS gateway (``sbx_http_sms``, as ``load.py`` uses) spread
over the groups, each with an open chat (their first messages, untimed); then
``--passes`` times: ``--per-pass`` messages of random customers are recorded
(the gateway webhook's INSERT) and one pass of the worker thread
(``Inbox.drain_pass``) processes them, realtime events published to ``--redis`` included.
Only the passes are timed: the process's CPU seconds per event (all threads), and with
``--statements`` the SQL statements per pass, with ``--profile FILE`` a cProfile of the
passes (CPU time).
"""
from __future__ import annotations

import argparse
import os
import random
import secrets
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", required=True, metavar="URL", help="a fresh database is made through this URL")
    parser.add_argument("--redis", metavar="URL", help="realtime events published to this Redis (default: none)")
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--passes", type=int, default=300)
    parser.add_argument("--per-pass", type=int, default=15, help="messages recorded before each pass")
    parser.add_argument("--statements", action="store_true", help="count the SQL statements of the passes")
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile (CPU time) of the passes to FILE")
    args = parser.parse_args()

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    name = f"switchboard_inbox_worker_{secrets.token_hex(3)}"
    admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    os.environ.update({"SWITCHBOARD_DATABASE_URL": make_url(args.postgres).set(database=name)
                      .render_as_string(hide_password=False), "SWITCHBOARD_REDIS_URL": args.redis or "",
                       "SWITCHBOARD_REDIS_CHANNEL": name, "SWITCHBOARD_SECRET_KEY": secrets.token_hex(16)})
    try:
        run(args)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    return 0


def run(args) -> None:
    import flask_migrate
    from sqlalchemy import event

    from benchmarks.fixtures import agents_in_groups
    from host import create_app, settings
    from host.extensions import db
    from host.models import InboxEvent
    from plugins.contacts.models import Contact, ContactIdentity

    app = create_app({"INSTANCE_PATH": tempfile.mkdtemp(prefix="switchboard-bench-"), "OUTBOX_WORKER": False,
                      "INBOX_WORKER": False, "PUBLIC_URL": "http://127.0.0.1"})
    worker = app.extensions["switchboard"].inbox
    sent = iter(range(10 ** 9))

    def record(customers) -> None:
        """The inbox rows the gateway's webhook records (its INSERT, without the wake-up:
        this process's pass is run by hand)."""
        rows = []
        for customer in customers:
            n = next(sent)
            data = {"id": f"bench-{n:07d}", "from": f"+1555{customer:07d}", "to": "+15550000000",
                    "text": f"message {n}"}
            rows.append({"provider": "http_sms", "external_id": f"in:{data['id']}", "kind": "http_sms.inbound",
                         "ordering_key": data["from"], "payload": data})
        db.session.execute(db.insert(InboxEvent), rows)
        db.session.commit()

    with app.app_context():
        flask_migrate.upgrade(revision="heads")
        settings.save("http_sms", {"send_url": "http://127.0.0.1:9/send", "sender": "+15550000000",
                                   "api_token": "bench", "webhook_secret": "bench"})
        groups, _agents, _tokens = agents_in_groups(args.groups, args.agents, group_name="Group {:02d}",
                                                    email="agent{:04d}@bench.test", first_is_default=True)
        for c in range(args.customers):
            contact = Contact(name=f"Customer {c}", group_id=groups[c % args.groups].id)
            contact.identities.append(ContactIdentity(kind="http_sms", address=f"+1555{c:07d}"))
            db.session.add(contact)
        db.session.commit()
        record(range(args.customers))  # each customer's chat, before the clock
        while worker.drain():
            pass

        statements = []
        counting = False

        def count(_conn, _cursor, statement, *_args):
            if counting:
                statements.append(statement)

        if args.statements:
            event.listen(db.engine, "before_cursor_execute", count)
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile(time.process_time)
        rng = random.Random(1)
        cpu = 0.0
        for _ in range(args.passes):
            record([rng.randrange(args.customers) for _ in range(args.per_pass)])
            db.session.remove()
            counting, started = True, time.process_time()
            if profiler is not None:
                profiler.enable()
            worker.drain_pass()
            if profiler is not None:
                profiler.disable()
            cpu += time.process_time() - started
            counting = False
        left = db.session.execute(db.select(db.func.count()).select_from(InboxEvent)
                                  .where(InboxEvent.state != "done")).scalar()
        if profiler is not None:
            profiler.dump_stats(args.profile)
        events = args.passes * args.per_pass
        print(f"{events} events in {args.passes} passes of {args.per_pass}: {cpu * 1000 / events:.3f} ms of worker "
              f"CPU per event" + (f", {len(statements) / args.passes:.1f} SQL statements per pass"
                                  if args.statements else "") + f"; not processed: {left}")


if __name__ == "__main__":
    sys.exit(main())
