"""Acknowledgement throughput of signed Twilio inbound webhooks against a real server
process, next to a bare 204, and next to the rate at which the inbox worker processes them.

    python benchmarks/webhooks.py                      # defaults: 8 client threads, 5 rounds of 5 s phases
    python benchmarks/webhooks.py --threads 16 --seconds 15 --rate 200
    python benchmarks/webhooks.py --profile /tmp/wh-prof   # per-request cProfile of the app
    python benchmarks/webhooks.py --production             # served as serve --production serves (gunicorn gthread)
    python benchmarks/webhooks.py --postgres postgresql+psycopg://postgres@127.0.0.1/postgres \
                                  --redis redis://127.0.0.1:6379/0 --work-profile /tmp/work.prof

What it does, all on 127.0.0.1 with a fresh temporary instance (SQLite; with ``--postgres``
a fresh PostgreSQL database made through that URL and dropped at the end, and with
``--redis`` Socket.IO on that Redis, a pub/sub channel of its own, as in production):

1. starts ``python benchmarks/webhooks.py _serve`` — the app served exactly like
   ``switchboard serve --no-worker`` (Flask-SocketIO's threaded Werkzeug server, no outbox
   or inbox worker: a webhook's cost is its acknowledgement alone), or with
   ``--production`` like ``switchboard serve --production`` (gunicorn's gthread worker,
   ``--server-threads`` threads, the app of :func:`host.serving.production_app`; its CPU
   is the arbiter's and the worker's together),
   with Twilio credentials from the environment (live mode: the real signature check)
   and one extra bench-only plugin that adds ``POST /webhooks/bench/noop`` → 204. That
   route goes through the same request guards; it exists only in this process;
2. each customer's first message (``--customers`` of them, reported on their own row:
   a new contact and chat cost several times a message to an open chat);
3. closed loop, max throughput: the bare endpoint, then signed inbound webhooks
   (``X-Twilio-Signature`` computed with ``RequestValidator.compute_signature``; bodies
   are signed before the clock starts so the client measures the server), each for
   ``--seconds`` with ``--threads`` connections, ``--rounds`` times in turn. The ratio
   is taken per round (the two phases seconds apart) and the median is reported: on a
   shared 2-core machine the speed of the whole box drifts by ±20 % over a minute,
   which a single pair of phases reads as a change in the ratio;
4. open loop at ``--rate`` webhooks/s (paced, same threads) for latency under that load;
5. stops the server and runs the inbox worker alone on what was recorded
   (``python benchmarks/webhooks.py _work``, the worker of ``switchboard worker``): the
   events it processes per second and its CPU per event, next to the acknowledgements
   (``--work-profile FILE``: a cProfile of that process);
6. counts rows in the database: every webhook answered 200 must be stored exactly once
   (``lost``), and ``--dup-percent`` of them are deliberately re-delivered, as Twilio
   does, to show they are stored once (``duplicated``).

The 200 is sent only after the commit: ``host.inbox.record`` commits before returning.
"""
from __future__ import annotations

import argparse
import http.client
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from host import hookimpl  # noqa: E402
ACCOUNT_SID = "AC" + "b" * 32
AUTH_TOKEN = "bench-auth-token-" + "0" * 16
MESSAGING = "/webhooks/twilio/messaging"
NOOP = "/webhooks/bench/noop"


# --- the server process ----------------------------------------------------------------

class BenchPlugin:
    """Bench-only: the same server answering a bare 204, for the comparison."""

    @hookimpl
    def register_blueprints(self, app):
        from flask import Blueprint

        bp = Blueprint("bench", __name__)
        bp.add_url_rule(NOOP, "noop", lambda: ("", 204), methods=["POST"])
        return [bp]


