"""An offline Twilio: answers the twilio client in-process and calls our webhooks back.

Used when no Twilio credentials are configured (``make run``, end-to-end tests). The
real ``twilio.rest.Client`` talks to it through :class:`SimulatorHttpClient`, so our
request parameters and Twilio's response parsing are the real ones. It answers with
Twilio's shapes (Message resource with an ``SM…`` sid and status ``queued``, Content
list, Account fetch, media bytes), keeps what it saw in its own tables, and posts
*signed* status callbacks (sent → delivered, and read on WhatsApp) to the real
``/webhooks/twilio/status`` endpoint, signing with its own account's token — which is
the token the app verifies with, because the simulator is then the active account.

It behaves like Twilio where our code must cope: magic test numbers (+15005550001 →
21211, +15005550004 → 21610, +15005550009 → 21614), opt-out keywords, and WhatsApp's
24-hour window (a free-form message to a customer it knows who has not written for 24 h
fails later with 63016, as Twilio does). Customers it has never seen (e.g. demo seed
data) are treated leniently.

Opt-out (see ``keywords``): by default its numbers are plain numbers — an SMS keyword
(STOP, Cancel, start …) gets Twilio's reply and blocks or unblocks that customer for
that number, and the webhook carries the bare message, no ``OptOutType``. When the
configured Messaging Service is listed under Advanced Opt-Out, its numbers behave like
that service: the whole service is blocked, WhatsApp keywords count too, and the webhook
carries ``OptOutType``. A blocked customer's sends are refused with 21610 until they
text START.

Its state changes join the caller's database transaction (the outbox commits them
with the message's new status): a separate connection would deadlock against the
outbox's own write on SQLite. Status callbacks therefore wait until the row is visible.
"""
from __future__ import annotations

import heapq
import itertools
import json
import logging
import re
import threading
import time
import uuid
from datetime import timedelta

import requests
from flask import current_app
from twilio.request_validator import RequestValidator

from host.plugin_api import db, utcnow

from plugins.twilio_channel.simulator import data
from plugins.twilio_channel.messaging.keywords import keyword_of
from plugins.twilio_channel.models import SimulatedMedia, SimulatedMessage
from plugins.twilio_channel.settings import SIMULATOR_ACCOUNT_SID, load_config, simulator_token
from plugins.twilio_channel.transport import SimulatedAnswer, SimulatedRequest

log = logging.getLogger(__name__)

_ACCOUNT = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})(?P<rest>.*)$")
_RANK = {"queued": 1, "accepted": 1, "sending": 2, "sent": 3, "delivered": 4, "read": 5,
         "undelivered": 9, "failed": 9}
CALLBACK_ATTEMPTS = 40  # × 0.25 s: how long a callback waits for the sender's commit


def simulator_for(app) -> Simulator:
    sim = app.extensions.get("twilio_channel.simulator")
    if sim is None:
        sim = app.extensions["twilio_channel.simulator"] = Simulator(app)
    return sim


def new_sid(prefix: str) -> str:
    return prefix + uuid.uuid4().hex


def bare(address: str) -> str:
    return (address or "").removeprefix("whatsapp:")


def _json(status: int, payload) -> SimulatedAnswer:
    return SimulatedAnswer(status, json.dumps(payload))


def _error(status: int, code: int, message: str) -> SimulatedAnswer:
    return _json(status, {"code": code, "message": message, "status": status,
                          "more_info": f"https://www.twilio.com/docs/errors/{code}"})


