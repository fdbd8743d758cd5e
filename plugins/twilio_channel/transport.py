"""Send the twilio client's requests to local servers instead of ``*.twilio.com``.

Tests, the offline demo and the Twilio simulator all use the real ``twilio.rest.Client``
with this HTTP client plugged into its documented ``http_client=`` extension point.
Each product (``api``, ``content``, … of ``api.twilio.com`` and of a region's
``api.dublin.ie1.twilio.com``) is mapped to a base URL; any other host is refused, so a
misconfigured test can never reach Twilio. ``base_url`` overrides are not used because
absolute next-page links would leak past them.

:class:`SimulatorHttpClient` is the same extension point without a network: every
request goes to an in-process handler (the offline simulator). :func:`fetch_media`
downloads an inbound attachment with the account's Basic auth through whichever of
these clients the app uses, refusing anything that is not a ``*.twilio.com`` URL.
"""
from __future__ import annotations

import re
from email.message import EmailMessage
from dataclasses import dataclass, field
from typing import Any
from collections.abc import Callable, Mapping
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import requests

from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response

DEFAULT_TIMEOUT = 10.0  # seconds; Twilio's own client has no timeout unless given one
MAX_MEDIA_BYTES = 16 * 1024 * 1024  # Twilio's own MMS limit is 5 MB; WhatsApp allows 16 MB

_PRODUCT = re.compile(r"^[a-z][a-z0-9-]*$")
_TWILIO_SUFFIX = ".twilio.com"
# <product>.twilio.com, <product>.<region>.twilio.com (legacy) or <product>.<edge>.<region>.twilio.com:
# what twilio.rest.Client builds with region/edge, and what Twilio puts in a region's media and
# recording URLs (https://www.twilio.com/docs/global-infrastructure/understanding-edge-locations).
_TWILIO_HOST = re.compile(r"^(?P<product>[a-z][a-z0-9-]*)(?:\.[a-z][a-z0-9-]*[a-z0-9])?(?:\.[a-z]{2}[0-9])?"
                          r"\.twilio\.com$")


class UnroutedHostError(TwilioException):
    """A request went to a host that has no configured local base URL.

    Deliberately not a ``requests`` error: callers that retry transport failures must
    not retry a configuration mistake.
    """


def parse_hosts(value: str) -> dict[str, str]:
    """Parse ``api=http://127.0.0.1:4010,content=http://127.0.0.1:4011``.

    Keys are Twilio product names (the first label of ``<product>.twilio.com``);
    values are ``http(s)://host[:port][/prefix]`` base URLs. Raises ``ValueError`` with
    a message naming the offending entry.
    """
    hosts: dict[str, str] = {}
    for raw in (value or "").split(","):
        entry = raw.strip()
        if not entry:
            continue
        product, sep, base = (part.strip() for part in entry.partition("="))
        if not sep:
            raise ValueError(
                f"Twilio host entry {entry!r} has no '='; expected product=URL, "
                "e.g. api=http://127.0.0.1:4010")
        hosts_key = _product_key(product)
        if hosts_key in hosts:
            raise ValueError(f"Twilio host {hosts_key!r} is listed twice")
        hosts[hosts_key] = _checked_base_url(hosts_key, base)
    if not hosts:
        raise ValueError(
            "no Twilio hosts given; expected e.g. "
            "api=http://127.0.0.1:4010,content=http://127.0.0.1:4011")
    return hosts


def _product_key(product: str) -> str:
    # Accept "api.twilio.com" as well as "api": admins copy host names from logs.
    key = product.lower()
    if key.endswith(_TWILIO_SUFFIX):
        key = key[: -len(_TWILIO_SUFFIX)]
    if not _PRODUCT.match(key):
        raise ValueError(
            f"Twilio product name {product!r} is not valid; use the first part of the "
            "host name, e.g. 'api' for api.twilio.com")
    return key


def _checked_base_url(product: str, base: str) -> str:
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"base URL for Twilio host {product!r} must look like http://127.0.0.1:4010, "
            f"got {base!r}")
    if parts.query or parts.fragment:
        raise ValueError(
            f"base URL for Twilio host {product!r} must not have a query or fragment: {base!r}")
    if parts.hostname.endswith(_TWILIO_SUFFIX):
        raise ValueError(
            f"base URL for Twilio host {product!r} points at Twilio itself: {base!r}")
    return base.rstrip("/")


