"""Send the twilio client's requests to local servers instead of ``*.twilio.com``.

Tests, the offline demo and the Twilio simulator all use the real ``twilio.rest.Client``
with this HTTP client plugged into its documented ``http_client=`` extension point.
Each product host (``api.twilio.com``, ``content.twilio.com``, …) is mapped to a base
URL; any other host is refused, so a misconfigured test can never reach Twilio. The
client's ``edge``/``region`` options and ``base_url`` overrides are not used because
they either produce other ``twilio.com`` names or leak through absolute next-page links.
"""
from __future__ import annotations

import re
from typing import Dict, Mapping, Optional, Tuple
from urllib.parse import urlsplit, urlunsplit

from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response

DEFAULT_TIMEOUT = 10.0  # seconds; Twilio's own client has no timeout unless given one

_PRODUCT = re.compile(r"^[a-z][a-z0-9-]*$")
_TWILIO_SUFFIX = ".twilio.com"


class UnroutedHostError(TwilioException):
    """A request went to a host that has no configured local base URL.

    Deliberately not a ``requests`` error: callers that retry transport failures must
    not retry a configuration mistake.
    """


def parse_hosts(value: str) -> Dict[str, str]:
    """Parse ``api=http://127.0.0.1:4010,content=http://127.0.0.1:4011``.

    Keys are Twilio product names (the first label of ``<product>.twilio.com``);
    values are ``http(s)://host[:port][/prefix]`` base URLs. Raises ``ValueError`` with
    a message naming the offending entry.
    """
    hosts: Dict[str, str] = {}
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
                 extra_headers: Optional[Mapping[str, str]] = None, **kwargs):
        if not hosts:
            raise ValueError("RoutingHttpClient needs at least one product host")
        super().__init__(timeout=timeout, **kwargs)
        self.hosts = {_product_key(k): _checked_base_url(k, v) for k, v in hosts.items()}
        self.extra_headers = dict(extra_headers or {})

    def route(self, url: str) -> str:
        """Return the local URL for a Twilio URL, or raise :class:`UnroutedHostError`."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        product = host[: -len(_TWILIO_SUFFIX)] if host.endswith(_TWILIO_SUFFIX) else None
        base = self.hosts.get(product) if product else None
        if parts.scheme != "https" or base is None or parts.port is not None:
            raise UnroutedHostError(
                f"refusing to send a request to {parts.scheme}://{parts.netloc}: no local "
                f"base URL is configured for it (configured: {sorted(self.hosts)})")
        target = urlsplit(base)
        return urlunsplit((target.scheme, target.netloc, target.path + parts.path,
                           parts.query, ""))

    def request(self, method: str, url: str, params: Optional[Dict[str, object]] = None,
                data: Optional[Dict[str, object]] = None,
                headers: Optional[Dict[str, str]] = None,
                auth: Optional[Tuple[str, str]] = None, timeout: Optional[float] = None,
                allow_redirects: bool = False) -> Response:
        routed = self.route(url)
        merged = {**(headers or {}), **self.extra_headers}
        return super().request(method, routed, params=params, data=data, headers=merged,
                               auth=auth, timeout=timeout, allow_redirects=allow_redirects)
