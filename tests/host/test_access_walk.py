"""Every route and every Socket.IO event, walked as an agent of another group.

Generated from the app: the URL map (every rule, every method) and the Socket.IO
server's handlers (the host's and every plugin's). Each must say what it is about
(``host.access.about``), and the walk derives what to expect from that:

* ``chat``, ``call``, ``contact``, ``media``, ``reply`` — named with the id of Support's
  object (a canned reply: one Support shares): 403 or 404;
* ``group`` — Support's group: 403;
* ``customer`` — Support's customer's number: 403;
* ``admin`` — 403;
* ``agent`` — any answer but a server error.

Whatever the answer, nothing in the database changes (every table is compared) and no
answer carries Support's customer: their name, number, messages or notes. A new route
or event without a declaration fails here, so nobody has to remember to add it.
"""
from __future__ import annotations

import json
import re

import pytest
from werkzeug.routing.converters import NumberConverter

from host import access
from host.auth import is_public
from host.chats import receive
from host.contracts import InboundMessage
from host.extensions import db
from host.models import Call, Chat

NAME, NUMBER, BODY, NOTE = "Marker Customer", "+14155550123", "marker-secret-body", "marker-secret-note"
SECRETS = (NAME, BODY, NOTE)
MARKERS = (*SECRETS, NUMBER, "4155550123")
MEDIA_SID = "MM" + "9" * 32
OUR_NUMBER = "+14155550000"


@pytest.fixture
def world(app, api, agent, make_agent, signed_in):
    """Support's customer with everything a route can be about; Sales' agent, and one
    Sales chat so lists have something of theirs to show."""
    from plugins.livechat.models import LiveChatChat
    from plugins.twilio_channel.models import InboundMedia

    stored = receive(InboundMessage(channel="sms", external_id=MEDIA_SID, from_address=NUMBER, to_address=OUR_NUMBER,
                                    body=BODY, profile={"name": NAME}))
    chat = db.session.get(Chat, stored.chat_id)
    db.session.add(InboundMedia(message_sid=MEDIA_SID, position=0, url="https://api.twilio.com/x",
                                content_type="image/png"))
    call = Call(chat_id=chat.id, call_sid="CA" + "8" * 32, direction="in", status="ringing",
                from_address=NUMBER, to_address=OUR_NUMBER)
    db.session.add_all([call, LiveChatChat(chat_id=chat.id, lc_chat_id=str(chat.id))])
    db.session.commit()
    assert api(agent).post(f"/api/v1/contacts/{chat.contact_id}/notes", json={"body": NOTE}).status_code == 201
    outsider = make_agent("sales@example.test", groups=("Sales",), name="Sol Sales")
    receive(InboundMessage(channel="sms", external_id="SM" + "1" * 32, from_address="+14155550177",
                           to_address=OUR_NUMBER, body="a Sales customer"))
    sales_chat = db.session.execute(db.select(Chat).where(Chat.customer_address == "+14155550177")).scalar_one()
    sales_chat.group_id = outsider.groups[0].id
    db.session.commit()
    from host.models import AgentSession, ApiToken

    signed_in(agent)  # a sign-in of Support's agent, to name in the walk
    own = lambda model: db.session.execute(  # noqa: E731
        db.select(model.id).where(model.agent_id == agent.id).limit(1)).scalar_one()
    from host.models import CannedReply

    reply = CannedReply(shortcut="walk", body=NOTE, group_id=chat.group_id, created_by_id=agent.id)
    db.session.add(reply)
    db.session.commit()
    samples = {access.CHAT: chat.id, access.CALL: call.id, access.CONTACT: chat.contact_id,
               access.GROUP: chat.group_id, access.REPLY: reply.id,
               access.MEDIA: MEDIA_SID, access.CUSTOMER: NUMBER, access.OWN: agent.id,
               (access.OWN, "token_id"): own(ApiToken), (access.OWN, "sign_in_id"): own(AgentSession)}
    return {"outsider": outsider, "samples": samples, "chat": chat, "call": call}


def dump() -> dict:
    """Every row of every table (columns that only record activity left out)."""
    volatile = {"last_seen_at", "last_used_at"}
    tables = {}
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if c.name not in volatile]
        rows = db.session.execute(db.select(*columns).order_by(*table.primary_key.columns)).all()
        tables[table.name] = [tuple(row) for row in rows]
    return tables


def routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def public(app, rule) -> bool:
    with app.test_request_context(concrete(rule, {}, "")):
        from flask import request
        request.url_rule, request.view_args = rule, {}
        return is_public(request) or rule.endpoint == "static" or rule.endpoint.endswith(".static")


def concrete(rule, values: dict, fallback) -> str:
    url = rule.rule
    for name, converter in rule._converters.items():
        value = values.get(name, fallback if isinstance(converter, NumberConverter) else "x")
        url = re.sub(r"<(?:[^:<>]+:)?%s>" % re.escape(name), str(value), url)
    return url


def request_for(rule, method, declared, samples, spec):
    """(url, query, json body) naming Support's object where the declaration says; the body
    holds what the route's OpenAPI request schema asks for, so validation lets it through."""
    values, query = {}, {}
    where = declared.where or ""
    sample = samples.get((declared.kind, where), samples.get(declared.kind))
    if where and not where.startswith(("query:", "json:")):
        assert where in rule.arguments, f"{rule.rule} declares {where!r}, which is not one of its parameters"
        values[where] = sample
    url = concrete(rule, values, samples[access.CHAT])
    body = None if method == "GET" else valid_body(spec, rule, method, samples)
    if where.startswith("query:"):
        query[where.removeprefix("query:")] = sample
    elif where.startswith("json:"):
        body = {**(body or {}), where.removeprefix("json:"): sample}
    return url, query, body