class RoutingHttpClient(TwilioHttpClient):
    """A ``TwilioHttpClient`` that rewrites ``https://<product>.twilio.com/…`` URLs.

    ``hosts`` maps product names to base URLs (see :func:`parse_hosts`).
    ``extra_headers`` are added to every request; tests use it to send Prism's
    ``Prefer: code=400, example=…`` header without touching production code.
    """

    def __init__(self, hosts: Mapping[str, str], *, timeout: float = DEFAULT_TIMEOUT,
                 extra_headers: Mapping[str, str] | None = None, **kwargs):
        if not hosts:
            raise ValueError("RoutingHttpClient needs at least one product host")
        super().__init__(timeout=timeout, **kwargs)
        self.hosts = {_product_key(k): _checked_base_url(k, v) for k, v in hosts.items()}
        self.extra_headers = dict(extra_headers or {})

    def route(self, url: str) -> str:
        """Return the local URL for a Twilio URL (any region or edge of the product), or
        raise :class:`UnroutedHostError`."""
        parts = urlsplit(url)
        found = _TWILIO_HOST.match((parts.hostname or "").lower())
        product = found.group("product") if found else None
        base = self.hosts.get(product) if product else None
        if parts.scheme != "https" or base is None or parts.port is not None:
            raise UnroutedHostError(
                f"refusing to send a request to {parts.scheme}://{parts.netloc}: no local "
                f"base URL is configured for it (configured: {sorted(self.hosts)})")
        target = urlsplit(base)
        return urlunsplit((target.scheme, target.netloc, target.path + parts.path,
                           parts.query, ""))

    def request(self, method: str, url: str, params: dict[str, object] | None = None,
                data: dict[str, object] | None = None,
                headers: dict[str, str] | None = None,
                auth: tuple[str, str] | None = None, timeout: float | None = None,
                allow_redirects: bool = False) -> Response:
        routed = self.route(url)
        merged = {**(headers or {}), **self.extra_headers}
        return super().request(method, routed, params=params, data=data, headers=merged,
                               auth=auth, timeout=timeout, allow_redirects=allow_redirects)


def twilio_product(url: str) -> str:
    """``api`` for ``https://api.twilio.com/…`` and for a region's ``https://api.dublin.ie1.twilio.com/…``;
    anything else raises UnroutedHostError (Twilio credentials go to Twilio only)."""
    parts = urlsplit(url)
    found = _TWILIO_HOST.match((parts.hostname or "").lower())
    if parts.scheme != "https" or parts.port is not None or not found:
        raise UnroutedHostError(f"refusing to send Twilio credentials to {parts.scheme}://{parts.netloc}")
    return found.group("product")


# --- the offline simulator's transport ----------------------------------------------------

@dataclass
class SimulatedRequest:
    method: str
    product: str          # "api", "content", …
    path: str             # "/2010-04-01/Accounts/AC…/Messages.json"
    params: dict[str, Any]
    data: dict[str, Any]
    headers: dict[str, str]
    auth: tuple[str, str] | None


@dataclass
class SimulatedAnswer:
    status: int
    body: Any = b""       # str for JSON, bytes for media
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


