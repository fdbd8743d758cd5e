"""Provider webhooks: the blueprints a provider calls, declared as such.

A plugin declares the blueprint that receives its provider's webhooks with
:func:`provider_webhooks`, giving the body limits its provider's requests fit in. Such a
request is authenticated by the provider's signature, which its view checks; it never
carries a signed-in agent, a sign-in form or anything a person typed. So the host spends
on it only what it needs:

* its body limits are applied first, before anything reads the body
  (:func:`host.request_bodies.limit_body`);
* it is public to the sign-in guard (its path is under :data:`WEBHOOK_PREFIX`, see
  :mod:`host.auth`), so no agent is loaded for it;
* it opens no cookie session (:class:`CookieSessions`): a provider sends no session
  cookie, so reading one, building its signer and writing nothing back would be work
  for nothing;
* the sign-in rate limit (:mod:`host.login_limit`) does not look at it: no limit applies to
  a webhook, and resolving that per request cost a fair share of an acknowledgement.

The view then checks the signature, records the event (:func:`host.inbox.record`, one
INSERT on a connection of its own) and answers.
"""
from __future__ import annotations

from flask import Blueprint, current_app, request
from flask.sessions import SecureCookieSessionInterface

from host.request_bodies import limit_body

_ATTRIBUTE = "switchboard_provider_webhooks"
WEBHOOK_PREFIX = "/webhooks/"  # where providers' webhooks are served (every route there is declared)


def provider_webhooks(blueprint: Blueprint, *, max_bytes: int, max_fields: int | None = None) -> Blueprint:
    """Declare ``blueprint`` as the one a provider calls with its webhooks, with its body
    limits (:func:`host.request_bodies.limit_body`). Returns the blueprint."""
    setattr(blueprint, _ATTRIBUTE, True)
    return limit_body(blueprint, max_bytes=max_bytes, max_fields=max_fields)


def is_webhook_request() -> bool:
    """Whether the current request goes to a declared webhook blueprint."""
    name = request.blueprint
    if not name:
        return False
    return getattr(current_app.blueprints.get(name.split(".")[0]), _ATTRIBUTE, False)


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed cookie sessions, except for requests under :data:`WEBHOOK_PREFIX`:
    those get Flask's null session (read-only and empty, never saved).

    Flask opens the session before it matches the URL, so the request's blueprint is not
    known yet; the path is what the sign-in guard goes by too, and every route under it
    belongs to a declared webhook blueprint (``tests/host/test_provider_webhooks.py``).
    """

    def open_session(self, app, request):
        if request.path.startswith(WEBHOOK_PREFIX):
            return None  # Flask then makes its null session
        return super().open_session(app, request)


def install(app) -> None:
    """Leave webhook requests out of the rate limiter and the cookie session (``create_app``,
    after :func:`host.login_limit.install`)."""
    app.extensions["switchboard"].limiter.request_filter(is_webhook_request)
    app.session_interface = CookieSessions()