PLAUSIBLE = {"channel": "sms", "to": NUMBER, "phone": NUMBER, "body": "walk", "name": "walk", "email": "walk@example.test",
             "password": "walk-password-0123", "csv": "name\nwalk\n", "enabled": False}


def valid_body(spec, rule, method, samples) -> dict:
    """A body meeting the route's documented request schema (plausible values, Support's ids)."""
    path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
    operation = spec["paths"].get(path, {}).get(method.lower(), {})
    schema = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    body = {}
    for name, field in schema.get("properties", {}).items():
        if field.get("readOnly"):
            continue
        if name in PLAUSIBLE:
            body[name] = PLAUSIBLE[name]
        elif name not in schema.get("required", []):
            continue
        elif name.endswith("_id") or field.get("type") == "integer":
            body[name] = samples[access.CONTACT] if name == "other_id" else samples[access.CHAT]
        else:
            body[name] = {"string": "walk", "boolean": False, "array": [], "object": {}}.get(field.get("type"), "walk")
    return body


def leaks(text: str, markers=MARKERS) -> list[str]:
    return [marker for marker in markers if marker in text]


def test_every_route_declares_what_it_is_about(app):
    missing = sorted(f"{method} {rule.rule} ({rule.endpoint})" for rule, method in routes(app)
                     if not public(app, rule) and access.declared(app, rule.endpoint, method) is None)
    assert missing == [], "say what these routes are about with host.access.about"


def test_every_route_refuses_another_groups_customer_and_changes_nothing(app, api, admin, world):
    client = api(world["outsider"])
    spec = api(admin).get("/api/v1/openapi.json").json
    before = dump()
    walked = {kind: 0 for kind in access.KINDS}
    problems = []
    for rule, method in routes(app):
        if public(app, rule):
            continue
        declared = access.declared(app, rule.endpoint, method)
        assert declared is not None, f"{method} {rule.rule} says nothing about what it is about"
        url, query, body = request_for(rule, method, declared, world["samples"], spec)
        response = client.open(url, method=method, query_string=query, json=body)
        text = response.get_data(as_text=True)
        status = response.status_code
        where = f"{method} {url} ({declared.kind})"
        if declared.kind == access.ADMIN and status != 403 or declared.kind == access.CUSTOMER and status != 403:
            problems.append(f"{where}: {status}, expected 403")
        elif declared.kind in access.NAMED and status not in (403, 404):
            problems.append(f"{where}: {status}, expected 403 or 404")
        elif status >= 500:
            problems.append(f"{where}: {status}")
        typed = NUMBER in json.dumps([body, query])   # an answer may repeat what was sent
        shown = leaks(text, SECRETS if typed else MARKERS)
        if shown:
            problems.append(f"{where}: shows {shown}")
        after = dump()
        if after != before:
            changed = sorted(name for name in after if after[name] != before[name])
            problems.append(f"{where}: changed {changed}")
            before = after
        walked[declared.kind] += 1
    assert problems == []
    # The walk reached every kind of route (the app has each).
    assert all(walked[kind] for kind in access.KINDS), walked


def socket_events(app):
    handlers = app.extensions["socketio"].server.handlers["/"]
    return {name: handler for name, handler in handlers.items() if name not in ("connect", "disconnect")}


def test_every_socket_event_declares_what_it_is_about(app):
    missing = sorted(name for name, handler in socket_events(app).items()
                     if getattr(handler, "switchboard_access", None) is None)
    assert missing == [], "say what these Socket.IO events are about with host.access.about"


def test_every_socket_event_refuses_another_groups_customer_and_changes_nothing(app, world, socket_client):
    samples, chat, call = world["samples"], world["chat"], world["call"]
    data = {"chat_id": samples[access.CHAT], "call_id": samples[access.CALL], "muted": True,
            "call_sid": call.call_sid, "params": {"To": NUMBER, "chat_id": str(chat.id)}}
    client = socket_client(world["outsider"])
    client.get_received()
    before = dump()
    problems, events = [], socket_events(app)
    for name, handler in sorted(events.items()):
        declared = handler.switchboard_access
        ack = client.emit(name, dict(data), callback=True)
        if declared.kind != access.AGENT and not (isinstance(ack, dict) and ack.get("ok") is False):
            problems.append(f"{name} ({declared.kind}): acknowledged {ack!r}, expected a refusal")
        shown = leaks(json.dumps(ack), SECRETS)  # the number is in what was sent: echoes may repeat it
        if shown:
            problems.append(f"{name}: shows {shown}")
        after = dump()
        if after != before:
            problems.append(f"{name}: changed {sorted(t for t in after if after[t] != before[t])}")
            before = after
    assert problems == []
    assert len(events) >= 8  # the host's and the Twilio plugin's events were walked
    # Nothing the outsider did let Support's customer reach them.
    receive(InboundMessage(channel="sms", external_id="SM" + "2" * 32, from_address=NUMBER, to_address=OUR_NUMBER,
                           body=BODY + " again"))
    assert [p for p in client.get_received() if leaks(json.dumps(p, default=str))] == []