class SimulatorHttpClient(TwilioHttpClient):
    """A ``TwilioHttpClient`` whose "network" is a function: ``handler(SimulatedRequest)``.

    Used when no Twilio credentials are configured: the real ``twilio.rest.Client``
    builds real requests (so its parameter names and response parsing are exercised)
    and the simulator answers with Twilio's response shapes. Only ``*.twilio.com`` URLs
    are accepted, as with :class:`RoutingHttpClient`.
    """

    def __init__(self, handler: Callable[[SimulatedRequest], SimulatedAnswer], **kwargs):
        super().__init__(pool_connections=False, timeout=kwargs.pop("timeout", DEFAULT_TIMEOUT), **kwargs)
        self.handler = handler

    def _call(self, method, url, params=None, data=None, headers=None, auth=None) -> SimulatedAnswer:
        product = twilio_product(url)
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        query.update(params or {})
        return self.handler(SimulatedRequest(method.upper(), product, parts.path, query, dict(data or {}),
                                             dict(headers or {}), tuple(auth) if auth else None))

    def request(self, method: str, url: str, params: dict[str, object] | None = None,
                data: dict[str, object] | None = None,
                headers: dict[str, str] | None = None,
                auth: tuple[str, str] | None = None, timeout: float | None = None,
                allow_redirects: bool = False) -> Response:
        answer = self._call(method, url, params, data, headers, auth)
        body = answer.body.decode("utf-8", "replace") if isinstance(answer.body, bytes) else answer.body
        response = Response(answer.status, body, {"Content-Type": answer.content_type, **answer.headers})
        self._test_only_last_response = response
        return response

    def fetch_media(self, url: str, auth: tuple[str, str] | None) -> MediaDownload:
        answer = self._call("GET", url, auth=auth)
        body = answer.body.encode() if isinstance(answer.body, str) else answer.body
        return MediaDownload(answer.status, body, answer.content_type)

    def media_facts(self, url: str, auth: tuple[str, str] | None) -> MediaFacts:
        answer = self._call("HEAD", url, auth=auth)
        size = answer.headers.get("Content-Length")
        return MediaFacts(answer.status, int(size) if size and size.isdigit() else None, answer.content_type,
                          _filename(answer.headers.get("Content-Disposition")))


# --- media downloads ----------------------------------------------------------------------

@dataclass
class MediaDownload:
    status: int
    content: bytes
    content_type: str


@dataclass
class MediaFacts:
    """What a HEAD request tells about a media file: its size and, when the storage names
    it, its file name."""

    status: int
    size: int | None
    content_type: str
    filename: str = ""


def _filename(disposition: str | None) -> str:
    if not disposition:
        return ""
    header = EmailMessage()
    header["Content-Disposition"] = disposition
    return header.get_filename() or ""


def media_facts(http_client: TwilioHttpClient, url: str, auth: tuple[str, str]) -> MediaFacts:
    """HEAD an inbound media URL with Basic auth: its Content-Length and name, without the bytes.

    Like :func:`fetch_media` the redirect to Twilio's storage is followed without the
    credentials; a storage that answers no length leaves the size unknown.
    """
    twilio_product(url)
    if isinstance(http_client, SimulatorHttpClient):
        return http_client.media_facts(url, auth)
    target = http_client.route(url) if isinstance(http_client, RoutingHttpClient) else url
    session = getattr(http_client, "session", None) or requests.Session()
    timeout = getattr(http_client, "timeout", None) or DEFAULT_TIMEOUT
    response = session.head(target, auth=auth, timeout=timeout, allow_redirects=True)
    size = response.headers.get("Content-Length", "")
    return MediaFacts(response.status_code, int(size) if size.isdigit() else None,
                      response.headers.get("Content-Type", "application/octet-stream"),
                      _filename(response.headers.get("Content-Disposition")))


def fetch_media(http_client: TwilioHttpClient, url: str, auth: tuple[str, str],
                max_bytes: int = MAX_MEDIA_BYTES) -> MediaDownload:
    """GET an inbound media URL with Basic auth through the app's Twilio HTTP client.

    The twilio client's own ``request`` returns text, which would mangle images, so the
    bytes are read from its ``requests`` session. Twilio answers with a redirect to a
    signed storage URL; ``requests`` drops the Authorization header when it follows a
    redirect to another host, so the credentials stay with Twilio.
    """
    twilio_product(url)  # credentials only ever go to Twilio (or its local stand-in)
    if isinstance(http_client, SimulatorHttpClient):
        return http_client.fetch_media(url, auth)
    target = http_client.route(url) if isinstance(http_client, RoutingHttpClient) else url
    session = getattr(http_client, "session", None) or requests.Session()
    timeout = getattr(http_client, "timeout", None) or DEFAULT_TIMEOUT
    with session.get(target, auth=auth, timeout=timeout, allow_redirects=True, stream=True) as response:
        chunks, size = [], 0
        for chunk in response.iter_content(64 * 1024):
            size += len(chunk)
            if size > max_bytes:
                raise ValueError(f"the attachment is larger than {max_bytes // (1024 * 1024)} MB")
            chunks.append(chunk)
        return MediaDownload(response.status_code, b"".join(chunks),
                             response.headers.get("Content-Type", "application/octet-stream"))
