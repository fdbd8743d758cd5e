"""The realtime event catalogue: in the README, complete, and true to what is sent."""
import re
from pathlib import Path

from host.extensions import db
from host.models import Chat
from host.realtime_events import EVENTS, by_name, render
from host.testing.loopback import webhook

ROOT = Path(__file__).resolve().parents[2]
SENT = re.compile(r"""(?:push|emit)\(\s*["']([\w-]+:[\w-]+)["']|^EVENT = ["']([\w-]+:[\w-]+)["']""", re.M)


def test_the_readme_shows_the_catalogue():
    readme = (ROOT / "README.md").read_text()
    start, end = readme.index("<!-- realtime-events:start -->"), readme.index("<!-- realtime-events:end -->")
    assert readme[start:end + len("<!-- realtime-events:end -->")] == render(), \
        "run `python -m host.realtime_events` and paste it into README.md"


def test_every_event_the_host_sends_is_catalogued_and_every_catalogued_one_is_sent():
    sent = set()
    for path in (ROOT / "host").rglob("*.py"):
        if "testing" not in path.parts:
            sent |= {a or b for a, b in SENT.findall(path.read_text())}
    assert sent, "the pattern finds no event at all"
    assert sent == set(by_name()), f"not catalogued: {sorted(sent - set(by_name()))}; " \
                                   f"never sent: {sorted(set(by_name()) - sent)}"


def payload_fields(name):
    return set(by_name()[name].payload)


def test_payloads_carry_the_catalogued_fields(app, agent, make_agent, api, socket_client):
    colleague = make_agent("colleague@example.test")
    watcher = socket_client(agent)
    watcher.get_received()
    webhook(app.test_client(), {"id": "m1", "from": "+15550001", "body": "hi"})
    chat = db.session.execute(db.select(Chat)).scalar_one()
    api(agent).post(f"/api/v1/chats/{chat.id}/messages", json={"body": "on it"})
    app.extensions["switchboard"].outbox.drain()
    api(agent).post(f"/api/v1/chats/{chat.id}/transfer", json={"agent_id": colleague.id})
    packets = watcher.get_received()
    names = {p["name"] for p in packets}
    assert {"chat:created", "message:created", "message:updated", "chat:updated"} <= names
    for packet in packets:
        if packet["name"] in by_name():
            assert set(packet["args"][0]) == payload_fields(packet["name"]), packet["name"]
            for key, schema in by_name()[packet["name"]].payload.items():
                if isinstance(schema, type):
                    assert set(packet["args"][0][key]) == set(schema().fields), (packet["name"], key)


def test_events_have_one_entry_each():
    assert len({e.name for e in EVENTS}) == len(EVENTS)