class Simulator:
    def __init__(self, app):
        self.app = app
        self.account_sid = SIMULATOR_ACCOUNT_SID
        self.manual = bool(app.config.get("SWITCHBOARD_TWILIO_SIMULATOR_MANUAL"))
        self.delays = {"sent": 0.4, "delivered": 1.2, "read": 3.0, "failed": 0.8}
        self._queue: list = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._thread = None
        self.created: list[dict] = []  # every Message resource created, in order (for tests)
        self.requests: list[str] = []  # "GET content/v1/…" of every REST request (for tests)
        self.templates: list[dict] = [dict(t) for t in data.TEMPLATES]  # the account's Content API

    @property
    def token(self) -> str:
        return simulator_token(self.app)

    # --- the REST API ----------------------------------------------------------------------

    def handle(self, req: SimulatedRequest, calls=None) -> SimulatedAnswer:
        """Answer a REST request; ``calls(req, rest)`` answers calls, queues and recordings
        (the calls side, :mod:`.voice`, builds on this one; :mod:`.rest` joins them)."""
        if req.auth != (self.account_sid, self.token):
            return _error(401, 20003, "Authenticate")
        self.requests.append(f"{req.method} {req.product}{req.path}")
        if req.product == "content":
            return self._content(req)
        match = _ACCOUNT.match(req.path)
        if req.product != "api" or not match:
            return _error(404, 20404, f"The requested resource {req.path} was not found")
        if match.group(1) != self.account_sid:
            return _error(401, 20003, "Authenticate")
        rest = match.group("rest")
        if rest.startswith(("/Calls", "/Queues", "/Recordings")):  # voice: calls, queues, voicemail
            if calls is None:
                return _error(404, 20404, f"The requested resource {req.path} was not found")
            return calls(req, rest)
        if rest == ".json" and req.method == "GET":
            return _json(200, data.account_json(self.account_sid))
        if rest == "/Messages.json" and req.method == "POST":
            return self._create_message(req.data)
        if rest == "/Messages.json" and req.method == "GET":
            return self._list_messages(req.params)
        found = re.match(r"^/Messages/([A-Z]{2}[0-9a-f]{32})\.json$", rest)
        if found and req.method == "GET":
            row = db.session.get(SimulatedMessage, found.group(1))
            return _json(200, data.message_json(row, self.account_sid)) if row else \
                _error(404, 20404, f"The requested resource {req.path} was not found")
        found = re.match(r"^/Messages/[A-Z]{2}[0-9a-f]{32}/Media/(ME[0-9a-f]{32})$", rest)
        if found and req.method in ("GET", "HEAD"):
            media = db.session.get(SimulatedMedia, found.group(1))
            if media is None:
                return _error(404, 20404, f"The requested resource {req.path} was not found")
            # Twilio's media storage answers HEAD with the length, GET with the bytes.
            return SimulatedAnswer(200, media.data if req.method == "GET" else b"", media.content_type,
                                   {"Content-Length": str(len(media.data))})
        return _error(404, 20404, f"The requested resource {req.path} was not found")

    def _list_messages(self, params: dict) -> SimulatedAnswer:
        """Messages filtered by ``To`` and ``From``, newest first, one page of ``PageSize``
        (Twilio's list; the outbox asks it before retrying a send)."""
        query = db.select(SimulatedMessage).order_by(SimulatedMessage.created_at.desc())
        if params.get("To"):
            query = query.where(SimulatedMessage.to_address == params["To"])
        if params.get("From"):
            query = query.where(SimulatedMessage.from_address == params["From"])
        size = min(int(params.get("PageSize") or 50), 1000)
        rows = db.session.execute(query.limit(size)).scalars().all()
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json?PageSize={size}&Page=0"
        return _json(200, {"messages": [data.message_json(row, self.account_sid) for row in rows],
                           "first_page_uri": uri, "next_page_uri": None, "previous_page_uri": None,
                           "page": 0, "page_size": size, "uri": uri, "end": max(len(rows) - 1, 0), "start": 0})

    def _content(self, req: SimulatedRequest) -> SimulatedAnswer:
        """The Content API: lists (with or without approvals), one template, its approval."""
        path = req.path.rstrip("/")
        if req.method == "GET" and path in ("/v1/Content", "/v1/ContentAndApprovals"):
            return _json(200, data.page_of(self.templates, self.account_sid, req.params, path.rsplit("/", 1)[1],
                                           with_approvals=path.endswith("Approvals")))
        found = re.match(r"^/v1/Content/(HX[0-9a-fA-F]{32})(/ApprovalRequests)?$", path)
        template = self.template(found.group(1)) if found else None
        if req.method == "GET" and template is not None:
            return _json(200, data.approval_fetch_json(template, self.account_sid) if found.group(2)
                         else data.content_json(template, self.account_sid))
        return _error(404, 20404, f"The requested resource {req.path} was not found")

    def template(self, sid: str | None) -> dict | None:
        return next((t for t in self.templates if t["sid"] == sid), None)

    def _create_message(self, form: dict) -> SimulatedAnswer:
        to, sender = str(form.get("To") or ""), str(form.get("From") or "")
        service = form.get("MessagingServiceSid")
        media = form.get("MediaUrl") or []
        media = [media] if isinstance(media, str) else list(media)
        body, content_sid = str(form.get("Body") or ""), form.get("ContentSid")
        if not to:
            return _error(400, 21604, "A 'To' phone number is required.")
        if not sender and not service:
            return _error(400, 21603, "A 'From' phone number is required.")
        if not body and not media and not content_sid:
            return _error(400, 21602, "Message body is required.")
        if len(body) > 1600:
            return _error(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
        if len(media) > 10:
            return _error(400, 21623, "Number of media files exceeds allowed limit")
        whatsapp = to.startswith("whatsapp:")
        if sender and sender.startswith("whatsapp:") != whatsapp:
            return _error(400, 21910, "Invalid From and To pair. From and To should be of the same channel.")
        magic = data.MAGIC_NUMBERS.get(bare(to))
        if magic:
            return _error(400, *magic)
        if not data.valid_number(bare(to)):
            return _error(400, 21211, f"Invalid 'To' Phone Number: {bare(to)}")
        template = self.template(content_sid)
        if content_sid and template is None:
            return _error(400, 21655, "The ContentSid is Invalid")
        config = load_config()
        if not sender:
            sender = (config.whatsapp_senders if whatsapp else config.numbers or ("+14155550000",))[0]
        if self.opted_out(to, sender, service or config.messaging_service_sid):
            return _error(400, 21610, "Attempt to send to unsubscribed recipient")
        # Outside the window WhatsApp takes only an approved template; Twilio accepts the
        # request and fails the message afterwards (63016 on the status callback).
        closed = whatsapp and (template is None or template.get("status") != "approved") \
            and self.window_closed(to, sender)
        row = SimulatedMessage(
            sid=new_sid("MM" if media else "SM"), direction="outbound-api", from_address=sender, to_address=to,
            body=data.render_template(template, form.get("ContentVariables")) if content_sid else body,
            media=[{"url": u, "content_type": ""} for u in media], content_sid=content_sid,
            content_variables=form.get("ContentVariables"), messaging_service_sid=service,
            status="accepted" if service and not form.get("From") else "queued",
            status_callback=form.get("StatusCallback"))
        db.session.add(row)
        db.session.flush()
        media_error = media_problem(media, whatsapp)
        if closed:
            self.schedule(self.delays["failed"], self._deliver_status, row.sid, "failed", "63016")
        elif media_error:  # Twilio fetches the media after accepting the request
            self.schedule(self.delays["failed"], self._deliver_status, row.sid, "failed", media_error)
        else:
            self.schedule(self.delays["sent"], self._deliver_status, row.sid, "sent", None)
            self.schedule(self.delays["delivered"], self._deliver_status, row.sid, "delivered", None)
            if whatsapp:
                self.schedule(self.delays["read"], self._deliver_status, row.sid, "read", None)
        created = data.message_json(row, self.account_sid)
        self.created.append(created)
        return _json(201, created)

    # --- customer state --------------------------------------------------------------------

    def _last_inbound(self, customer: str, sender: str):
        query = db.select(SimulatedMessage).where(SimulatedMessage.direction == "inbound",
                                                  SimulatedMessage.from_address == customer,
                                                  SimulatedMessage.to_address == sender)
        return db.session.execute(query.order_by(SimulatedMessage.created_at.desc()).limit(1)).scalar()

    def window_closed(self, customer: str, sender: str) -> bool:
        """WhatsApp's window, per customer and business sender."""
        last = self._last_inbound(customer, sender)
        if last is not None:
            return last.created_at < utcnow() - timedelta(hours=24)
        # Never written to this sender: closed if the simulator knows the customer at all
        # (they never opened a window with it); lenient for customers it has never seen
        # (demo seed data).
        return db.session.execute(db.select(SimulatedMessage.sid).where(
            (SimulatedMessage.to_address == customer) | (SimulatedMessage.from_address == customer))
            .limit(1)).first() is not None

    def keyword(self, body: str, whatsapp: bool, service: str | None) -> str | None:
        """The keyword Twilio acts on: default SMS filtering on a plain number, the
        service's lists (here: the defaults) with Advanced Opt-Out, on WhatsApp too."""
        advanced = bool(service) and service in load_config().advanced_opt_out_services
        return keyword_of(body) if advanced or not whatsapp else None

    def opted_out(self, customer: str, sender: str, service: str | None = None) -> bool:
        """Did the customer's last STOP/START to this number (or this Messaging Service's
        pool) block them? Twilio keeps the block per sender, or per service."""
        query = db.select(SimulatedMessage).where(SimulatedMessage.direction == "inbound",
                                                  SimulatedMessage.from_address == customer)
        query = query.where(SimulatedMessage.messaging_service_sid == service) if service else \
            query.where(SimulatedMessage.to_address == sender)
        whatsapp = customer.startswith("whatsapp:")
        for row in db.session.execute(query.order_by(SimulatedMessage.created_at.desc())).scalars():
            word = self.keyword(row.body, whatsapp, row.messaging_service_sid)
            if word in ("STOP", "START"):
                return word == "STOP"
        return False

    # --- status callbacks ------------------------------------------------------------------

    def schedule(self, delay: float, fn, *args) -> None:
        with self._cond:
            heapq.heappush(self._queue, (time.monotonic() + delay, next(self._seq), fn, args))
            if not self.manual and self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="twilio-simulator", daemon=True)
                self._thread.start()
            self._cond.notify()

    def run_pending(self, limit: int = 1000) -> int:
        """Run every scheduled callback now, in order (tests and manual mode)."""
        ran = 0
        while ran < limit:
            with self._cond:
                if not self._queue:
                    return ran
                _, _, fn, args = heapq.heappop(self._queue)
            self._run(fn, args, retry_delay=0)
            ran += 1
        return ran

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._queue or self._queue[0][0] > time.monotonic():
                    timeout = self._queue[0][0] - time.monotonic() if self._queue else None
                    self._cond.wait(timeout)
                _, _, fn, args = heapq.heappop(self._queue)
            self._run(fn, args, retry_delay=0.25)

    def _run(self, fn, args, retry_delay: float) -> None:
        with self.app.app_context():
            try:
                fn(*args, retry_delay=retry_delay)
            except Exception:  # a failing callback must not stop the simulator
                log.exception("twilio simulator callback failed")
                db.session.rollback()

    def _deliver_status(self, sid: str, status: str, error_code, attempt: int = 0, retry_delay: float = 0.25):
        row = db.session.get(SimulatedMessage, sid)
        if row is None:  # the sender's transaction has not committed yet
            if attempt < CALLBACK_ATTEMPTS:
                self.schedule(retry_delay, self._deliver_status, sid, status, error_code, attempt + 1)
            return
        if _RANK.get(status, 0) <= _RANK.get(row.status, 0):
            return
        row.status, row.error_code = status, error_code
        db.session.commit()
        if not row.status_callback:
            return
        params = {"AccountSid": self.account_sid, "ApiVersion": "2010-04-01", "MessageSid": row.sid,
                  "SmsSid": row.sid, "MessageStatus": status, "SmsStatus": status,
                  "From": row.from_address, "To": row.to_address}
        if row.messaging_service_sid:
            params["MessagingServiceSid"] = row.messaging_service_sid
        if row.to_address.startswith("whatsapp:"):
            params["ChannelPrefix"] = "whatsapp"
        if error_code:
            params["ErrorCode"] = str(error_code)
        post_signed(self.app, row.status_callback, params, self.token)

    # --- the customer's side ----------------------------------------------------------------

    def customer_sends(self, customer: str, our_number: str, body: str, channel: str = "sms",
                       attachments=(), profile_name: str = "") -> tuple[int, str]:
        """The simulated customer texts us: store it, then post Twilio's signed webhook."""
        whatsapp = channel == "whatsapp"
        prefix = "whatsapp:" if whatsapp else ""
        sender, to = prefix + bare(customer), prefix + bare(our_number)
        sid = new_sid("MM" if attachments else "SM")
        params = {"AccountSid": self.account_sid, "ApiVersion": "2010-04-01", "MessageSid": sid,
                  "SmsMessageSid": sid, "SmsSid": sid, "SmsStatus": "received", "From": sender, "To": to,
                  "Body": body, "NumMedia": str(len(attachments)), "NumSegments": "1"}
        media = []
        for position, (content_type, content) in enumerate(attachments):
            media_sid = new_sid("ME")
            db.session.add(SimulatedMedia(sid=media_sid, message_sid=sid, content_type=content_type, data=content))
            url = f"https://api.twilio.com/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}/Media/{media_sid}"
            params[f"MediaUrl{position}"], params[f"MediaContentType{position}"] = url, content_type
            media.append({"url": url, "content_type": content_type, "sid": media_sid})
        config = load_config()
        if config.messaging_service_sid:
            params["MessagingServiceSid"] = config.messaging_service_sid
        if whatsapp:
            params.update(WaId=bare(customer).lstrip("+"), ProfileName=profile_name or "Simulated customer",
                          MessageType="image" if attachments else "text")
        else:
            params.update(FromCountry="US", ToCountry="US")
        service = params.get("MessagingServiceSid")
        keyword = self.keyword(body, whatsapp, service)
        reply = data.REPLIES[keyword] if keyword else None
        if keyword and service in config.advanced_opt_out_services:
            params["OptOutType"] = keyword  # only Advanced Opt-Out says so; plain numbers never do
        db.session.add(SimulatedMessage(sid=sid, direction="inbound", from_address=sender, to_address=to,
                                        body=body, media=media, status="received",
                                        messaging_service_sid=params.get("MessagingServiceSid")))
        if reply:  # Twilio answers opt-out keywords itself; our app must not
            db.session.add(SimulatedMessage(sid=new_sid("SM"), direction="outbound-reply", from_address=to,
                                            to_address=sender, body=reply, status="delivered"))
        db.session.commit()
        return post_signed(self.app, config.messaging_url, params, self.token), sid

    def conversation(self, customer: str, limit: int = 200) -> list[SimulatedMessage]:
        addresses = {bare(customer), "whatsapp:" + bare(customer)}
        query = (db.select(SimulatedMessage)
                 .where(SimulatedMessage.from_address.in_(addresses) | SimulatedMessage.to_address.in_(addresses))
                 .order_by(SimulatedMessage.created_at.desc()).limit(limit))
        return list(reversed(db.session.execute(query).scalars().all()))

    def customers(self) -> list[str]:
        ours = set(load_config().numbers) | {bare(s) for s in load_config().whatsapp_senders}
        seen = db.session.execute(db.select(SimulatedMessage.from_address, SimulatedMessage.to_address)
                                  .order_by(SimulatedMessage.created_at.desc()).limit(500)).all()
        result = []
        for pair in seen:
            for address in pair:
                number = bare(address)
                if number not in ours and number not in result:
                    result.append(number)
        return result


