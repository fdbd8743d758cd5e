"""The outbox under provider faults: retried with backoff, in order per chat, never twice."""
from datetime import timedelta

from host.contracts import SendError
from host.extensions import db
from host.models import Chat, Message, OutboxItem, utcnow
from host.outbox import backoff
from host.testing.loopback import webhook


def open_chats(app, count):
    client = app.test_client()
    for n in range(count):
        webhook(client, {"id": f"in-{n}", "from": f"+1555000{n:04d}", "body": "hello"})
    return db.session.execute(db.select(Chat).order_by(Chat.id)).scalars().all()


def fast_forward():
    """Pretend the backoff has passed (tests don't sleep)."""
    for item in db.session.execute(db.select(OutboxItem).where(OutboxItem.state == "pending")).scalars():
        item.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()


def test_outage_then_recovery_delivers_everything_in_order_once(app, agent, api, loopback):
    chats = open_chats(app, 3)
    client = api(agent)
    for round_ in range(4):
        for chat in chats:
            assert client.post(f"/api/v1/chats/{chat.id}/messages", json={"body": f"{chat.id}-{round_}"}).status_code == 201
    outage = [SendError("HTTP 500", retryable=True), SendError("HTTP 429", retryable=True),
              SendError("timed out", retryable=True)] * 4
    loopback.channel.fail_next = list(outage)
    outbox = app.extensions["switchboard"].outbox
    for _ in range(50):
        outbox.drain()
        if not db.session.execute(db.select(OutboxItem).where(OutboxItem.state == "pending")).first():
            break
        fast_forward()
    assert loopback.channel.fail_next == []  # the whole outage was lived through
    by_chat = {}
    for message in loopback.channel.sent:
        by_chat.setdefault(message.chat_id, []).append(message.body)
    assert by_chat == {chat.id: [f"{chat.id}-{r}" for r in range(4)] for chat in chats}
    statuses = db.session.execute(db.select(Message.status).where(Message.direction == "out")).scalars().all()
    assert statuses == ["sent"] * 12


def test_a_retrying_message_holds_back_later_ones_in_its_chat(app, agent, api, loopback):
    [chat] = open_chats(app, 1)
    client = api(agent)
    first = client.post(f"/api/v1/chats/{chat.id}/messages", json={"body": "first"}).json
    client.post(f"/api/v1/chats/{chat.id}/messages", json={"body": "second"})
    loopback.channel.fail_next = [SendError("HTTP 503", retryable=True)]
    app.extensions["switchboard"].outbox.drain()
    assert loopback.channel.sent == []  # "second" waits for "first"
    message = db.session.get(Message, first["id"])
    assert message.status == "queued" and "retrying" in message.error_message


class AdapterBug(Exception):
    pass


def test_a_retry_note_is_worded_in_each_readers_language(app, agent, api, loopback, make_agent):
    [chat] = open_chats(app, 1)
    client = api(agent)
    broken = client.post(f"/api/v1/chats/{chat.id}/messages", json={"body": "first"}).json
    loopback.channel.fail_next = [AdapterBug("boom")]
    app.extensions["switchboard"].outbox.drain()
    message = db.session.get(Message, broken["id"])
    assert (message.status, message.error_code) == ("queued", "unreachable")
    assert message.error_message == "Not sent yet, retrying: The provider could not be reached."  # the row: English

    def reasons(reader):
        return [m["error_message"] for m in api(reader).get(f"/api/v1/chats/{chat.id}/messages").json
                if m["direction"] == "out"]

    assert reasons(agent) == ["Not sent yet, retrying: The provider could not be reached."]
    agent.language = "es"
    db.session.commit()
    assert reasons(agent) == ["Aún no enviado, se reintentará: No se pudo contactar con el proveedor."]
    polish = make_agent("pl@example.com")
    polish.language = "pl"
    db.session.commit()
    assert reasons(polish) == ["Jeszcze nie wysłano, ponawiamy: Nie udało się połączyć z dostawcą."]
    # A provider's own sentence without a code stays as it gave it, under the reader's words.
    fast_forward()
    loopback.channel.fail_next = [SendError("HTTP 503", retryable=True)]
    app.extensions["switchboard"].outbox.drain()
    assert reasons(agent) == ["Aún no enviado, se reintentará: HTTP 503"]


