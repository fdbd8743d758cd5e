"""Is this URL safe to show to agents and hand to a provider? Only a public https one is.

A URL that arrives from outside (a LiveChat file event, for instance) ends up in an
agent's browser (an ``<img src>`` or a link) and in Twilio's ``MediaUrl``, which Twilio
fetches. :func:`public_https_url` accepts it only when it is well formed, ``https`` on
the default port, carries no credentials and names a public host: a global IP address,
or a DNS name under a real top-level domain — not ``localhost``, not a private or
link-local address (``10.…``, ``169.254.169.254`` …), not a single-label or
``.internal``/``.local`` name, not a number spelled as a host name. The check is on the
text alone (no DNS lookup): fast enough for a webhook, and the same answer every time.
"""
from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

MAX_LENGTH = 2048
# Names that never reach the public internet (RFC 6761, RFC 6762, RFC 8375 and the
# private-use names of common intranets).
PRIVATE_SUFFIXES = ("localhost", "local", "localdomain", "internal", "intranet", "lan", "home", "corp",
                    "home.arpa", "test", "example", "invalid", "onion")


def public_https_url(url) -> str:
    """``url`` unchanged when it is a public https URL; otherwise ``ValueError`` saying why."""
    if not isinstance(url, str) or not url:
        raise ValueError("there is no address")
    if len(url) > MAX_LENGTH:
        raise ValueError(f"the address is longer than {MAX_LENGTH} characters")
    if not url.isprintable() or any(c.isspace() for c in url):
        raise ValueError("the address contains spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValueError("the address is not a well-formed URL") from None
    if parts.scheme.lower() != "https":
        raise ValueError("only https addresses are accepted")
    if "@" in parts.netloc:
        raise ValueError("the address carries a user name or password")
    if port not in (None, 443):
        raise ValueError("only the standard https port is accepted")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise ValueError("the address names no host")
    _check_host(host)
    return url


def _check_host(host: str) -> None:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None:
        if not address.is_global:
            raise ValueError(f"{host} is not a public address")
        return
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise ValueError(f"{host!r} is not a valid host name") from None
    labels = ascii_host.split(".")
    if len(labels) < 2 or any(not label or len(label) > 63 for label in labels):
        raise ValueError(f"{host} is not a public host name")
    top = labels[-1]
    if not (top.isalpha() or top.startswith("xn--")):  # 2130706433, 0x7f.1, 127.1 …
        raise ValueError(f"{host} is not a public host name")
    if any(ascii_host == suffix or ascii_host.endswith("." + suffix) for suffix in PRIVATE_SUFFIXES):
        raise ValueError(f"{host} is not a public host name")
