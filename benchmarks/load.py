"""Load benchmark of the production shape: N Switchboard HTTP processes and R realtime
processes on PostgreSQL and Redis, agents connected over websockets, and a constant rate of
signed inbound webhooks.

    python benchmarks/load.py [--processes 2] [--realtime 1] [--rate 300] [--seconds 60] [--agents 200]
                              [--customers 500] [--groups 20] [--workers 1]
                              [--burst-at 20] [--burst-seconds 20] [--burst-factor 2]
    python benchmarks/load.py --burst-seconds 0        # steady rate only
    python benchmarks/load.py --burst-seconds 0 --runs 5   # five runs, then how many met every target
    python benchmarks/load.py --rate 100 --seconds 20 --profile /tmp/load-prof   # py-spy

Not part of ``make test``. Everything talks to 127.0.0.1 only; every loop is bounded in
count and time. What it does:

1. creates a fresh PostgreSQL database (dropped at the end), runs ``switchboard db
   upgrade`` and configures the example HTTP SMS gateway plugin (``sbx_http_sms``);
2. ``_setup`` (a subprocess with an app context) creates ``--groups`` groups,
   ``--agents`` agents spread round-robin over them (one group each) with API tokens,
   and ``--customers`` contacts whose group override spreads their chats over the
   groups as well (the contacts plugin answers ``resolve_contact`` with it);
3. starts ``--processes`` HTTP servers, each ``switchboard serve --production`` (gunicorn
   gthread) on its own port, ``--workers`` ``switchboard worker`` processes (one by default,
   as the README's production setup advises; ``--workers 0``: the HTTP servers run the
   inbox and outbox workers themselves), and ``--realtime`` realtime servers, each
   ``switchboard realtime`` (gunicorn gevent), all on Redis (a pub/sub channel of
   their own) — no load balancer: webhooks are spread across the HTTP processes, agents
   across the realtime ones (``--server werkzeug``: development servers, which take both);
4. ``_clients`` subprocesses (``--client-procs``) connect one python-socketio ``Client``
   per agent, websocket transport, agent *i* to realtime process *i mod R*, and record every
   ``message:created`` they get: the body carries the webhook's scheduled send time;
   then (unless ``--cold``) every customer's first message is sent, 4 at a time, and
   reported on a line of its own: it starts the customer's chat (several times the work
   of a message to an open chat), so the timed run measures a helpdesk whose customers
   already have chats instead of a burst of new ones in its first seconds;
5. ``_loadgen`` (a subprocess, asyncio + aiohttp, keep-alive) sends webhook *i* to
   process *i mod N* at ``start + i/rate`` whatever happened to earlier ones (open
   loop). All bodies are built and HMAC-signed before the clock starts. Latency is
   measured from the *scheduled* time, so a stalled server or a late generator shows
   up in the figures (no coordinated omission); the generator's own lateness is
   reported separately. ``--warmup`` seconds run first at the same rate and are
   excluded from the latency figures (but not from the loss/duplicate checks);
   The rate is ``--burst-factor`` times higher for ``--burst-seconds`` from
   ``--burst-at`` seconds into the measured window (a traffic spike; ``0`` for none).
   Meanwhile the inbox backlog is sampled from ``/healthz`` twice a second; the report
   gives the acknowledgements' p99 during the burst, the backlog's peak and how long
   after the burst it took to drain back to its steady level;
6. afterwards it waits for deliveries to drain, stops the clients and checks the
   database: every acknowledged (204) webhook must be stored exactly once and reach at
   least one connected agent of its chat's group; no client may get one twice.

The targets it judges: at least 98 % of the offered rate acknowledged, acknowledgement p99 ≤ 100 ms,
webhook → agent p99 ≤ 150 ms at the steady rate (in a run with a burst: for the webhooks sent
before it), no HTTP error, nothing lost or duplicated; in a steady run the HTTP, realtime and
worker processes together within ``--core-budget`` (1.0 core); in a run with a burst, the
acknowledgements' p99 during it ≤ 100 ms and the backlog drained within 60 s after it.

The machine has 2 cores shared by everything: the servers, PostgreSQL, Redis, the
load generator and the agent clients. The report shows how the CPU was split over
the measured window (from /proc), and flags a saturated load generator or client
process (scheduling lag, CPU) instead of printing a flattering number.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, UTC
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CLI = [PYTHON, "-m", "host.cli"]
WEBHOOK_PATH = "/webhooks/http-sms/inbound"
WEBHOOK_SECRET = "load-benchmark-webhook-secret"
TO_NUMBER = "+15550000"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def percentile(values, q):
    """Nearest-rank percentile of an unsorted list (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def schedule_offsets(rate, seconds, burst_at=0.0, burst_seconds=0.0, factor=1.0) -> list[float]:
    """When each webhook is due, in seconds from the start: ``rate`` per second for
    ``seconds``, except ``factor`` times that from ``burst_at`` for ``burst_seconds``."""
    offsets, t = [], 0.0
    while t < seconds:
        offsets.append(t)
        bursting = burst_seconds > 0 and burst_at <= t < burst_at + burst_seconds
        t += 1.0 / (rate * factor if bursting else rate)
    return offsets


def ms(value):
    return "-" if value is None else f"{value * 1000:.1f} ms"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- CPU accounting from /proc ---------------------------------------------------------------

def proc_cpu(pid: int) -> float:
    """utime + stime of one process in seconds (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*") if Path(f"/proc/{pid}/task").exists() else []:
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        todo.extend(children(current))
    return pids


def pids_named(name: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def postgres_pids(database: str) -> tuple[list[int], list[int]]:
    """(backends serving ``database``, PostgreSQL's own shared processes) — other databases'
    backends (someone else's tests on this machine) count as "rest of machine"."""
    ours, shared = [], []
    for pid in pids_named("postgres"):
        try:
            title = Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
        except OSError:
            continue
        if f" {database} " in title:
            ours.append(pid)
        elif "(" not in title:  # no client address: postmaster, wal writer, checkpointer …
            shared.append(pid)
    return ours, shared


def machine_ticks() -> list[int]:
    """/proc/stat's first line: user nice system idle iowait irq softirq steal (ticks)."""
    return [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])
    return (total - idle) / CLK_TCK, total / CLK_TCK


class CpuSampler:
    """CPU seconds per role between two samples (process trees resolved at each sample)."""

    def __init__(self, roles):
        self.roles = roles  # name -> callable returning pids

    def sample(self):
        per_pid = {}
        for name, pids in self.roles.items():
            for pid in pids():
                per_pid[(name, pid)] = proc_cpu(pid)
        return time.time(), machine_busy(), per_pid

    @staticmethod
    def diff(first, second):
        wall = second[0] - first[0]
        busy = second[1][0] - first[1][0]
        total = second[1][1] - first[1][1]
        roles = {}
        for (name, pid), value in second[2].items():
            roles[name] = roles.get(name, 0.0) + max(0.0, value - first[2].get((name, pid), 0.0))
        return wall, busy, total, roles


# --- _setup: groups, agents, tokens and contacts (in an app context) ---------------------------

def setup_fixtures(out: str, agents: int, customers: int, groups: int) -> None:
    from benchmarks.fixtures import agents_in_groups
    from host import create_app
    from host.extensions import db
    from plugins.contacts.models import Contact, ContactIdentity

    app = create_app()
    with app.app_context():
        group_rows, agent_rows, tokens = agents_in_groups(
            groups, agents, group_name="Load group {:02d}", email="agent{:04d}@load.test", token_label="load",
            first_is_default=True)
        customer_rows = []
        for c in range(customers):
            address = f"+1555{c:07d}"
            group = group_rows[c % groups]
            contact = Contact(name=f"Customer {c}", group_id=group.id)
            contact.identities.append(ContactIdentity(kind="http_sms", address=address))
            customer_rows.append((address, group.id))
            db.session.add(contact)
        db.session.commit()
        data = {
            "agents": [{"id": a.id, "token": t, "group_id": a.groups[0].id} for a, t in zip(agent_rows, tokens, strict=True)],
            "customers": [{"address": addr, "group_id": gid} for addr, gid in customer_rows],
            "groups": [g.id for g in group_rows],
        }
    Path(out).write_text(json.dumps(data))


# --- _clients: agents on websockets ------------------------------------------------------------

class LagProbe:
    """How late a thread that sleeps 10 ms wakes up: GIL/CPU contention in this process."""

    def __init__(self, interval=0.01):
        self.interval = interval
        self.lags = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop.is_set() and len(self.lags) < 200_000:
            started = time.perf_counter()
            time.sleep(self.interval)
            self.lags.append(time.perf_counter() - started - self.interval)



def run_clients(plan_path: str, out_path: str, kind: str) -> None:
    """Hold one Socket.IO client per agent; record every benchmark message they get.

    ``async`` (default): python-socketio's ``AsyncClient``, all agents of this process on
    one asyncio loop, each offering ``permessage-deflate; client_max_window_bits`` as Chromium,
    Firefox and Safari do (aiohttp's ``ws_connect(compress=15)`` through the engine.io
    client's documented ``websocket_extra_options``; aiohttp offers nothing by default).
    ``sync``: python-socketio's ``Client`` (websocket-client, which never offers
    compression), which starts a new thread for every message it receives — measured at
    ~0.6 ms CPU per delivery here, so with thousands of deliveries a second it saturates
    the client process and the figures would show the client, not the server.
    """
    import asyncio
    import concurrent.futures

    import socketio

    plan = json.loads(Path(plan_path).read_text())
    records: dict[int, list] = {}
    disconnects = []
    stopping = threading.Event()
    others = {"chat:created": 0, "other": 0}
    clients = {}
    errors = []

    def handlers(client, agent_id):
        got = records.setdefault(agent_id, [])

        def on_message(data):
            now = time.time()
            message = data.get("message") or {}
            body = message.get("body") or ""
            if body.startswith("lb "):
                _, external_id, scheduled = body.split(" ", 2)
                got.append((external_id, now - float(scheduled)))
            else:
                others["other"] += 1

        def on_chat(data):
            others["chat:created"] += 1

        def on_disconnect(*args):
            if not stopping.is_set():
                disconnects.append(agent_id)

        client.on("message:created", on_message)
        client.on("chat:created", on_chat)
        client.on("disconnect", on_disconnect)

    if kind == "sync":
        probe = LagProbe()

        def make(agent):
            client = socketio.Client(reconnection=False)
            handlers(client, agent["id"])
            client.connect(agent["url"], auth={"token": agent["token"]}, transports=["websocket"], wait_timeout=20)
            clients[agent["id"]] = client

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            futures = {pool.submit(make, agent): agent for agent in plan["agents"]}
            for future in concurrent.futures.as_completed(futures, timeout=300):
                if future.exception() is not None:
                    errors.append(f"agent {futures[future]['id']}: {future.exception()!r}")
        lags = probe.lags

        def disconnect_all():
            probe.stop.set()
            with concurrent.futures.ThreadPoolExecutor(16) as pool:
                list(pool.map(lambda c: c.disconnect(), list(clients.values())))
    else:
        loop = asyncio.new_event_loop()
        threading.Thread(target=loop.run_forever, name="clients-loop", daemon=True).start()
        lags = []

        async def loop_probe():  # how late the event loop wakes up: this process's queueing
            while not stopping.is_set() and len(lags) < 200_000:
                before = time.perf_counter()
                await asyncio.sleep(0.01)
                lags.append(time.perf_counter() - before - 0.01)

        async def connect_all():
            gate = asyncio.Semaphore(16)

            async def one(agent):
                async with gate:
                    # offering permessage-deflate as browsers do (aiohttp offers nothing by default)
                    client = socketio.AsyncClient(reconnection=False, websocket_extra_options={"compress": 15})
                    handlers(client, agent["id"])
                    try:
                        await client.connect(agent["url"], auth={"token": agent["token"]}, transports=["websocket"],
                                             wait_timeout=20)
                    except Exception as exc:  # reported, the run goes on with the others
                        errors.append(f"agent {agent['id']}: {exc!r}")
                        return
                    clients[agent["id"]] = client

            await asyncio.gather(*(one(agent) for agent in plan["agents"]))

        asyncio.run_coroutine_threadsafe(connect_all(), loop).result(300)
        asyncio.run_coroutine_threadsafe(loop_probe(), loop)

        def disconnect_all():
            async def close():
                await asyncio.gather(*(c.disconnect() for c in clients.values()), return_exceptions=True)

            asyncio.run_coroutine_threadsafe(close(), loop).result(120)
            loop.call_soon_threadsafe(loop.stop)

    print(f"ready {len(clients)} {len(errors)}", flush=True)
    window = [0, None]
    for line in sys.stdin:  # commands from the orchestrator, one a line
        command = line.strip()
        if command == "mark":  # the measured window starts
            window[0] = len(lags)
            print("marked", flush=True)
        elif command == "end":  # … and ends
            window[1] = len(lags)
            print("ended", flush=True)
        elif command == "count":
            print(f"count {sum(len(v) for v in records.values())}", flush=True)
        elif command == "stop":
            break
    stopping.set()
    in_window = lags[window[0]:window[1]] if window[1] is not None else lags[window[0]:]
    disconnect_all()
    Path(out_path).write_text(json.dumps({
        "records": {str(k): v for k, v in records.items()},
        "connected": sorted(clients), "connect_errors": errors[:20],
        "disconnects": disconnects, "others": others, "kind": kind,
        "probe": {"p50": percentile(in_window, 50), "p99": percentile(in_window, 99),
                  "max": max(in_window) if in_window else None, "samples": len(in_window)},
    }))
    print("done", flush=True)


# --- _loadgen: the open-loop webhook sender ----------------------------------------------------

def run_loadgen(plan_path: str, out_path: str) -> None:
    import asyncio

    import aiohttp

    from sbx_http_sms.plugin import signature

    plan = json.loads(Path(plan_path).read_text())
    urls, offsets = plan["urls"], plan["offsets"]
    total = len(offsets)
    rng = random.Random(plan["seed"])
    customers = plan["customers"]
    print("ready", flush=True)
    start = float(sys.stdin.readline().split()[1])  # "start <wall time>"

    requests_, chosen = [], []
    for i in range(total):
        scheduled = start + offsets[i]
        external_id = f"{plan['run']}-{i:07d}"
        chosen.append(rng.randrange(len(customers)))
        body = json.dumps({"id": external_id, "from": customers[chosen[-1]], "to": TO_NUMBER,
                           "text": f"lb {external_id} {scheduled:.6f}"}).encode()
        requests_.append((urls[i % len(urls)], body, signature(body, WEBHOOK_SECRET)))
    statuses = [None] * total
    started = [0.0] * total
    ended = [0.0] * total
    loop_lags = []

    async def send(session, i):
        url, body, sig = requests_[i]
        started[i] = time.time()
        try:
            async with session.post(url + WEBHOOK_PATH, data=body,
                                    headers={"Content-Type": "application/json", "X-Signature": sig}) as response:
                await response.read()
                statuses[i] = response.status
        except TimeoutError:
            statuses[i] = "timeout"
        except aiohttp.ClientError as exc:
            statuses[i] = type(exc).__name__
        ended[i] = time.time()

    async def probe(stop):
        while not stop.is_set():
            before = time.perf_counter()
            await asyncio.sleep(0.01)
            loop_lags.append(time.perf_counter() - before - 0.01)

    async def main():
        timeout = aiohttp.ClientTimeout(total=plan["timeout"])
        connector = aiohttp.TCPConnector(limit=plan["connections"], limit_per_host=0, force_close=False)
        stop = asyncio.Event()
        probe_task = asyncio.create_task(probe(stop))
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            tasks = []
            for i in range(total):
                delay = start + offsets[i] - time.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(send(session, i)))
            cpu_at_last_send = time.process_time()
            await asyncio.wait(tasks, timeout=plan["timeout"] + 5)
        stop.set()
        await probe_task
        return cpu_at_last_send

    cpu_before = time.process_time()
    cpu_at_last_send = asyncio.run(main())
    Path(out_path).write_text(json.dumps({
        "start": start, "statuses": statuses, "started": started, "ended": ended,
        "loop_lag": {"p50": percentile(loop_lags, 50), "p99": percentile(loop_lags, 99),
                     "max": max(loop_lags) if loop_lags else None},
        "cpu_seconds": cpu_at_last_send - cpu_before, "customers": chosen,
    }))


class BacklogProbe:
    """Samples the inbox backlog (``/healthz``: pending events, age of the oldest) twice
    a second while the load runs."""

    def __init__(self, url):
        self.url = url
        self.samples: list[tuple[float, int, float]] = []  # (time, pending, oldest seconds)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._thread.join(5)

    def _run(self):
        import urllib.error
        import urllib.request

        while not self._stop.is_set():
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    body = json.loads(response.read())
            except urllib.error.HTTPError as exc:  # 503 once the oldest event is too old: still a sample
                body = json.loads(exc.read() or b"{}")
            except OSError:
                body = {}
            inbox = (body.get("checks") or {}).get("inbox")
            if inbox:
                self.samples.append((time.time(), inbox["pending"], inbox["oldest_seconds"]))
            self._stop.wait(0.5)

    def peak(self) -> dict:
        best = max(self.samples, key=lambda s: s[1], default=(0, 0, 0.0))
        return {"pending": best[1], "oldest_seconds": best[2]}

    def _steady(self, before: float) -> float:
        """The backlog's usual level before ``before`` (its 90th percentile), plus slack."""
        return (percentile([p for t, p, _ in self.samples if t < before], 90) or 0) * 1.5 + 10

    def drained_after(self, burst_end: float) -> float | None:
        """Seconds from the burst's end until the backlog was back at its steady level."""
        level = self._steady(burst_end - 30)
        return next((t - burst_end for t, p, _ in self.samples if t >= burst_end and p <= level), None)

    def wait_drained(self, burst_end: float, timeout: float) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline and self.drained_after(burst_end) is None:
            time.sleep(0.5)


# --- the orchestrator ---------------------------------------------------------------------------

class Run:
    def __init__(self, args):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="switchboard-load-"))
        self.run_id = "lb" + secrets.token_hex(3)
        self.servers: dict[str, subprocess.Popen] = {}
        self.client_procs: list[subprocess.Popen] = []
        self.loadgen = None
        self.first_contacts = None
        self.db_name = f"switchboard_load_{self.run_id}"
        from sqlalchemy.engine import make_url

        self.admin_url = make_url(args.postgres)
        self.db_url = self.admin_url.set(database=self.db_name).render_as_string(hide_password=False)
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "SWITCHBOARD_DATABASE_URL": self.db_url,
                    "SWITCHBOARD_REDIS_URL": args.redis,
                    "SWITCHBOARD_REDIS_CHANNEL": f"switchboard-load-{self.run_id}",
                    "SWITCHBOARD_SECRET_KEY": secrets.token_hex(24),
                    "SWITCHBOARD_INSTANCE_PATH": str(self.tmp / "instance"),
                    "SWITCHBOARD_OUTBOX_WORKER": "true", "SWITCHBOARD_LOGIN_RATE_LIMIT": "1000 per minute"}
        if args.plugins:
            self.env["SWITCHBOARD_PLUGINS"] = args.plugins
        self.workers: list[subprocess.Popen] = []

    def say(self, text):
        print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)

    # database
    def admin_engine(self):
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        return create_engine(self.admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)

    def create_database(self):
        from sqlalchemy import text

        with self.admin_engine().connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.db_name}"'))

    def drop_database(self):
        from sqlalchemy import text

        with self.admin_engine().connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)'))

    def cli(self, *args):
        return subprocess.run([*CLI, *args], env=self.env, check=True, capture_output=True, text=True,
                              cwd=ROOT, timeout=300).stdout

    # processes
    def start_server(self, port, realtime=False):
        url = f"http://127.0.0.1:{port}"
        env = {**self.env, "SWITCHBOARD_PUBLIC_URL": url}
        if realtime:
            command = [*CLI, "realtime", "--port", str(port)]
        elif self.args.server == "gunicorn":
            command = [*CLI, "serve", "--production", "--port", str(port),
                       *(["--threads", str(self.args.threads)] if self.args.threads else [])]
        else:
            command = [*CLI, "serve", "--port", str(port)]
        log = open(self.tmp / f"server-{port}.log", "w")
        self.servers[url] = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        return url

    def wait_up(self, url, timeout=60):
        import urllib.request

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.servers[url].poll() is not None:
                break
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        port = url.rsplit(":", 1)[1]
        raise SystemExit(f"{url} did not start:\n" + (self.tmp / f"server-{port}.log").read_text()[-3000:])

    def server_worker_pids(self):
        """The processes that run the app (gunicorn: the workers, not the master)."""
        pids = []
        for proc in self.servers.values():
            kids = children(proc.pid)
            pids.extend(kids if self.args.server == "gunicorn" and kids else [proc.pid])
        return pids

    def stop_all(self):
        for proc in [*self.client_procs, *( [self.loadgen] if self.loadgen else [])]:
            if proc.poll() is None:
                proc.kill()
        for proc in [*self.servers.values(), *self.workers]:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in [*self.servers.values(), *self.workers]:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)

    def main(self):
        args = self.args
        from sbx_http_sms.testing import GatewayServer

        gateway = GatewayServer()   # there should be no sends: the run is inbound only
        self.say(f"database {self.db_name}, Redis channel switchboard-load-{self.run_id}, work dir {self.tmp}")
        self.create_database()
        try:
            return self._main(gateway)
        finally:
            self.stop_all()
            if args.keep_db:
                self.say(f"kept database {self.db_name}")
            else:
                self.drop_database()
            gateway.stop()

    def _main(self, gateway):
        args = self.args
        self.cli("db", "upgrade")
        self.cli("settings", "set", "http_sms", f"send_url={gateway.url}", f"sender={TO_NUMBER}",
                 "api_token=load-benchmark-token", f"webhook_secret={WEBHOOK_SECRET}")
        fixtures_path = self.tmp / "fixtures.json"
        subprocess.run([PYTHON, __file__, "_setup", str(fixtures_path), str(args.agents), str(args.customers),
                        str(args.groups)], env=self.env, check=True, cwd=ROOT, timeout=600)
        fixtures = json.loads(fixtures_path.read_text())
        self.say(f"created {len(fixtures['agents'])} agents in {len(fixtures['groups'])} groups, "
                 f"{len(fixtures['customers'])} customers (contacts with a group each)")

        if args.workers:  # the inbox and outbox work in processes of their own
            self.env["SWITCHBOARD_OUTBOX_WORKER"] = "false"
            for n in range(args.workers):
                log = open(self.tmp / f"worker-{n}.log", "w")
                nice = [] if args.worker_nice is None else ["--nice", str(args.worker_nice)]
                self.workers.append(subprocess.Popen([*CLI, "worker", *nice], env={**self.env, "SWITCHBOARD_OUTBOX_WORKER": "true"},
                                                     stdout=log, stderr=subprocess.STDOUT, cwd=ROOT))
        ports = iter(range(args.base_port, args.base_port + 100) if args.base_port else [])
        urls = [self.start_server(next(ports, None) or free_port()) for _ in range(args.processes)]
        realtime = urls
        if args.server == "gunicorn":
            realtime = [self.start_server(next(ports, None) or free_port(), realtime=True) for _ in range(args.realtime)]
        for url in self.servers:
            self.wait_up(url)
        server_label = (f"gunicorn gthread, 1 worker, {args.threads or 'default'} threads; "
                        f"{len(realtime)} realtime process(es), gunicorn gevent"
                        if args.server == "gunicorn"
                        else "Werkzeug threaded (development server)")
        self.say(f"{len(urls)} HTTP server processes up ({server_label}): {', '.join(urls)}")
        if realtime is not urls:
            self.say(f"{len(realtime)} realtime processes up: {', '.join(realtime)}")

        # agents: agent i on realtime process i mod R; client process k gets agents k, k+K, …
        agents = [{**a, "url": realtime[i % len(realtime)]} for i, a in enumerate(fixtures["agents"])]
        for k in range(args.client_procs):
            plan = self.tmp / f"clients-{k}.json"
            plan.write_text(json.dumps({"agents": agents[k::args.client_procs]}))
            self.client_procs.append(subprocess.Popen(
                ["nice", "-n", str(args.client_nice), PYTHON, __file__, "_clients", str(plan),
                 str(self.tmp / f"clients-{k}.out.json"), args.client_kind],
                env=self.env, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1))
        connected = 0
        for proc in self.client_procs:
            line = self._readline(proc, 300)
            _, ok, failed = line.split()
            connected += int(ok)
            if int(failed):
                self.say(f"WARNING: {failed} agent clients failed to connect")
        self.sampler = CpuSampler({
            "servers": lambda: [p for proc in self.servers.values() for p in tree(proc.pid)],
            "workers": lambda: [p for proc in self.workers for p in tree(proc.pid)],
            "postgresql": lambda: postgres_pids(self.db_name)[0],
            "postgresql (shared)": lambda: postgres_pids(self.db_name)[1],
            "redis": lambda: pids_named("redis-server"),
            "load generator": lambda: [self.loadgen.pid] if self.loadgen else [],
            "agent clients": lambda: [p.pid for p in self.client_procs],
            "orchestrator": lambda: [os.getpid()],
        })
        self.say(f"{connected} agent clients connected (websocket, python-socketio "
                 f"{'AsyncClient' if args.client_kind == 'async' else 'Client'}) in {args.client_procs} client process(es)")
        if realtime is not urls:  # what the agents' connections cost: no thread each
            for url in realtime:
                for pid in children(self.servers[url].pid):
                    self.say(f"realtime {url}: {len(agents[realtime.index(url)::len(realtime)])} agents, "
                             f"{len(list(Path(f'/proc/{pid}/task').iterdir()))} threads, {rss_mb(pid):.0f} MB resident")

        self.first_contacts = None if args.cold else self.send_first_contacts(urls, fixtures)
        idle = [self.sampler.sample()]
        time.sleep(3.0)
        idle.append(self.sampler.sample())
        wall, busy, _, roles = CpuSampler.diff(*idle)
        self.idle_busy = busy / wall
        self.idle_servers = roles.get("servers", 0.0) / wall
        self.say(f"before the load (agents connected, no webhooks): machine busy {self.idle_busy:.2f} cores, "
                 f"of which the servers {self.idle_servers:.2f}")
        self.offsets = schedule_offsets(args.rate, args.warmup + args.seconds, args.warmup + args.burst_at,
                                        args.burst_seconds, args.burst_factor)
        total = len(self.offsets)
        plan = self.tmp / "loadgen.json"
        plan.write_text(json.dumps({
            "urls": urls, "offsets": self.offsets, "seed": args.seed, "run": self.run_id,
            "customers": [c["address"] for c in fixtures["customers"]], "timeout": args.timeout,
            "connections": args.connections}))
        self.loadgen = subprocess.Popen([PYTHON, __file__, "_loadgen", str(plan), str(self.tmp / "loadgen.out.json")],
                                        env=self.env, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True, bufsize=1)
        self._readline(self.loadgen, 60)
        start = time.time() + 2.0
        self.loadgen.stdin.write(f"start {start:.6f}\n")
        self.loadgen.stdin.flush()
        window_start, window_end = start + args.warmup, start + args.warmup + args.seconds
        self.window = (window_start, window_end)
        self.say(f"sending {total} webhooks at {args.rate:g}/s: {args.warmup:g} s warm-up, "
                 f"then {args.seconds:g} s measured"
                 + (f", {args.burst_factor:g}× for {args.burst_seconds:g} s from {args.burst_at:g} s into it"
                    if args.burst_seconds else ""))
        self.backlog = BacklogProbe(urls[0])
        self.backlog.start()

        sampler = self.sampler
        time.sleep(max(0.0, window_start - time.time()))
        for proc in self.client_procs:
            proc.stdin.write("mark\n")
            proc.stdin.flush()
            self._readline(proc, 30)
        first = sampler.sample()
        profilers = self._start_profilers() if args.profile else []
        timeline = []  # (time, ticks) every second: machine load next to the latency per slice
        while time.time() < window_end - 0.05:
            timeline.append((time.time(), machine_ticks()))
            time.sleep(max(0.0, min(1.0, window_end - time.time())))
        timeline.append((time.time(), machine_ticks()))
        self.timeline = timeline
        second = sampler.sample()
        cpu = CpuSampler.diff(first, second)
        for proc in self.client_procs:
            proc.stdin.write("end\n")
            proc.stdin.flush()
            self._readline(proc, 30)
        for proc in profilers:  # py-spy can fall behind with hundreds of threads: stop it
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGINT)  # py-spy writes what it has on SIGINT
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()

        try:
            self.loadgen.wait(timeout=args.timeout + 60)
        except subprocess.TimeoutExpired:
            self.say("the load generator did not finish in time; killing it")
            self.loadgen.kill()
            raise
        load = json.loads((self.tmp / "loadgen.out.json").read_text())

        # drain: until the clients' count stops moving for 2 s (at most args.drain s)
        deadline, last, still_since = time.monotonic() + args.drain, -1, time.monotonic()
        while time.monotonic() < deadline:
            count = 0
            for proc in self.client_procs:
                proc.stdin.write("count\n")
                proc.stdin.flush()
                count += int(self._readline(proc, 30).split()[1])
            if count != last:
                last, still_since = count, time.monotonic()
            elif time.monotonic() - still_since >= 2.0:
                break
            time.sleep(0.5)
        for proc in self.client_procs:
            proc.stdin.write("stop\n")
            proc.stdin.flush()
            self._readline(proc, 120)
            proc.wait(timeout=60)
        if args.burst_seconds:  # the backlog must be back to its steady level before we look
            burst_end = start + args.warmup + args.burst_at + args.burst_seconds
            self.backlog.wait_drained(burst_end, args.drain + 60)
        self.backlog.stop()
        clients = [json.loads((self.tmp / f"clients-{k}.out.json").read_text()) for k in range(args.client_procs)]
        stored = self._stored()
        outbox = self._scalar("SELECT count(*) FROM outbox")
        return self.report(fixtures, load, clients, stored, cpu, gateway, outbox, urls, server_label)

    def _readline(self, proc, timeout):
        result = []
        reader = threading.Thread(target=lambda: result.append(proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        if not result or not result[0]:
            raise SystemExit(f"a helper process stopped answering (exit code {proc.poll()})")
        return result[0].strip()

    def _start_profilers(self):
        import shutil

        py_spy = shutil.which("py-spy") or str(Path(PYTHON).parent / "py-spy")
        out = Path(self.args.profile)
        out.mkdir(parents=True, exist_ok=True)
        procs = []
        for pid in self.server_worker_pids():
            for fmt, suffix in (("raw", "txt"),):
                procs.append(subprocess.Popen(
                    [py_spy, "record", "--pid", str(pid), "--duration", str(int(self.args.seconds)),
                     "--rate", "100", "--format", fmt, "--output", str(out / f"server-{pid}.{suffix}"),
                     # --gil: only the thread holding the GIL, i.e. where the CPU goes
                     "--threads", "--nonblocking", "--idle" if self.args.profile_idle else "--gil"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        self.say(f"py-spy recording {len(procs)} server worker(s) into {out}")
        return procs

    def _engine(self):
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        return create_engine(self.db_url, poolclass=NullPool)

    def _scalar(self, sql):
        from sqlalchemy import text

        with self._engine().connect() as conn:
            return conn.execute(text(sql)).scalar()

    def _stored(self):
        from sqlalchemy import text

        with self._engine().connect() as conn:
            rows = conn.execute(text(
                "SELECT m.external_id, count(*), min(c.group_id) FROM messages m JOIN chats c ON c.id = m.chat_id "
                "WHERE m.channel = 'http_sms' AND m.direction = 'in' GROUP BY m.external_id")).all()
            chats = conn.execute(text("SELECT count(*) FROM chats")).scalar()
            first, last = (datetime.fromtimestamp(t, UTC).replace(tzinfo=None) for t in self.window)
            in_window = conn.execute(text(
                "SELECT count(*) FROM messages WHERE direction = 'in' AND created_at >= :first AND created_at < :last"),
                {"first": first, "last": last}).scalar()
        return {"rows": {r[0]: (r[1], r[2]) for r in rows}, "chats": chats, "in_window": in_window}

    def send_first_contacts(self, urls, fixtures) -> dict:
        """Every customer's first message, before the clock: it starts a chat (routing,
        a new row, ``chat_started`` to the group) and costs several times a message to an
        open chat. Sent closed-loop (a few at a time) and reported on their own line, so
        the timed run measures a helpdesk whose customers already have chats; ``--cold``
        leaves them in the timed run instead."""
        import http.client
        from concurrent.futures import ThreadPoolExecutor
        from urllib.parse import urlsplit

        from sbx_http_sms.plugin import signature

        customers = [c["address"] for c in fixtures["customers"]]

        def send(n):
            host = urlsplit(urls[n % len(urls)])
            body = json.dumps({"id": f"{self.run_id}-first-{n:05d}", "from": customers[n], "to": TO_NUMBER,
                               "text": f"first contact {n}"}).encode()
            conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
            began = time.perf_counter()
            try:
                conn.request("POST", WEBHOOK_PATH, body=body, headers={
                    "Content-Type": "application/json", "X-Signature": signature(body, WEBHOOK_SECRET)})
                status = conn.getresponse().status
            finally:
                conn.close()
            return status, time.perf_counter() - began

        began = time.perf_counter()
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(send, range(len(customers))))
        elapsed = time.perf_counter() - began
        answers = sorted(seconds for _, seconds in results)
        first = {"count": len(results), "ok": sum(1 for status, _ in results if status == 204),
                 "rate": len(results) / elapsed if elapsed else 0.0,
                 "p50": percentile(answers, 50), "p99": percentile(answers, 99)}
        self.say(f"first contacts: {first['ok']}/{first['count']} customers' first messages stored at "
                 f"{first['rate']:.0f}/s, 4 at a time (p50 {first['p50'] * 1000:.0f} ms, "
                 f"p99 {first['p99'] * 1000:.0f} ms); their chats exist before the timed run")
        return first

    # the report
    def report(self, fixtures, load, clients, stored, cpu, gateway, outbox, urls, server_label):
        args = self.args
        start = load["start"]
        total = len(load["statuses"])
        offsets = self.offsets
        measured = [i for i in range(total) if args.warmup <= offsets[i] < args.warmup + args.seconds]
        acked = {i for i in range(total) if load["statuses"][i] == 204}
        external = lambda i: f"{self.run_id}-{i:07d}"  # noqa: E731
        scheduled = lambda i: start + offsets[i]  # noqa: E731

        errors: dict[str, int] = {}
        for i in range(total):
            if load["statuses"][i] != 204:
                errors[str(load["statuses"][i])] = errors.get(str(load["statuses"][i]), 0) + 1
        measured_acked = [i for i in measured if i in acked]
        latency = [load["ended"][i] - scheduled(i) for i in measured_acked]
        service = [load["ended"][i] - load["started"][i] for i in measured_acked]
        lag = [load["started"][i] - scheduled(i) for i in measured if load["started"][i]]
        window_start = start + args.warmup
        finished = max((load["ended"][i] for i in measured_acked), default=window_start)
        throughput = len(measured_acked) / max(finished - window_start, args.seconds)

        # deliveries
        agent_group = {a["id"]: a["group_id"] for a in fixtures["agents"]}
        connected = {aid for c in clients for aid in c["connected"]}
        members: dict[int, set] = {}
        for aid in connected:
            members.setdefault(agent_group[aid], set()).add(aid)
        received: dict[str, dict[int, list]] = {}
        duplicated_events = 0
        for c in clients:
            for aid, recs in c["records"].items():
                seen = set()
                for external_id, delay in recs:
                    if external_id in seen:
                        duplicated_events += 1
                    seen.add(external_id)
                    received.setdefault(external_id, {}).setdefault(int(aid), []).append(delay)
        measured_ids = {external(i) for i in measured_acked}
        # The agents' target is for the steady rate: in a run with a burst, the webhooks sent
        # before it starts (during the burst the backlog grows by design, and drains after).
        steady_ids = {i for i in measured_acked
                      if not args.burst_seconds or offsets[i] < args.warmup + args.burst_at}
        steady_agent_latency: list[float] = []
        agent_latency, missed_pairs, lost_delivery, lost_db, dup_db, misrouted = [], 0, 0, 0, 0, 0
        disconnects = sum(len(c["disconnects"]) for c in clients)
        customer_group = {c["address"]: c["group_id"] for c in fixtures["customers"]}
        for i in acked:
            eid = external(i)
            row = stored["rows"].get(eid)
            if row is None:
                lost_db += 1
                continue
            count, group_id = row
            dup_db += count > 1
            got = received.get(eid, {})
            group_members = members.get(group_id, set())
            if group_members and not (got.keys() & group_members):
                lost_delivery += 1
            missed_pairs += len(group_members - got.keys())
            if eid in measured_ids:
                delays = [d[0] for aid, d in got.items() if aid in group_members]
                agent_latency.extend(delays)
                if i in steady_ids:
                    steady_agent_latency.extend(delays)
        stray = sum(1 for eid in stored["rows"] if not eid.startswith(self.run_id))
        deliveries = sum(len(v) for v in received.values())
        addresses = [c["address"] for c in fixtures["customers"]]
        for i in acked:  # the contacts plugin routes each customer's chat to their group
            row = stored["rows"].get(external(i))
            if row is not None and row[1] != customer_group[addresses[load["customers"][i]]]:
                misrouted += 1

        probe = [c["probe"] for c in clients]
        wall, busy, machine_total, roles = cpu
        cores = machine_total / wall if wall else 2

        lines = []
        add = lines.append
        add("")
        add("=" * 78)
        add(f"Switchboard load benchmark — {args.processes} HTTP process(es), {server_label}")
        add(f"  offered {args.rate:g} webhooks/s for {args.seconds:g} s (+{args.warmup:g} s warm-up), "
            f"{len(connected)} agents on websockets, {args.customers} customers, {args.groups} groups")
        if self.first_contacts:
            first = self.first_contacts
            add(f"  every customer's chat started before the clock ({first['ok']} first messages, "
                f"{first['rate']:.0f}/s closed-loop, p99 {first['p99'] * 1000:.0f} ms); --cold to time them too")
        else:
            add("  cold start: each customer's first message (a new chat) falls in the timed run")
        add("-" * 78)
        add(f"throughput (measured window)   {throughput:8.1f} webhooks/s acknowledged "
            f"({len(measured_acked)}/{len(measured)} sent in the window)")
        stored_late = sum(1 for i in range(total) if i not in acked and external(i) in stored["rows"])
        add(f"server stored (measured window) {stored['in_window'] / args.seconds:8.1f} messages/s"
            + (f"   ({stored_late} stored but not acknowledged in time: the client gave up first)"
               if stored_late else ""))
        add(f"webhook latency from schedule  p50 {ms(percentile(latency, 50))}   p99 {ms(percentile(latency, 99))}"
            f"   p99.9 {ms(percentile(latency, 99.9))}   max {ms(max(latency) if latency else None)}")
        slices, busy_slices, steal_slices = [], [], []
        for first in range(0, int(args.seconds), 10):
            part = [load["ended"][i] - scheduled(i) for i in measured_acked
                    if args.warmup + first <= offsets[i] < args.warmup + first + 10]
            slices.append(ms(percentile(part, 99)).replace(" ms", ""))
            marks = [(t, ticks) for t, ticks in self.timeline if window_start + first <= t <= window_start + first + 10.5]
            if len(marks) >= 2:
                (_, a), (_, b) = marks[0], marks[-1]
                delta = [y - x for x, y in zip(a, b, strict=True)]
                seconds = sum(delta) / CLK_TCK / (os.cpu_count() or 2)
                busy_slices.append(f"{(sum(delta) - delta[3] - delta[4]) / CLK_TCK / seconds:.2f}")
                steal_slices.append(f"{delta[7] / CLK_TCK / seconds:.2f}")
        add(f"  per 10 s of the window: p99 ms {' '.join(slices)}")
        add(f"                          machine busy cores {' '.join(busy_slices)}; of it hypervisor steal "
            f"{' '.join(steal_slices)}")
        add(f"  (service time, sent→answer   p50 {ms(percentile(service, 50))}   p99 {ms(percentile(service, 99))})")
        add(f"webhook → agent event          p50 {ms(percentile(agent_latency, 50))}   "
            f"p99 {ms(percentile(agent_latency, 99))}   max {ms(max(agent_latency) if agent_latency else None)}"
            f"   ({len(agent_latency)} deliveries to group members)")
        if args.burst_seconds:
            add(f"  before the burst (steady)    p50 {ms(percentile(steady_agent_latency, 50))}   "
                f"p99 {ms(percentile(steady_agent_latency, 99))}   ({len(steady_agent_latency)} deliveries)")
        add(f"HTTP errors                    {sum(errors.values())}" + (f"  {errors}" if errors else ""))
        add(f"lost                           {lost_db + lost_delivery}  (acknowledged but not stored: {lost_db}; "
            f"stored but no agent of the group got it: {lost_delivery})")
        add(f"  missed (message, member) pairs: {missed_pairs} of {deliveries + missed_pairs}")
        add(f"duplicated                     {dup_db + duplicated_events}  (database rows per external id > 1: "
            f"{dup_db}; events a client got twice: {duplicated_events})")
        add(f"database: {len(stored['rows'])} inbound messages in {stored['chats']} chats ({stray} not from this run); "
            f"outbox rows {outbox}; gateway sends {len(gateway.received)}; chats routed to the wrong group {misrouted}")
        add("-" * 78)
        add(f"CPU over the measured window ({wall:.1f} s, {cores:.0f} cores, shared by every process below; "
            f"nothing pinned): machine busy {busy / wall:.2f} cores")
        for name, seconds in sorted(roles.items(), key=lambda kv: -kv[1]):
            add(f"  {name:<16} {seconds / wall:5.2f} cores")
        other = busy - sum(roles.values())
        add(f"  {'rest of machine':<16} {max(other, 0) / wall:5.2f} cores  (not this benchmark)")
        if throughput:
            add(f"servers and workers: {(roles.get('servers', 0) + roles.get('workers', 0)) / max(stored['in_window'], 1) * 1000:.1f} ms CPU per stored "
                f"webhook (incl. pushing it to the agents); {self.idle_servers:.2f} cores when idle with the "
                f"agents connected")
        add(f"load generator: send lag behind schedule p50 {ms(percentile(lag, 50))} p99 {ms(percentile(lag, 99))}"
            f" max {ms(max(lag) if lag else None)}; event-loop lag p99 {ms(load['loop_lag']['p99'])}; "
            f"CPU {roles.get('load generator', 0) / wall:.2f} cores")
        add("agent clients: wake-up lag p99 " + ", ".join(ms(p["p99"]) for p in probe) +
            f"; {disconnects} disconnected during the run")

        verdicts = []
        if (percentile(lag, 99) or 0) > 0.005 or (load["loop_lag"]["p99"] or 0) > 0.01:
            verdicts.append("LOAD GENERATOR SATURATED: it could not send on schedule; latencies above are "
                            "measured from the schedule, so they include its lateness — the figures are an upper "
                            "bound of the server's, and the server was not offered the full rate evenly.")
        if any((p["p99"] or 0) > 0.02 for p in probe):
            verdicts.append("AGENT CLIENTS SATURATED: the client process(es) wake up late; webhook → agent "
                            "latency includes client-side queueing (an upper bound).")
        if busy / wall > 0.95 * cores:
            verdicts.append(f"MACHINE CPU SATURATED ({busy / wall:.2f} of {cores:.0f} cores busy): servers, "
                            "database and load tools compete for the same cores.")
        if other / wall > 0.15:
            verdicts.append(f"OTHER WORK ON THIS MACHINE used {other / wall:.2f} cores during the window "
                            f"({self.idle_busy:.2f} cores busy just before the load started): the figures are "
                            "pessimistic; rerun on a quiet machine.")
        offered = len(measured) / args.seconds
        if throughput < 0.98 * offered:
            verdicts.append(f"SERVER BEHIND: acknowledged {throughput:.1f}/s of the {offered:.1f}/s offered.")
        targets = [
            ("throughput ≥ 98 % of offered", throughput >= 0.98 * offered),
            ("p99 webhook ≤ 100 ms", (percentile(latency, 99) or 1e9) <= 0.100),
            ("p99 to the agent ≤ 150 ms" + (" (before the burst)" if args.burst_seconds else ""),
             (percentile(steady_agent_latency, 99) or 1e9) <= 0.150),
            ("zero HTTP errors", not errors),
            ("zero lost", lost_db + lost_delivery == 0),
            ("zero duplicated", dup_db + duplicated_events == 0),
        ]
        server_cores = (roles.get("servers", 0) + roles.get("workers", 0)) / wall
        if not args.burst_seconds:  # the budget is for the steady rate
            targets.append((f"servers and workers ≤ {args.core_budget:g} core", server_cores <= args.core_budget))
        burst = None
        if args.burst_seconds:
            begin = args.warmup + args.burst_at
            in_burst = [i for i in measured_acked if begin <= offsets[i] < begin + args.burst_seconds]
            burst_latency = [load["ended"][i] - scheduled(i) for i in in_burst]
            peak, drained = self.backlog.peak(), self.backlog.drained_after(start + begin + args.burst_seconds)
            burst = {"ack_p99": percentile(burst_latency, 99), "backlog_peak": peak, "drain_seconds": drained}
            add(f"burst: {args.burst_factor:g}× ({args.rate * args.burst_factor:g}/s) for {args.burst_seconds:g} s  "
                f"ack p99 {ms(burst['ack_p99'])}   backlog peak {peak['pending']} events "
                f"(oldest {peak['oldest_seconds']:.1f} s)   drained "
                + (f"{drained:.1f} s after the burst" if drained is not None else "NOT within the wait"))
            targets += [("burst: ack p99 ≤ 100 ms", (burst["ack_p99"] or 1e9) <= 0.100),
                        ("burst: backlog drained ≤ 60 s after", drained is not None and drained <= 60)]
        add("-" * 78)
        add("targets: " + "; ".join(f"{name} {'OK' if ok else 'MISSED'}" for name, ok in targets))
        for verdict in verdicts or ["load generator and clients kept up (lag and CPU within bounds)."]:
            add("NOTE: " + verdict)
        add("=" * 78)
        print("\n".join(lines), flush=True)
        self.summary = {"ack_p99": percentile(latency, 99), "agent_p99": percentile(steady_agent_latency, 99),
                        "server_cores": server_cores, "machine_busy": busy / wall, "burst": burst,
                        "lost": lost_db + lost_delivery, "duplicated": dup_db + duplicated_events,
                        "met": all(ok for _, ok in targets), "missed": [name for name, ok in targets if not ok]}
        if args.json:
            Path(args.json).write_text(json.dumps({
                "args": vars(args), "throughput": throughput, "latency_p50": percentile(latency, 50),
                "latency_p99": percentile(latency, 99), "agent_p99": percentile(agent_latency, 99),
                "errors": errors, "lost": lost_db + lost_delivery, "duplicated": dup_db + duplicated_events,
                "cpu": {k: v / wall for k, v in roles.items()}, "machine_busy": busy / wall, "burst": burst,
                "verdicts": verdicts}, indent=2))
        return 0 if all(ok for _, ok in targets) else 1


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "_setup":
        setup_fixtures(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "_clients":
        run_clients(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else "async")
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "_loadgen":
        run_loadgen(sys.argv[2], sys.argv[3])
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--processes", type=int, default=2, help="Switchboard HTTP server processes")
    parser.add_argument("--realtime", type=int, default=1,
                        help="`switchboard realtime` processes holding the agents' websockets (gunicorn only)")
    parser.add_argument("--rate", type=float, default=300.0, help="webhooks per second (open loop)")
    parser.add_argument("--seconds", type=float, default=60.0, help="measured window")
    parser.add_argument("--warmup", type=float, default=10.0,
                        help="seconds at the same rate before measuring (the first message of each customer "
                             "starts a chat: costlier, so the start is a transient)")
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument("--cold", action="store_true",
                        help="don't start every customer's chat before the clock (first messages in the timed run)")
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--server", choices=("gunicorn", "werkzeug"), default="gunicorn",
                        help="gunicorn = switchboard serve --production; werkzeug = the development server")
    parser.add_argument("--threads", type=int, default=None,
                        help="gunicorn threads per HTTP process (default: serve --production's, 8)")
    parser.add_argument("--client-procs", type=int, default=2, help="processes holding the agent clients")
    parser.add_argument("--client-kind", choices=("async", "sync"), default="async",
                        help="python-socketio AsyncClient (default) or Client (a thread per received message)")
    parser.add_argument("--connections", type=int, default=256, help="load generator: keep-alive connections, max")
    parser.add_argument("--timeout", type=float, default=10.0, help="per webhook, seconds")
    parser.add_argument("--base-port", type=int, default=0, help="servers listen on this port and the next ones")
    parser.add_argument("--burst-at", type=float, default=20.0, help="seconds into the measured window")
    parser.add_argument("--burst-seconds", type=float, default=20.0, help="how long the burst lasts (0: none)")
    parser.add_argument("--burst-factor", type=float, default=2.0, help="the burst's rate, times --rate")
    parser.add_argument("--workers", type=int, default=1,
                        help="separate `switchboard worker` processes; the servers then run no worker themselves "
                             "(0: each server runs the inbox and outbox workers)")
    parser.add_argument("--client-nice", type=int, choices=range(0, 20), default=10, metavar="0-19",
                        help="the agent clients' CPU priority (nice, default 10): they stand in for browsers on "
                             "other machines, so when the machine is short of CPU (a burst) they take what the "
                             "servers leave instead of competing with them; their wake-up lag is reported and "
                             "their figures then include their own queueing. 0: compete as equals")
    parser.add_argument("--worker-nice", type=int, choices=range(0, 20), default=None, metavar="0-19",
                        help="the worker processes' --nice (default: the command's own, 19); 0 on a machine "
                             "busy with other work, where a niced worker only gets what the others leave")
    parser.add_argument("--drain", type=float, default=30.0, help="max seconds to wait for late events")
    parser.add_argument("--plugins", default=None, help="SWITCHBOARD_PLUGINS for the servers (default: all)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", metavar="DIR", help="py-spy the server workers over the measured window")
    parser.add_argument("--profile-idle", action="store_true",
                        help="py-spy: sample every thread, waiting ones too (default: the GIL holder only)")
    parser.add_argument("--postgres", default=os.environ.get("SWITCHBOARD_TEST_POSTGRES_URL",
                                                             "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--redis", default=os.environ.get("SWITCHBOARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--keep-db", action="store_true", help="don't drop the database afterwards")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--core-budget", type=float, default=1.0,
                        help="target: CPU of the HTTP, realtime and worker processes together at the steady "
                             "rate, in cores (judged in runs without a burst)")
    parser.add_argument("--runs", type=int, default=1,
                        help="repeat the whole run (fresh database each time) and end with a summary: how many "
                             "runs met every target")
    args = parser.parse_args()
    bounds = [(args.runs, 1, 20, "--runs"), (args.rate, 1, 2000, "--rate"), (args.seconds, 1, 600, "--seconds"), (args.agents, 1, 2000, "--agents"),
              (args.processes, 1, 8, "--processes"), (args.realtime, 1, 8, "--realtime"),
              (args.client_procs, 1, 8, "--client-procs")]
    for value, low, high, name in bounds:
        if not low <= value <= high:
            parser.error(f"{name} must be between {low} and {high}")
    if args.runs == 1:
        return Run(args).main()
    summaries = []
    for number in range(1, args.runs + 1):
        print(f"\n### run {number} of {args.runs}", flush=True)
        run = Run(args)
        run.main()
        summaries.append(getattr(run, "summary", None))
    print(summary_table(summaries, args), flush=True)
    return 0 if all(s and s["met"] for s in summaries) else 1


def summary_table(summaries: list, args) -> str:
    """One line per run and how many met every target: the figure a single run can't give."""
    lines = ["", "=" * 78, f"{len(summaries)} runs at {args.rate:g}/s"
             + (f" with a {args.burst_factor:g}× burst of {args.burst_seconds:g} s" if args.burst_seconds else ""),
             "run  ack p99   agent p99   servers+workers  machine   burst ack p99  drained  result"]
    for number, s in enumerate(summaries, 1):
        if s is None:
            lines.append(f"{number:>3}  (no report: the run failed before measuring)")
            continue
        burst = s["burst"] or {}
        drained = burst.get("drain_seconds")
        lines.append(f"{number:>3}  {ms(s['ack_p99']):>9} {ms(s['agent_p99']):>11}  {s['server_cores']:>8.2f} cores"
                     f"  {s['machine_busy']:>5.2f}   {ms(burst.get('ack_p99')) if burst else '—':>13}"
                     f"  {(f'{drained:.1f} s' if drained is not None else '—') if burst else '—':>7}  "
                     + ("every target met" if s["met"] else "missed: " + ", ".join(s["missed"])))
    met = sum(1 for s in summaries if s and s["met"])
    lines += [f"{met} of {len(summaries)} runs met every target", "=" * 78]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