def test_final_refusal_fails_the_message_without_retry(app, agent, api, loopback, recorder):
    [chat] = open_chats(app, 1)
    reply = api(agent).post(f"/api/v1/chats/{chat.id}/messages", json={"body": "hi"}).json
    loopback.channel.fail_next = [SendError("The customer opted out.", code="21610", opted_out=True)]
    outbox = app.extensions["switchboard"].outbox
    outbox.drain()
    fast_forward()
    outbox.drain()
    message = db.session.get(Message, reply["id"])
    assert (message.status, message.error_code, message.error_message) == ("failed", "21610", "The customer opted out.")
    assert loopback.channel.sent == []
    assert recorder.of("message_status_changed")[-1].opted_out is True


def test_claims_left_by_a_crashed_process_are_picked_up_again(app, agent, api, loopback):
    [chat] = open_chats(app, 1)
    api(agent).post(f"/api/v1/chats/{chat.id}/messages", json={"body": "survives"})
    item = db.session.execute(db.select(OutboxItem)).scalar_one()
    item.locked_until = utcnow() + timedelta(seconds=30)  # claimed by a process that then died
    db.session.commit()
    outbox = app.extensions["switchboard"].outbox
    assert outbox.drain() == 0 and loopback.channel.sent == []
    item.locked_until = utcnow() - timedelta(seconds=1)  # the claim expires
    db.session.commit()
    assert outbox.drain() == 1 and [m.body for m in loopback.channel.sent] == ["survives"]


def test_only_one_worker_wins_a_claim(app, agent, api):
    [chat] = open_chats(app, 1)
    api(agent).post(f"/api/v1/chats/{chat.id}/messages", json={"body": "once"})
    item_id = db.session.execute(db.select(OutboxItem.id)).scalar_one()
    outbox = app.extensions["switchboard"].outbox
    assert [outbox.claim(item_id), outbox.claim(item_id)] == [True, False]


def test_backoff_grows_and_is_capped():
    assert [backoff(n) for n in (1, 2, 3, 4, 10, 50)] == [1.0, 2.0, 4.0, 8.0, 300.0, 300.0]


def test_retry_after_is_honoured_up_to_the_cap():
    from host.work_queue import backoff as queue_backoff

    assert queue_backoff(1, 300, retry_after=30) == 30.0   # the provider asked for longer
    assert queue_backoff(6, 300, retry_after=2) == 32.0    # never sooner than our own backoff
    assert queue_backoff(1, 300, retry_after=9999) == 300.0


def test_only_the_oldest_pending_row_of_each_chat_is_due(app, agent, api):
    from host.work_queue import due_ids

    chats = open_chats(app, 2)
    client = api(agent)
    for chat in chats:
        for body in ("a", "b"):
            client.post(f"/api/v1/chats/{chat.id}/messages", json={"body": body})
    rows = db.session.execute(db.select(OutboxItem).order_by(OutboxItem.id)).scalars().all()
    firsts = [min(r.id for r in rows if r.chat_id == chat.id) for chat in chats]
    assert due_ids(OutboxItem) == firsts
    rows[0].next_attempt_at = utcnow() + timedelta(minutes=5)   # the first chat waits for a retry
    db.session.commit()
    assert due_ids(OutboxItem) == firsts[1:]                     # and its later row waits behind it


def test_no_write_is_held_open_while_the_provider_answers(app, agent, api, loopback, monkeypatch):
    """On SQLite an open write would make every inbound webhook wait for the HTTP call."""
    from host import sqlite_writes

    [chat] = open_chats(app, 1)
    assert api(agent).post(f"/api/v1/chats/{chat.id}/messages", json={"body": "hi"}).status_code == 201
    held_during_send = []
    real_send = loopback.channel.send

    def send(message):
        held_during_send.append(sqlite_writes.lock_for(db.engine.url.database).locked())
        return real_send(message)

    monkeypatch.setattr(loopback.channel, "send", send)
    assert app.extensions["switchboard"].outbox.drain() == 1
    assert held_during_send == [False]
    assert db.session.execute(db.select(OutboxItem.attempts)).scalar_one() == 1