def without_writer_turn() -> None:
    """``--without-writer-turn``: SQLite's own locking alone, without the process-wide
    writer turn of :mod:`host.sqlite_writes` (to measure whether it still pays)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from host import sqlite_writes

    event.remove(Engine, "before_cursor_execute", sqlite_writes._before_write)
    sqlite_writes.begin_writing = lambda session: None


def bench_config(instance: str, port: int) -> dict:
    return {"INSTANCE_PATH": instance, "PUBLIC_URL": f"http://127.0.0.1:{port}",
            "OUTBOX_WORKER": False, "INBOX_WORKER": False, "EXTRA_PLUGINS": [("bench", BenchPlugin())]}


def profiled(app, profile_dir: str | None):
    if profile_dir:
        from werkzeug.middleware.profiler import ProfilerMiddleware

        app.wsgi_app = ProfilerMiddleware(app.wsgi_app, stream=None, profile_dir=profile_dir,
                                          filename_format="{method}.{path}.{time:.6f}.prof")
    return app


def serve(instance: str, port: int, profile_dir: str | None, production_threads: int = 0) -> None:
    import flask_migrate

    from host import create_app
    from host.extensions import db
    from host.serving import settle_garbage_collector

    app = create_app(bench_config(instance, port))
    with app.app_context():
        flask_migrate.upgrade(revision="heads")
        db.engine.dispose()  # gunicorn's worker makes its own connections
    if production_threads:
        from host import serving

        # The app is made in gunicorn's worker, after the fork, as serve --production does.
        def load():
            made = profiled(serving.production_app(outbox=False, config=bench_config(instance, port)), profile_dir)
            print("ready", flush=True)
            return made

        serving.serve(serving.gunicorn_options("127.0.0.1", port, production_threads), load)
        return
    profiled(app, profile_dir)
    socketio = app.extensions["socketio"]
    settle_garbage_collector()  # as switchboard serve does
    print("ready", flush=True)
    socketio.run(app, host="127.0.0.1", port=port, allow_unsafe_werkzeug=True, use_reloader=False,
                 log_output=False)


def work(instance: str, port: int, profile: str | None = None) -> None:
    """Process every recorded event with the inbox worker; print events, seconds, CPU seconds."""
    from host import create_app
    from host.extensions import db
    from host.models import InboxEvent

    app = create_app({"INSTANCE_PATH": instance, "PUBLIC_URL": f"http://127.0.0.1:{port}",
                      "OUTBOX_WORKER": False, "EXTRA_PLUGINS": [("bench", BenchPlugin())]})
    inbox = app.extensions["switchboard"].inbox
    with app.app_context():
        pending = db.session.execute(db.select(db.func.count()).select_from(InboxEvent)
                                     .where(InboxEvent.state == "pending")).scalar()
        profiler = None
        if profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        wall, cpu = time.perf_counter(), time.process_time()
        while inbox.drain():
            pass
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(profile)
    print(f"processed {pending} {wall:.3f} {cpu:.3f}", flush=True)


# --- the client ----------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def signed_webhook(port: int, n: int, customers: int) -> bytes:
    from twilio.request_validator import RequestValidator

    sid = f"SM{n:032x}"
    params = {"AccountSid": ACCOUNT_SID, "ApiVersion": "2010-04-01", "MessageSid": sid, "SmsMessageSid": sid,
              "SmsSid": sid, "SmsStatus": "received", "From": f"+1415555{n % customers:04d}",
              "To": "+14155550100", "Body": f"Benchmark message {n}", "NumMedia": "0", "NumSegments": "1"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(f"http://127.0.0.1:{port}{MESSAGING}", params)
    return signature.encode(), urlencode(params).encode()


class Result:
    def __init__(self, name):
        self.name = name
        self.latencies: list[float] = []
        self.ok = self.errors = 0
        self.seconds = 0.0
        self.cpu_ms = 0.0   # server CPU per request
        self.lock = threading.Lock()

    def add(self, latency, ok):
        with self.lock:
            self.latencies.append(latency)
            if ok:
                self.ok += 1
            else:
                self.errors += 1

    def row(self) -> str:
        lat = sorted(self.latencies) or [0.0]
        p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000  # noqa: E731
        rate = self.ok / self.seconds if self.seconds else 0
        return (f"{self.name:<28} {self.ok:>7} {self.errors:>6} {rate:>9.1f} {p(0.5):>8.1f} {p(0.9):>8.1f} "
                f"{p(0.99):>8.1f} {lat[-1] * 1000:>8.1f} {self.cpu_ms:>8.2f}")

    @property
    def rate(self):
        return self.ok / self.seconds if self.seconds else 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process and its children (gunicorn's worker) have used
    so far (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except FileNotFoundError:
        return 0.0
    total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        total += sum(cpu_seconds(int(child)) for child in task.read_text().split())
    return total


def run_phase(name, port, threads, seconds, make_request, rate=None, max_requests=None,
              server_pid=None) -> Result:
    """``make_request(i)`` → (path, headers, body, expected_status). Closed loop unless ``rate``."""
    result = Result(name)
    cpu_before = cpu_seconds(server_pid) if server_pid else 0.0
    counter = iter(range(10 ** 9))
    lock = threading.Lock()
    start = time.perf_counter()
    deadline = start + seconds
    interval = threads / rate if rate else 0.0

    def worker(index):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        next_at = start + index * (interval / threads if rate else 0)
        while True:
            if rate:
                now = time.perf_counter()
                if next_at > now:
                    time.sleep(next_at - now)
                next_at += interval
            if time.perf_counter() >= deadline:
                break
            with lock:
                i = next(counter)
            if max_requests and i >= max_requests:
                break
            path, headers, body, expected = make_request(i)
            sent = time.perf_counter()
            try:
                conn.request("POST", path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == expected
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            result.add(time.perf_counter() - sent, ok)
        conn.close()

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    result.seconds = time.perf_counter() - start
    if server_pid:
        result.cpu_ms = (cpu_seconds(server_pid) - cpu_before) * 1000 / max(1, result.ok + result.errors)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0, help="per phase")
    parser.add_argument("--rounds", type=int, default=5, help="bare/webhook max-throughput pairs")
    parser.add_argument("--rate", type=float, default=200.0, help="webhooks/s in the paced phase")
    parser.add_argument("--max-requests", type=int, default=10000, help="per phase, a safety bound")
    parser.add_argument("--customers", type=int, default=300, help="distinct customer numbers")
    parser.add_argument("--dup-percent", type=float, default=2.0, help="re-delivered webhooks, like Twilio retries")
    parser.add_argument("--without-writer-turn", action="store_true",
                        help="serve and work without host.sqlite_writes' writer turn (SQLite's busy handler only)")
    parser.add_argument("--port", type=int, default=0, help="the server's port (default: a free one)")
    parser.add_argument("--production", action="store_true",
                        help="serve as switchboard serve --production does (gunicorn gthread), not Werkzeug")
    parser.add_argument("--server-threads", type=int, default=0,
                        help="--production: the worker's threads (default: serve --production's)")
    parser.add_argument("--profile", metavar="DIR", help="write a cProfile file per request to DIR")
    parser.add_argument("--postgres", metavar="URL",
                        help="run on a fresh PostgreSQL database made through this URL (default: SQLite)")
    parser.add_argument("--redis", metavar="URL", help="Socket.IO on this Redis (default: in-process)")
    parser.add_argument("--work-profile", metavar="FILE", help="write a cProfile of the inbox worker to FILE")
    parser.add_argument("--plugins", default=None,
                        help="comma list of plugins to load (default: all installed), e.g. twilio_channel")
    args = parser.parse_args()

    instance = tempfile.mkdtemp(prefix="switchboard-bench-")
    port = args.port or free_port()
    database = Database(args.postgres, instance)
    env = {**os.environ, "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
           "SWITCHBOARD_SECRET_KEY": secrets.token_hex(16), "SWITCHBOARD_DATABASE_URL": database.url,
           "SWITCHBOARD_REDIS_URL": args.redis or "", "SWITCHBOARD_REDIS_CHANNEL": f"switchboard-bench-{database.run_id}",
           "PYTHONPATH": str(ROOT)}
    try:
        return run(args, instance, port, database, env)
    finally:
        database.drop()


class Database:
    """SQLite in the instance folder, or a fresh PostgreSQL database dropped at the end."""

    def __init__(self, postgres: str | None, instance: str):
        self.run_id = secrets.token_hex(3)
        self.postgres = postgres
        self.url = ""  # the app's default: SQLite in the instance folder
        if postgres:
            from sqlalchemy import text
            from sqlalchemy.engine import make_url

            self.name = f"switchboard_webhooks_{self.run_id}"
            self.url = make_url(postgres).set(database=self.name).render_as_string(hide_password=False)
            with self._admin().connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.engine_url = self.url or "sqlite:///" + str(Path(instance) / "switchboard.db")

    def _admin(self):
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        return create_engine(self.postgres, isolation_level="AUTOCOMMIT", poolclass=NullPool)

    def counts(self) -> tuple[int, int, int]:
        """Stored messages, distinct external ids among them, chats."""
        from sqlalchemy import create_engine, text
        from sqlalchemy.pool import NullPool

        engine = create_engine(self.engine_url, poolclass=NullPool)
        with engine.connect() as conn:
            stored, distinct = conn.execute(text("SELECT count(*), count(DISTINCT external_id) FROM messages")).one()
            chats = conn.execute(text("SELECT count(*) FROM chats")).scalar()
        engine.dispose()
        return stored, distinct, chats

    def drop(self) -> None:
        if self.postgres:
            from sqlalchemy import text

            with self._admin().connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))


def run(args, instance: str, port: int, database: Database, env: dict) -> int:
    if args.plugins:
        env["SWITCHBOARD_PLUGINS"] = args.plugins
    if args.without_writer_turn:
        env["BENCH_WITHOUT_WRITER_TURN"] = "1"
    if args.production:
        from host.serving import DEFAULT_THREADS

        env["BENCH_PRODUCTION_THREADS"] = str(args.server_threads or DEFAULT_THREADS)
    command = [sys.executable, __file__, "_serve", instance, str(port)] + ([args.profile] if args.profile else [])
    log_path = Path(instance) / "server.log"
    log = open(log_path, "w")  # a file, not a pipe: a full pipe would stall the server
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(300):
            if "ready" in log_path.read_text():
                break
            if server.poll() is not None:
                raise SystemExit("the server did not start:\n" + log_path.read_text())
            time.sleep(0.1)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)

        total = args.customers + args.max_requests * args.rounds + int(args.rate * args.seconds) + 10
        print(f"signing {total} webhooks before the clock starts…", flush=True)
        bodies = [signed_webhook(port, n, args.customers) for n in range(total)]
        dup_every = int(100 / args.dup_percent) if args.dup_percent else 0
        sent_ids = set()
        counts = {"posts": 0, "next": 0}
        used_lock = threading.Lock()

        def webhook(_i, redeliver=True):
            with used_lock:
                counts["posts"] += 1
                if redeliver and dup_every and counts["next"] and counts["posts"] % dup_every == 0:
                    n = counts["next"] - 1  # Twilio re-delivers the previous message
                else:
                    n = counts["next"]
                    counts["next"] += 1
                sent_ids.add(n)
            signature, body = bodies[n]
            return (MESSAGING, {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature},
                    body, 200)

        def noop(_i):
            return NOOP, {"Content-Type": "application/x-www-form-urlencoded"}, b"x=1", 204

        run_phase("warm-up", port, 2, 1.0, noop)
        # Each customer's first message starts a contact and a chat (several times the
        # work of a message in an open chat): measured on its own, so the phases below
        # show the steady state of a busy helpdesk rather than how many customers are new.
        first = run_phase("webhook, new customers", port, args.threads, 600,
                          lambda i: webhook(i, redeliver=False), max_requests=args.customers, server_pid=server.pid)
        rounds = []
        for n in range(1, args.rounds + 1):
            rounds.append((
                run_phase(f"bare 204, max ({n})", port, args.threads, args.seconds, noop,
                          max_requests=args.max_requests, server_pid=server.pid),
                run_phase(f"webhook, max ({n})", port, args.threads, args.seconds, webhook,
                          max_requests=args.max_requests, server_pid=server.pid)))
        paced = [
            run_phase(f"bare 204 @ {args.rate:g}/s", port, args.threads, args.seconds, noop, rate=args.rate,
                      server_pid=server.pid),
            run_phase(f"webhook @ {args.rate:g}/s", port, args.threads, args.seconds, webhook, rate=args.rate,
                      server_pid=server.pid),
        ]
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()

    # The worker alone, on everything the server recorded (one process, as one
    # ``switchboard worker`` would run it).
    worked = subprocess.run([sys.executable, __file__, "_work", instance, str(port)]
                            + ([args.work_profile] if args.work_profile else []), env=env, capture_output=True,
                            text=True, timeout=3600)
    line = next((out for out in worked.stdout.splitlines() if out.startswith("processed ")), None)
    if line is None:
        raise SystemExit("the inbox worker failed:\n" + worked.stdout + worked.stderr)
    _, processed, work_seconds, work_cpu = line.split()
    processed, work_seconds, work_cpu = int(processed), float(work_seconds), float(work_cpu)

    stored, distinct, chats = database.counts()
    expected = len(sent_ids)
    hooks = [hook for _bare, hook in rounds]
    webhook_errors = first.errors + sum(h.errors for h in hooks) + paced[1].errors
    print()
    print(f"{'phase':<28} {'ok':>7} {'errors':>6} {'req/s':>9} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8} {'CPU ms':>8}")
    for result in [first, *[phase for pair in rounds for phase in pair], *paced]:
        print(result.row())
    ratios = [hook.rate / bare.rate if bare.rate else 0.0 for bare, hook in rounds]
    middle = sorted(range(len(rounds)), key=lambda i: ratios[i])[len(rounds) // 2]
    bare, hook = rounds[middle]
    latencies = sorted(paced[1].latencies)
    p99 = latencies[int(0.99 * len(latencies))] * 1000 if latencies else 0
    print()
    work_rate = processed / work_seconds if work_seconds else 0.0
    print(f"acknowledged webhooks/s: {hook.rate:.1f}  ({ratios[middle]:.0%} of the bare 204's {bare.rate:.1f}/s, "
          f"the median of {len(rounds)} rounds: {', '.join(f'{r:.0%}' for r in ratios)})")
    print(f"server CPU per request: webhook ack {hook.cpu_ms:.2f} ms, bare 204 {bare.cpu_ms:.2f} ms "
          f"(CPU ratio {bare.cpu_ms / hook.cpu_ms if hook.cpu_ms else 0:.0%}); "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"inbox worker (one process): {processed} events in {work_seconds:.1f} s = {work_rate:.1f} events/s, "
          f"{work_cpu * 1000 / max(processed, 1):.2f} ms CPU per event "
          f"({work_rate / hook.rate if hook.rate else 0:.0%} of the acknowledgement rate)")
    print(f"p99 at {args.rate:g}/s: {p99:.1f} ms; achieved {paced[1].rate:.1f}/s")
    print(f"stored messages: {stored} in {chats} chats; distinct MessageSids sent: {expected} "
          f"(incl. re-deliveries: {sum(r.ok + r.errors for r in [first, *hooks, paced[1]])} posts, "
          f"{webhook_errors} errors)")
    errors = [line for line in log_path.read_text().splitlines() if "Error" in line or "Traceback" in line]
    if errors:
        print(f"server log {log_path} has {len(errors)} error lines, e.g. {errors[-1][:200]}")
    print(f"lost: {max(0, expected - distinct) if not webhook_errors else 'n/a (errors above)'}  "
          f"duplicated: {stored - distinct}")
    if args.profile:
        print(f"profiles in {args.profile}: python -c \"import pstats,glob; "
              f"s=pstats.Stats(*glob.glob('{args.profile}/POST.webhooks.twilio.messaging.*')); "
              f"s.sort_stats('cumulative').print_stats(30)\"")
    return 0


if __name__ == "__main__":
    if os.environ.get("BENCH_WITHOUT_WRITER_TURN"):
        without_writer_turn()
    if len(sys.argv) > 1 and sys.argv[1] == "_serve":
        serve(sys.argv[2], int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else None,
              int(os.environ.get("BENCH_PRODUCTION_THREADS") or 0))
    elif len(sys.argv) > 1 and sys.argv[1] == "_work":
        work(sys.argv[2], int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else None)
    else:
        sys.exit(main())
