"""A local stand-in for the SMS gateway, for end-to-end tests and benchmarks.

A real HTTP server on 127.0.0.1 that answers ``POST /send`` like the gateway does
(``{"id": …}``), records every send, and can be made slow or down for a while.
"""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class GatewayServer:
    def __init__(self):
        self.received: list[dict] = []
        self.delay = 0.0
        self.failing = False
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                time.sleep(gateway.delay)
                if gateway.failing:
                    self.send_response(503)
                    self.end_headers()
                    return
                gateway.received.append(body)
                payload = json.dumps({"id": f"gw-{len(gateway.received)}"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def texts(self) -> list[str]:
        return [r["text"] for r in self.received]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
