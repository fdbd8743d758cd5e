"""Walk every route: without authentication it answers 401 (API) or sends to sign-in."""
import re

import pytest
from werkzeug.routing.converters import NumberConverter

PUBLIC_PREFIXES = ("/webhooks/", "/login/", "/media/")
PUBLIC_RULES = {"/login", "/healthz", "/favicon.ico"}


def concrete(rule) -> str:
    url = rule.rule
    for name, converter in rule._converters.items():
        sample = "1" if isinstance(converter, NumberConverter) else "x.js"
        url = re.sub(r"<(?:[^:<>]+:)?%s>" % re.escape(name), sample, url)
    return url


def all_routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def is_static(rule) -> bool:
    return rule.endpoint == "static" or rule.endpoint.endswith(".static")


def test_every_private_route_refuses_anonymous_callers(app):
    client = app.test_client()
    checked = 0
    for rule, method in all_routes(app):
        url = concrete(rule)
        if rule.rule in PUBLIC_RULES or rule.rule.startswith(PUBLIC_PREFIXES) or is_static(rule):
            continue
        response = client.open(url, method=method, json={} if method != "GET" else None)
        if url.startswith("/api/"):
            assert response.status_code == 401, (method, url, response.status_code)
            assert "Sign in" in response.json["message"]
        else:
            assert response.status_code == 302, (method, url, response.status_code)
            assert "/login" in response.headers["Location"]
        checked += 1
    assert checked > 30  # the walk really covered the app


def test_public_routes_are_only_login_health_webhooks_and_assets(app):
    public = {r.rule for r, _ in all_routes(app)
              if r.rule in PUBLIC_RULES or r.rule.startswith(PUBLIC_PREFIXES) or is_static(r)}
    unexpected = {p for p in public if not (p in PUBLIC_RULES or p.startswith(PUBLIC_PREFIXES)
                                            or "/static/" in p)}
    assert unexpected == set()


def test_webhooks_without_a_signature_are_refused(app):
    client = app.test_client()
    for rule, method in all_routes(app):
        if rule.rule.startswith("/webhooks/") and method == "POST":
            # well-formed but unsigned (a body that isn't even JSON may be refused as such, 400)
            response = client.post(concrete(rule), json={"Body": "x"})
            assert response.status_code in (401, 403), (rule.rule, response.status_code)


@pytest.mark.parametrize("path", ["/healthz", "/login"])
def test_public_pages_answer_without_sign_in(app, path):
    assert app.test_client().get(path).status_code == 200


def test_openapi_document_lists_the_core_api(app, admin, api):
    spec = api(admin).get("/api/v1/openapi.json").json
    for path in ("/api/v1/chats", "/api/v1/chats/{chat_id}/messages", "/api/v1/agents", "/api/v1/groups",
                 "/api/v1/plugins", "/api/v1/channels", "/api/v1/widget/tabs"):
        assert path in spec["paths"], path
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
