"""Security headers on every response.

* ``Content-Security-Policy``: scripts only from our own origin (the esbuild bundles
  and plugins' static files; no inline script, no ``eval``), no plugins (``object``),
  no ``<base>`` or form posts elsewhere, and framing only by ourselves
  (``SWITCHBOARD_FRAME_ANCESTORS``). A plugin whose page is framed elsewhere (the
  LiveChat widget) sets its own ``frame-ancestors`` with :func:`content_security_policy`.
  Data for the page travels in ``<script type="application/json">`` blocks, which
  browsers never run.
* ``Strict-Transport-Security`` when ``SWITCHBOARD_PUBLIC_URL`` is https: browsers then
  refuse plain http to this host for a year (subdomains are left alone).
* ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: same-origin``.

Responses that set their own policy (attachments served with ``sandbox``) keep it.
"""
from __future__ import annotations

HSTS = "max-age=31536000"


def content_security_policy(frame_ancestors: str) -> str:
    return "; ".join((
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        f"frame-ancestors {frame_ancestors}",
    ))


def install(app) -> None:
    policy = content_security_policy(app.config["SWITCHBOARD_FRAME_ANCESTORS"])
    https = app.config["SWITCHBOARD_PUBLIC_URL"].startswith("https://")

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Content-Security-Policy", policy)
        if https:
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response
