"""CPU (and memory) of one realtime process per event delivered to one websocket console.

    python benchmarks/realtime.py --database postgresql+psycopg://postgres@127.0.0.1:5432/bench \\
                                  --redis redis://127.0.0.1:6379/0 --port 5400
    python benchmarks/realtime.py ... --agents 200 --groups 20 --events 3000 --rate 300 --rounds 3
    python benchmarks/realtime.py ... --deflate on --py-spy /tmp/realtime.svg   # a profile of the worker
    python benchmarks/realtime.py ... --agents 1000 --access-checks 50   # CPU of one access check pass

What it does, all on 127.0.0.1:

1. upgrades the database (it may hold other data; the run adds ``--agents`` agents with API
   tokens, in ``--groups`` groups, and one customer chat per group, under names of its own);
2. starts one ``switchboard realtime`` process (``python -m host.realtime_server``) on
   ``--port``, on a Redis pub/sub channel of its own, and prints what it answers to
   Chromium's websocket offer (whether it takes up ``permessage-deflate``);
3. for each round, twice — consoles that offer ``permessage-deflate`` as browsers do, then
   consoles that don't (``--deflate`` picks one) — connects every agent from a client
   process of its own (python-socketio ``AsyncClient``, websocket transport), reads the
   worker's idle CPU for a few seconds (pings and the access checks every second), then
   publishes ``--events`` ``message:created`` events at ``--rate`` per second through Redis
   exactly as the inbox worker does (Flask-SocketIO's emit from an external process: a
   ``RedisManager`` that only writes), each to its chat's rooms
   (``host.rooms.chat_rooms``: the chat's group, ``--agents / --groups`` consoles), with the
   payload the inbox worker sends (``host.schemas`` snapshots of a real chat and message);
4. waits until the consoles have counted every delivery and prints the worker's CPU
   (user + system, ``/proc``) per delivery with the idle CPU of the same span taken off,
   and its memory (RSS) with the consoles connected, per console since before they were.

``--access-checks N`` instead runs ``host.realtime_access.check`` N times in a process of
its own over a connection for each of the run's agents (rooms as the connect handler gave them,
nothing changed since) and prints its CPU per pass: what a realtime process spends every
``SWITCHBOARD_ACCESS_CHECK_SECONDS`` for that many connections.

Only the gunicorn worker's CPU is counted: the clients and the publisher are other
processes. CPU seconds, not wall time, is what a shared machine measures reliably; the
rounds alternate the two kinds of console so a drift of the machine's speed hits both.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# What Chromium, Firefox and Safari offer on every websocket, and aiohttp's ``compress=15``
# sends the same header: ``permessage-deflate; client_max_window_bits``.
BROWSER_LIKE = {"compress": 15}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- _setup: agents, groups, one chat per group ----------------------------------------------

def setup(out: str, agents: int, groups: int) -> None:
    import flask_migrate

    from benchmarks.fixtures import agents_in_groups
    from host import create_app
    from host.contracts import InboundMessage
    from host.extensions import db
    from host.models import Chat, Message
    from host.rooms import chat_rooms
    from host.schemas import snapshot_chat, snapshot_message

    run = secrets.token_hex(3)
    app = create_app()
    with app.app_context():
        flask_migrate.upgrade(revision="heads")
        group_rows, agent_rows, tokens = agents_in_groups(
            groups, agents, group_name=f"Realtime bench {run} {{:02d}}", email=f"agent{{:04d}}-{run}@realtime.test",
            token_label="realtime bench")
        db.session.commit()
        agent_list = [{"id": a.id, "token": t} for a, t in zip(agent_rows, tokens, strict=True)]
        events = []
        for g, group in enumerate(group_rows):
            from host import chats

            stored = chats.receive(InboundMessage(
                channel="http_sms", external_id=f"rt-{run}-{g}", from_address=f"+1555{run_number(run, g)}",
                body="Hello, I ordered a blue jacket last week and it has not arrived yet. Can you help?"))
            chat = db.session.get(Chat, stored.chat_id)
            chat.group_id = group.id
            db.session.commit()
            chat, message = db.session.get(Chat, stored.chat_id), db.session.get(Message, stored.message_id)
            payload = {"message": snapshot_message(message), "chat": snapshot_chat(chat)}
            events.append({"payload": json.loads(json.dumps(payload, default=str)),
                           "rooms": chat_rooms(payload["chat"])})
    Path(out).write_text(json.dumps({
        "agents": agent_list, "events": events,
    }))


def run_number(run: str, g: int) -> str:
    return f"{int(run, 16) % 10000:04d}{g:03d}"


# --- _checks: the access checks alone ------------------------------------------------------

def access_checks(plan_path: str, passes: int) -> None:
    from host import create_app, realtime_access
    from host.extensions import db
    from host.models import Agent, ApiToken
    from host.realtime import rooms_for

    plan = json.loads(Path(plan_path).read_text())
    app = create_app()
    with app.app_context():
        ids = [agent["id"] for agent in plan["agents"]]
        tokens = dict(db.session.execute(db.select(ApiToken.agent_id, ApiToken.id).where(ApiToken.agent_id.in_(ids))).all())
        for agent_id in ids:
            rooms = set(rooms_for(db.session.get(Agent, agent_id)))
            realtime_access.connections(app)[f"bench-{agent_id}"] = realtime_access.Connection(
                agent_id, token_id=tokens[agent_id], rooms=rooms)
        realtime_access.check(app)  # the first pass evaluates every connection's rules
        db.session.remove()
        started = time.process_time()
        for _ in range(passes):
            realtime_access.check(app)
            db.session.remove()
        print(f"access checks: {len(ids)} connections, {1000 * (time.process_time() - started) / passes:.2f} ms "
              f"of CPU per pass ({passes} passes)")


# --- _clients: the consoles ------------------------------------------------------------------

def clients(plan_path: str, url: str, deflate: bool) -> None:
    """Connect every agent, say ``ready``, answer ``count`` with the deliveries so far."""
    import socketio

    plan = json.loads(Path(plan_path).read_text())
    got = [0]
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    connected = []

    async def connect_all():
        gate = asyncio.Semaphore(16)

        async def one(agent):
            options = {"websocket_extra_options": dict(BROWSER_LIKE)} if deflate else {}
            client = socketio.AsyncClient(reconnection=False, **options)

            @client.on("message:created")
            def on_message(_data):
                got[0] += 1

            async with gate:
                await client.connect(url, auth={"token": agent["token"]}, transports=["websocket"], wait_timeout=30)
            connected.append(client)

        await asyncio.gather(*(one(agent) for agent in plan["agents"]))

    asyncio.run_coroutine_threadsafe(connect_all(), loop).result(300)
    # what each websocket agreed with the server (aiohttp's ``compress``: the window bits, 0 for none)
    deflating = sum(bool(getattr(client.eio.ws, "compress", 0)) for client in connected)
    print(f"ready {len(connected)} {deflating}", flush=True)
    for line in sys.stdin:
        if line.strip() == "count":
            print(f"count {got[0]}", flush=True)
        elif line.strip() == "stop":
            break

    async def close():
        await asyncio.gather(*(c.disconnect() for c in connected), return_exceptions=True)

    asyncio.run_coroutine_threadsafe(close(), loop).result(60)
    print("done", flush=True)


# --- the orchestrator ------------------------------------------------------------------------

def handshake_answer(port: int) -> str:
    """The server's ``Sec-WebSocket-Extensions`` answer to Chromium's offer."""
    import base64
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall((f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                      f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                      "Sec-WebSocket-Version: 13\r\n"
                      "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n").encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                break
            answer += chunk
    lines = answer.decode("latin1").split("\r\n")
    extensions = [line.split(":", 1)[1].strip() for line in lines if line.lower().startswith("sec-websocket-extensions")]
    return f"{lines[0]}; extensions: {extensions[0] if extensions else 'none'}"


def worker_of(master: int) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.2)
    raise RuntimeError("the realtime process started no worker")


def wait_up(port: int) -> None:
    import requests

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code in (200, 503):
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError("the realtime process did not start")


def measure(args, env, plan_path, plan, worker, deflate: bool, manager, profile: str | None) -> dict:
    per_event = max(1, args.agents // args.groups)
    rss_before = rss_mb(worker)
    client = subprocess.Popen([sys.executable, __file__, "_clients", plan_path, f"http://127.0.0.1:{args.port}",
                               "on" if deflate else "off"], env=env, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)

    def ask(command: str) -> str:
        client.stdin.write(command + "\n")
        client.stdin.flush()
        return client.stdout.readline().split()[-1]

    ready = client.stdout.readline().split()
    assert ready and ready[0] == "ready" and int(ready[1]) == args.agents, ready
    negotiated = int(ready[2])
    time.sleep(2)  # the connect handlers' last writes and the first access checks settle
    idle_from, idle_cpu = time.monotonic(), cpu_seconds(worker)
    time.sleep(args.idle_seconds)
    idle_rate = (cpu_seconds(worker) - idle_cpu) / (time.monotonic() - idle_from)

    before = int(ask("count"))
    spy = None
    if profile:
        spy = subprocess.Popen([str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(worker),
                                "--output", profile, "--rate", "200", "--nonblocking",
                                "--format", "flamegraph" if profile.endswith(".svg") else "raw"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1)
    started, cpu_before = time.monotonic(), cpu_seconds(worker)
    events = plan["events"]
    for n in range(args.events):
        due = started + n / args.rate
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        event = events[n % len(events)]
        manager.emit("message:created", event["payload"], room=event["rooms"], namespace="/")
    expected = before + args.events * per_event
    deadline = time.monotonic() + 120
    while (count := int(ask("count"))) < expected and time.monotonic() < deadline:
        time.sleep(0.05)
    elapsed, cpu = time.monotonic() - started, cpu_seconds(worker) - cpu_before
    rss_after = rss_mb(worker)
    if spy:
        spy.send_signal(2)
        spy.wait(30)
    ask("stop")
    client.wait(60)
    delivered = count - before
    busy = cpu - idle_rate * elapsed
    return {"deflate": deflate, "negotiated": negotiated, "delivered": delivered, "expected": args.events * per_event,
            "seconds": elapsed, "cpu": cpu, "idle_rate": idle_rate,
            "ms_per_delivery": 1000 * busy / max(1, delivered), "rss": rss_after,
            "kb_per_connection": 1024 * (rss_after - rss_before) / args.agents}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", required=True, help="SQLAlchemy URL of a PostgreSQL database to use")
    parser.add_argument("--redis", required=True, help="Redis URL (the run uses a pub/sub channel of its own)")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=300.0, help="events published per second")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--idle-seconds", type=float, default=5.0)
    parser.add_argument("--deflate", choices=["both", "on", "off"], default="both",
                        help="consoles that offer permessage-deflate as browsers do (on), don't (off), or both in turn")
    parser.add_argument("--access-checks", type=int, metavar="N", default=0,
                        help="time N passes of the access check over --agents connections instead")
    parser.add_argument("--py-spy", metavar="FILE", help="record the worker with py-spy during the last measurement (FILE.svg: a "
                             "flame graph, else collapsed stacks)")
    args = parser.parse_args()

    import socketio

    instance = tempfile.mkdtemp(prefix="switchboard-realtime-bench-")
    channel = f"realtime-bench-{secrets.token_hex(4)}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SWITCHBOARD_DATABASE_URL": args.database, "SWITCHBOARD_REDIS_URL": args.redis,
           "SWITCHBOARD_REDIS_CHANNEL": channel, "SWITCHBOARD_INSTANCE_PATH": instance,
           "SWITCHBOARD_SECRET_KEY": "realtime-bench-secret-key-0123456789abcdef", "SWITCHBOARD_LOG_LEVEL": "WARNING"}
    plan_path = str(Path(instance) / "plan.json")
    subprocess.run([sys.executable, __file__, "_setup", plan_path, str(args.agents), str(args.groups)],
                   env=env, check=True)
    if args.access_checks:
        subprocess.run([sys.executable, __file__, "_checks", plan_path, str(args.access_checks)], env=env, check=True)
        return 0
    plan = json.loads(Path(plan_path).read_text())
    server = subprocess.Popen([sys.executable, "-m", "host.realtime_server", "--port", str(args.port)], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=open(Path(instance) / "realtime.log", "w"))
    manager = socketio.RedisManager(args.redis, channel=channel, write_only=True)
    try:
        wait_up(args.port)
        worker = worker_of(server.pid)
        print(f"realtime worker {worker} on :{args.port}; Chromium's offer answered: {handshake_answer(args.port)}")
        packet = len(json.dumps(["message:created", plan["events"][0]["payload"]], separators=(",", ":")))
        print(f"{args.agents} consoles in {args.groups} groups, {args.events} events at {args.rate:g}/s "
              f"({args.agents // args.groups} deliveries each, ~{packet} bytes of JSON)")
        kinds = {"both": [True, False], "on": [True], "off": [False]}[args.deflate]
        results = {kind: [] for kind in kinds}
        for round_ in range(args.rounds):
            for deflate in kinds:
                last = round_ == args.rounds - 1 and deflate == kinds[0]
                row = measure(args, env, plan_path, plan, worker, deflate, manager,
                              args.py_spy if last else None)
                results[deflate].append(row)
                print(f"  round {round_ + 1} {'offered' if deflate else 'not offered'} "
                      f"({row['negotiated']} deflating): {row['delivered']}/"
                      f"{row['expected']} delivered in {row['seconds']:.1f} s, worker CPU {row['cpu']:.2f} s "
                      f"(idle {row['idle_rate']:.3f} cores), {row['ms_per_delivery']:.4f} ms CPU per delivery; "
                      f"memory {row['rss']:.0f} MB, {row['kb_per_connection']:+.0f} KB per console",
                      flush=True)
        for deflate, rows in results.items():
            values = sorted(row["ms_per_delivery"] for row in rows)
            print(f"deflate {'offered' if deflate else 'not offered'}: median {values[len(values) // 2]:.4f} ms CPU per "
                  f"delivery ({', '.join(f'{v:.4f}' for v in values)})")
    finally:
        server.terminate()
        server.wait(30)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_setup":
        setup(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif len(sys.argv) > 1 and sys.argv[1] == "_checks":
        access_checks(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) > 1 and sys.argv[1] == "_clients":
        clients(sys.argv[2], sys.argv[3], sys.argv[4] == "on")
    else:
        sys.exit(main())
