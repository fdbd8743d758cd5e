"""A stand-in for Twilio's Messages API that can accept a message and then stall.

Served over real HTTP (werkzeug, in a thread) so the twilio client's own timeouts fire.
It keeps every message it accepted and answers the list call (``To``/``From`` filters,
newest first) the way Twilio does, which is what the outbox's reconciliation asks before
a retry. ``stall_next`` makes the next creates store the message and then hold the
answer for ``stall_seconds``: the caller times out after Twilio accepted the message.
"""
from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import datetime, UTC
from email.utils import format_datetime

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


class StallingTwilio:
    def __init__(self, account_sid: str, port: int = 0):
        self.account_sid = account_sid
        self.messages: list[dict] = []  # every message accepted, in order
        self.stall_next = 0
        self.stall_seconds = 2.0
        self.fail_next = 0  # creates answered 503 without storing anything
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", port, self._app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()

    def bodies(self) -> list[str]:
        return [m["body"] for m in self.messages]

    def _app(self, environ, start_response):
        request = Request(environ)
        base = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        if request.path != base:
            return self._json({"code": 20404, "message": "not found", "status": 404}, 404)(environ, start_response)
        if request.method == "POST":
            return self._create(request)(environ, start_response)
        return self._list(request)(environ, start_response)

    def _create(self, request):
        with self._lock:
            if self.fail_next:
                self.fail_next -= 1
                return self._json({"code": 20500, "message": "Internal error", "status": 503}, 503)
            now = datetime.now(UTC)
            message = {"sid": "SM" + uuid.uuid4().hex, "account_sid": self.account_sid, "api_version": "2010-04-01",
                       "to": request.form.get("To"), "from": request.form.get("From"),
                       "messaging_service_sid": request.form.get("MessagingServiceSid"),
                       "body": request.form.get("Body") or "", "status": "queued", "direction": "outbound-api",
                       "date_created": format_datetime(now), "date_updated": format_datetime(now),
                       "date_sent": None, "num_media": str(len(request.form.getlist("MediaUrl"))),
                       "num_segments": "1", "error_code": None, "error_message": None, "price": None,
                       "price_unit": "USD", "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/x.json",
                       "subresource_uris": {}, "_created": now.timestamp()}
            self.messages.append(message)
            stall = self.stall_next > 0
            if stall:
                self.stall_next -= 1
        if stall:
            time.sleep(self.stall_seconds)  # accepted; the answer comes too late
        return self._json(_public(message), 201)

    def _list(self, request):
        to, sender = request.args.get("To"), request.args.get("From")
        size = int(request.args.get("PageSize") or 50)
        with self._lock:
            found = [m for m in self.messages if (not to or m["to"] == to) and (not sender or m["from"] == sender)]
        found.sort(key=lambda m: m["_created"], reverse=True)
        return self._json({"messages": [_public(m) for m in found[:size]], "next_page_uri": None,
                           "first_page_uri": request.full_path, "previous_page_uri": None, "page": 0,
                           "page_size": size, "uri": request.full_path, "start": 0, "end": 0})

    @staticmethod
    def _json(payload, status: int = 200) -> Response:
        return Response(json.dumps(payload), status=status, content_type="application/json")


def _public(message: dict) -> dict:
    return {k: v for k, v in message.items() if not k.startswith("_")}
