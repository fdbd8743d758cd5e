"""Run Prism mock servers on Twilio's own OpenAPI documents, for contract tests.

``PrismServers`` copies the spec files shipped in npm ``@twilio-alpha/mcp`` to a temp
dir, patches them for Prism's known gaps (see ``patch_spec``), starts one Prism process
per product host and hands back the ``{"api": "http://127.0.0.1:PORT", …}`` mapping that
:class:`~plugins.twilio_channel.transport.RoutingHttpClient` takes.
:class:`RecordingHttpClient` keeps every request so tests can assert on what was *sent*
(Prism answers with fixed examples) and on Prism's contract violations.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any
from collections.abc import Iterable, Mapping

from plugins.twilio_channel.transport import RoutingHttpClient

SPEC_FILES = MappingProxyType({
    "api": "twilio_api_v2010.json",
    "content": "twilio_content_v1.json",
    "messaging": "twilio_messaging_v1.json",
})
# Other documents served by the same host, merged into its one Prism process
# (messaging.twilio.com answers v1 Services and v2 Channels/Senders).
MERGED_SPECS = MappingProxyType({"messaging": ("twilio_messaging_v2.json",)})
NUMBERS_PATH = "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json"
# Updates whose URL parameters Twilio clears when given an empty string (the twilio CLI's
# `phone-numbers:update --sms-url=""` relies on it); the spec only says "format: uri".
CLEARABLE_URL_UPDATES = ("/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json", "/v1/Services/{Sid}")
# The account Prism lists: two numbers, as Twilio's own example describes one (sid,
# number and capabilities varied), so a test can pick more than one. The first points its
# messages and calls elsewhere; the second only its calls (no messaging URL, as a number
# bought for voice has), so undoing a change can be seen to clear a field again.
PRISM_NUMBERS = (("PN" + "1" * 32, "+14155550101", "Sales line", {"voice": True, "sms": True, "mms": True,
                                                                    "fax": False}),
                 ("PN" + "2" * 32, "+14155550102", "Support line", {"voice": True, "sms": True, "mms": False,
                                                                      "fax": False}))
MESSAGES_PATH = "/2010-04-01/Accounts/{AccountSid}/Messages.json"
SENDERS_PATH = "/v2/Channels/Senders"
ACCOUNTS_PATH = "/2010-04-01/Accounts.json"
# A parent account's subaccount and its number, answered when a request asks for the
# examples WITH_SUBACCOUNT (the account list) and SUBACCOUNT_NUMBERS (its numbers) with
# ``prefer_example``; without them the account list is Twilio's empty example.
PRISM_SUBACCOUNT = ("AC" + "b" * 32, "Branch office")
PRISM_SUBACCOUNT_NUMBER = ("PN" + "4" * 32, "+14155550103", "Branch line", {"voice": True, "sms": True,
                                                                           "mms": False, "fax": False})
WITH_SUBACCOUNT = "withSubaccount"
SUBACCOUNT_NUMBERS = "subaccountNumbers"
# The WhatsApp sender Prism lists: Twilio's own update example (an ONLINE sender of the
# first number), its webhooks pointing elsewhere so connecting it can be tried.
PRISM_WHATSAPP_SENDER = ("XE" + "3" * 32, "whatsapp:" + PRISM_NUMBERS[0][1])
PRISM_SENDER_WEBHOOK = {"callback_url": "https://old.example.com/whatsapp", "callback_method": "POST",
                        "fallback_url": "https://old.example.com/fallback", "fallback_method": "POST",
                        "status_callback_url": "https://old.example.com/whatsapp-status",
                        "status_callback_method": "POST"}
VIOLATIONS_HEADER = "sl-violations"

# Example names for Message create errors; select one with prefer_error(NAME).
OPTED_OUT = "optedOut"          # 21610
INVALID_TO = "invalidTo"        # 21211
NOT_MOBILE = "notMobile"        # 21614
RATE_LIMITED = "rateLimited"    # 20429 (HTTP 429)


def _twilio_error(code: int, message: str, status: int = 400) -> dict[str, Any]:
    # The shape Twilio's 2010 API answers errors with (twilio-python reads code/message).
    return {"value": {"code": code, "message": message,
                      "more_info": f"https://www.twilio.com/docs/errors/{code}",
                      "status": status}}


def repo_root() -> Path:
    """The checkout that holds ``node_modules`` (this file is plugins/…/testing/prism.py)."""
    return Path(__file__).resolve().parents[3]


def prism_binary(root: Path | None = None) -> Path:
    return (root or repo_root()) / "node_modules" / ".bin" / "prism"


def spec_source_dir(root: Path | None = None) -> Path:
    return ((root or repo_root()) / "node_modules" / "@twilio-alpha" / "mcp" / "twilio-oai"
            / "spec" / "json")


def prefer_error(example: str, status: int = 400) -> dict[str, str]:
    """Headers that make Prism answer with one of the error examples added here."""
    return {"Prefer": f"code={status}, example={example}"}


# --- spec patches ---------------------------------------------------------------------

def patch_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """Patch a Twilio spec in place for Prism 5.14 and return it.

    1. Form arrays: twilio-python sends ``MediaUrl=a&MediaUrl=b``; without an explicit
       ``explode`` encoding Prism rejects that with "must be array" (Prism #2473).
    2. List examples link to themselves as their next page, so an unlimited ``.list()``
       would loop forever: the next-page links become null. Prism answers with the
       first example, which for Content is an empty page: non-empty pages go first.
    3. Every operation gets a 422 answer so an invalid request is reported as such
       (with the ``sl-violations`` header) instead of as an error example.
    4. Message create gets Twilio's error answers (400 for 21610/21211/21614, 429) that
       tests select with ``Prefer``; the spec itself defines no error responses.
    5. The phone-number list answers with two numbers (``PRISM_NUMBERS``) whose
       webhooks point elsewhere, so connecting them can be tried.
    6. The WhatsApp sender list answers with one sender (``PRISM_WHATSAPP_SENDER``)
       instead of the empty example only.
    7. The account list answers with Twilio's empty example unless ``WITH_SUBACCOUNT``
       is asked for (``PRISM_SUBACCOUNT``); the number list has ``SUBACCOUNT_NUMBERS``.
    8. Phone number and Messaging Service updates take an empty string for their URL
       parameters, as Twilio does to clear a webhook (``CLEARABLE_URL_UPDATES``); any other
       value must still be a URL.
    """
    schemas = spec.get("components", {}).get("schemas", {})
    for path, item in spec.get("paths", {}).items():
        for method, op in item.items():
            if not isinstance(op, dict) or "responses" not in op:
                continue
            _patch_form_arrays(op, schemas)
            _null_next_pages(op)
            op["responses"].setdefault("422", _contract_violation_response())
            if path == MESSAGES_PATH and method == "post":
                _add_message_errors(op)
            if path == NUMBERS_PATH and method == "get":
                _add_two_numbers(op)
            if path == SENDERS_PATH and method == "get":
                _add_whatsapp_sender(op, spec)
            if path == ACCOUNTS_PATH and method == "get":
                _add_subaccount(op)
            if path in CLEARABLE_URL_UPDATES and method == "post":
                _accept_empty_urls(op, schemas)
    return spec


def _accept_empty_urls(op: dict[str, Any], schemas: Mapping[str, Any]) -> None:
    """A ``format: uri`` form parameter also takes "" (Twilio's way to clear it)."""
    form = op.get("requestBody", {}).get("content", {}).get("application/x-www-form-urlencoded", {})
    props = _resolve(form.get("schema", {}), schemas).get("properties", {})
    for name, prop in props.items():
        if prop.get("format") == "uri":
            props[name] = {"type": "string", "description": prop.get("description", ""),
                           "anyOf": [{"format": "uri"}, {"maxLength": 0}]}


def _add_two_numbers(op: dict[str, Any]) -> None:
    """An account example with two numbers, answered first (see ``PRISM_NUMBERS``)."""
    media = op["responses"]["200"]["content"]["application/json"]
    examples = media.get("examples", {})
    full = next((e["value"] for e in examples.values()
                 if isinstance(e, dict) and e.get("value", {}).get("incoming_phone_numbers")), None)
    if full is None:
        return
    model = full["incoming_phone_numbers"][0]
    numbers = [{**model, "sid": sid, "phone_number": number, "friendly_name": name, "capabilities": capabilities,
                "sms_url": "https://old.example.com/sms" if index == 0 else "",
                "voice_url": "https://old.example.com/voice", "uri": model["uri"].replace(model["sid"], sid)}
               for index, (sid, number, name, capabilities) in enumerate(PRISM_NUMBERS)]
    sid, number, name, capabilities = PRISM_SUBACCOUNT_NUMBER
    branch = {**numbers[0], "sid": sid, "phone_number": number, "friendly_name": name, "capabilities": capabilities,
              "account_sid": PRISM_SUBACCOUNT[0], "uri": model["uri"].replace(model["sid"], sid)}
    media["examples"] = {"twoNumbers": {"value": {**full, "incoming_phone_numbers": numbers,
                                                  "next_page_uri": None}}, **examples,
                         SUBACCOUNT_NUMBERS: {"value": {**full, "incoming_phone_numbers": [branch],
                                                        "next_page_uri": None}}}


def _add_subaccount(op: dict[str, Any]) -> None:
    """Twilio's empty account list first; ``WITH_SUBACCOUNT`` lists one active subaccount."""
    media = op["responses"]["200"]["content"]["application/json"]
    examples = media["examples"]
    full = examples["readFull"]["value"]
    sid, name = PRISM_SUBACCOUNT
    account = {**full["accounts"][0], "sid": sid, "friendly_name": name, "status": "active"}
    media["examples"] = {"readEmpty": examples["readEmpty"], WITH_SUBACCOUNT: {"value": {**full, "accounts": [account]}},
                         **{k: v for k, v in examples.items() if k != "readEmpty"}}


def prefer_example(example: str) -> dict[str, str]:
    """Headers that make Prism answer with the named success example."""
    return {"Prefer": f"example={example}"}


def _add_whatsapp_sender(op: dict[str, Any], spec: dict[str, Any]) -> None:
    """A sender list with one ONLINE sender, built from Twilio's own update example."""
    update = spec["paths"][SENDERS_PATH + "/{Sid}"]["post"]["responses"]
    model = next(iter(next(iter(update.values()))["content"]["application/json"]["examples"].values()))["value"]
    media = op["responses"]["200"]["content"]["application/json"]
    empty = next(iter(media["examples"].values()))["value"]
    sid, sender_id = PRISM_WHATSAPP_SENDER
    sender = {**model, "sid": sid, "sender_id": sender_id, "status": "ONLINE", "webhook": dict(PRISM_SENDER_WEBHOOK)}
    media["examples"] = {"oneSender": {"value": {**empty, "senders": [sender]}}, **media["examples"]}


def merge_specs(spec: dict[str, Any], other: dict[str, Any]) -> dict[str, Any]:
    """Add ``other``'s paths and components to ``spec`` (two documents, one host)."""
    spec.setdefault("paths", {}).update(other.get("paths", {}))
    for kind, items in other.get("components", {}).items():
        spec.setdefault("components", {}).setdefault(kind, {}).update(items)
    return spec


def _resolve(schema: dict[str, Any], schemas: Mapping[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        return schemas.get(ref.rsplit("/", 1)[1], {})
    return schema


def _patch_form_arrays(op: dict[str, Any], schemas: Mapping[str, Any]) -> None:
    form = op.get("requestBody", {}).get("content", {}).get(
        "application/x-www-form-urlencoded")
    if not form:
        return
    props = _resolve(form.get("schema", {}), schemas).get("properties", {})
    encoding = form.setdefault("encoding", {})
    for name, prop in props.items():
        if _resolve(prop, schemas).get("type") == "array":
            encoding.setdefault(name, {"style": "form", "explode": True,
                                       "allowReserved": True})


def _is_empty_page(example: Any) -> bool:
    value = example.get("value") if isinstance(example, dict) else None
    return isinstance(value, dict) and any(v == [] for v in value.values())


def _null_next_pages(op: dict[str, Any]) -> None:
    for response in op["responses"].values():
        for media in response.get("content", {}).values():
            if "examples" in media:
                media["examples"] = dict(sorted(
                    media["examples"].items(), key=lambda kv: _is_empty_page(kv[1])))
            examples = [e.get("value") for e in media.get("examples", {}).values()]
            examples.append(media.get("example"))
            for value in examples:
                if not isinstance(value, dict):
                    continue
                if "next_page_uri" in value:
                    value["next_page_uri"] = None
                if isinstance(value.get("meta"), dict) and "next_page_url" in value["meta"]:
                    value["meta"]["next_page_url"] = None


def _error_schema() -> dict[str, Any]:
    return {"type": "object", "properties": {
        "code": {"type": "integer"}, "message": {"type": "string"},
        "more_info": {"type": "string"}, "status": {"type": "integer"}}}


def _contract_violation_response() -> dict[str, Any]:
    body = _twilio_error(
        422, "Prism: the request does not match Twilio's API description; see the "
        "sl-violations response header.", status=422)
    return {"description": "Request violates the API description (mock only)",
            "content": {"application/json": {"schema": _error_schema(),
                                             "examples": {"violation": body}}}}


def _add_message_errors(op: dict[str, Any]) -> None:
    op["responses"]["400"] = {"description": "Twilio refused the message", "content": {
        "application/json": {"schema": _error_schema(), "examples": {
            OPTED_OUT: _twilio_error(21610, "Attempt to send to unsubscribed recipient"),
            INVALID_TO: _twilio_error(
                21211, "Invalid 'To' Phone Number: +1555000000X"),
            NOT_MOBILE: _twilio_error(
                21614, "'To' number is not a valid mobile number"),
        }}}}
    op["responses"]["429"] = {"description": "Too many requests", "content": {
        "application/json": {"schema": _error_schema(), "examples": {
            RATE_LIMITED: _twilio_error(20429, "Too Many Requests", status=429)}}}}


def write_patched_specs(dest: Path, products: Iterable[str],
                        root: Path | None = None) -> dict[str, Path]:
    """Copy and patch the spec of each product into ``dest``; return product → file."""
    written = {}
    for product in products:
        if product not in SPEC_FILES:
            raise ValueError(f"no Twilio spec known for product {product!r}; "
                             f"known: {sorted(SPEC_FILES)}")
        source = spec_source_dir(root) / SPEC_FILES[product]
        spec = json.loads(source.read_text(encoding="utf-8"))
        for extra in MERGED_SPECS.get(product, ()):
            spec = merge_specs(spec, json.loads((spec_source_dir(root) / extra).read_text(encoding="utf-8")))
        spec = patch_spec(spec)
        target = dest / SPEC_FILES[product]
        target.write_text(json.dumps(spec), encoding="utf-8")
        written[product] = target
    return written


# --- processes ------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class PrismServers:
    """Context manager: ``with PrismServers() as hosts: RoutingHttpClient(hosts)``.

    Each product runs in its own Prism process (one spec document per process) on a
    free port; its output goes to ``log_path(product)``. With ``-v warn`` Prism prints
    no "listening" line, so start-up is detected by polling the port.
    """

    def __init__(self, products: Iterable[str] = tuple(SPEC_FILES), *,
                 root: Path | None = None, startup_timeout: float = 30.0):
        self.products = tuple(products)
        self.root = root or repo_root()
        self.startup_timeout = startup_timeout
        self.hosts: dict[str, str] = {}
        self._processes: dict[str, subprocess.Popen] = {}
        self._tmp: tempfile.TemporaryDirectory | None = None

    def log_path(self, product: str) -> Path:
        return Path(self._tmp.name) / f"prism-{product}.log"

    def log_mark(self) -> dict[str, int]:
        """Current end of each log; pass it to :meth:`log_errors` to see only later lines."""
        return {product: self.log_path(product).stat().st_size
                for product in self._processes}

    def log_errors(self, since: Mapping[str, int] | None = None) -> list[str]:
        """Request problems Prism logged: failed validation, unknown route, no example.

        Response violations are left out: Twilio's own examples break its spec in places
        (e.g. relative ``first_page_uri`` declared as ``format: uri``).
        """
        lines = []
        for product in self._processes:
            with open(self.log_path(product), "rb") as log:
                log.seek((since or {}).get(product, 0))
                text = log.read().decode("utf-8", errors="replace")
            for line in text.splitlines():
                if "✖" in line and "Violation: response." not in line:
                    lines.append(f"{product}: {line.strip()}")
        return lines

    def __enter__(self) -> dict[str, str]:
        binary = prism_binary(self.root)
        if not binary.exists():
            raise FileNotFoundError(f"Prism is not installed at {binary}; run `npm ci`")
        self._tmp = tempfile.TemporaryDirectory(prefix="switchboard-prism-")
        try:
            specs = write_patched_specs(Path(self._tmp.name), self.products, self.root)
            ports = {product: free_port() for product in self.products}
            for product, spec in specs.items():
                self._start(binary, product, spec, ports[product])
            self._wait_until_up(ports)
        except BaseException:
            self.close()
            raise
        self.hosts = {p: f"http://127.0.0.1:{port}" for p, port in ports.items()}
        return dict(self.hosts)

    def _start(self, binary: Path, product: str, spec: Path, port: int) -> None:
        log = open(self.log_path(product), "wb")
        try:
            # A new session gives Prism (node + workers) its own process group to stop.
            self._processes[product] = subprocess.Popen(
                [str(binary), "mock", "-h", "127.0.0.1", "-p", str(port), "-v", "warn",
                 str(spec)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                cwd=str(self.root), start_new_session=True)
        finally:
            log.close()

    def _wait_until_up(self, ports: Mapping[str, int]) -> None:
        deadline = time.monotonic() + self.startup_timeout
        waiting = dict(ports)
        while waiting:
            for product, port in list(waiting.items()):
                process = self._processes[product]
                if process.poll() is not None:
                    raise RuntimeError(
                        f"Prism for {product!r} exited with {process.returncode}:\n"
                        + self.log_path(product).read_text(errors="replace")[-2000:])
                if _answers(port):
                    del waiting[product]
            if waiting and time.monotonic() > deadline:
                raise TimeoutError(f"Prism did not answer within {self.startup_timeout}s "
                                   f"for {sorted(waiting)}")
            if waiting:
                time.sleep(0.1)

    def close(self) -> None:
        for process in self._processes.values():
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for process in self._processes.values():
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait(timeout=5)
        self._processes.clear()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


# --- recording ------------------------------------------------------------------------

@dataclass
class Exchange:
    """One request the twilio client made and Prism's answer."""

    method: str
    url: str
    params: dict[str, Any]
    data: dict[str, Any]
    headers: dict[str, str]
    auth: tuple | None = None  # (username, password) of HTTP Basic auth: which account asked
    status: int = 0
    response_headers: dict[str, str] = field(default_factory=dict)
    response_text: str = ""

    def violations(self) -> list[dict[str, Any]]:
        """Prism's request violations for this exchange (empty when it was valid)."""
        lowered = {k.lower(): v for k, v in self.response_headers.items()}
        if VIOLATIONS_HEADER in lowered:
            return json.loads(lowered[VIOLATIONS_HEADER])
        if "problem+json" not in lowered.get("content-type", ""):
            return []
        problem = json.loads(self.response_text or "{}")
        if self.status == 422:  # Prism's own 422 carries them in the body instead
            return problem.get("validation", [])
        if self.status == 404 and "prefer" in {k.lower() for k in self.headers}:
            # An invalid request with `Prefer: example=…` makes Prism look for that
            # example under its 422 answer and reply 404 without the header.
            return [{"location": ["request"], "severity": "Error", "code": "prefer",
                     "message": "Prism found no example for the Prefer header; the request "
                                "is probably invalid (see the Prism log): "
                                + problem.get("detail", "")}]
        return []


class RecordingHttpClient(RoutingHttpClient):
    """A :class:`RoutingHttpClient` that keeps every :class:`Exchange` in ``exchanges``."""

    def __init__(self, hosts: Mapping[str, str], **kwargs: Any):
        super().__init__(hosts, **kwargs)
        self.exchanges: list[Exchange] = []

    def request(self, method, url, params=None, data=None, headers=None, auth=None,
                timeout=None, allow_redirects=False):
        exchange = Exchange(method.upper(), url, dict(params or {}), dict(data or {}),
                            {**(headers or {}), **self.extra_headers}, tuple(auth) if auth else None)
        self.exchanges.append(exchange)
        response = super().request(method, url, params=params, data=data, headers=headers,
                                   auth=auth, timeout=timeout,
                                   allow_redirects=allow_redirects)
        exchange.status = response.status_code
        exchange.response_headers = dict(response.headers or {})
        exchange.response_text = response.text
        return response

    @property
    def last(self) -> Exchange:
        return self.exchanges[-1]

    def violations(self) -> list[dict[str, Any]]:
        return [v for exchange in self.exchanges for v in exchange.violations()]