def post_signed(app, url: str, params: dict, token: str) -> int:
    """POST a webhook the way Twilio does (form body, X-Twilio-Signature) and return the status.

    Our own endpoints are called through the WSGI app in-process (no server needed, and
    it works when the public URL is not reachable from here); other URLs over HTTP.
    """
    signature = RequestValidator(token).compute_signature(url, params)
    headers = {"X-Twilio-Signature": signature, "User-Agent": "TwilioProxy/1.1 (simulator)"}
    public = app.config["SWITCHBOARD_PUBLIC_URL"].rstrip("/")
    if url.startswith(public + "/"):
        response = app.test_client().post(url[len(public):], base_url=public, data=params, headers=headers)
        return response.status_code
    try:
        return requests.post(url, data=params, headers=headers, timeout=5).status_code
    except requests.RequestException as exc:
        log.warning("simulator could not reach %s: %s", url, type(exc).__name__)
        return 0


def current_simulator() -> Simulator:
    return simulator_for(current_app._get_current_object())


def media_problem(urls, whatsapp: bool) -> str | None:
    """Fetch each MediaUrl as Twilio does and return the error code Twilio fails the
    message with: 11200 (the URL doesn't answer 200), 12300 (a Content-Type the channel
    doesn't take), 11751 (more than the channel's size: MMS 5 MB, WhatsApp 16 MB and
    5 MB an image), 21623 (WhatsApp: one file a message). Only Switchboard's own URLs
    can be fetched offline; others are taken as they are."""
    from flask import current_app

    from plugins.twilio_channel.messaging.channels import MMS_RULES, WHATSAPP_RULES

    rules = WHATSAPP_RULES if whatsapp else MMS_RULES
    if len(urls) > rules.max_files:
        return "21623"
    base = current_app.config["SWITCHBOARD_PUBLIC_URL"].rstrip("/") + "/"
    total = 0
    for url in urls:
        if not url.startswith(base):
            continue
        answer = current_app.test_client().get("/" + url[len(base):])
        if answer.status_code != 200:
            return "11200"
        content_type = (answer.mimetype or "").lower()
        size = len(answer.get_data())
        if content_type not in rules.types:
            return "12300"
        if any(content_type.startswith(p) and size > cap for p, cap in rules.type_caps.items()):
            return "11751"
        total += size
    return "11751" if total > rules.max_total else None
