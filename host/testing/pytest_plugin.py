"""Pytest fixtures for Switchboard and its plugins (entry point ``pytest11``).

* ``app`` — a fresh app on its own SQLite file, migrated, outbox worker off;
  configure with the ``switchboard_config`` and ``switchboard_plugins`` fixtures.
* ``admin``, ``agent`` — agents in a "Support" group; ``api(agent)`` a bearer-token
  client; ``signed_in(agent)`` a cookie-session client with CSRF handled.
* ``recorder`` — every notification the app dispatched.
* ``sql_statements`` — every SQL statement the app's engine runs (whitespace-folded,
  lower case): pin what a hot path costs, so an extra query fails a test.
* ``socket_client(agent)`` — a Socket.IO test client authenticated as that agent.
* ``live_server`` — the app served on a free port (for browser tests), with the
  outbox worker running; ``browser_page`` — a Playwright page in headless Chromium.
"""
from __future__ import annotations

import os
import shutil
import socket
import threading
from pathlib import Path

import pytest

from host.testing.recorder import EventRecorder

IN_CI = os.environ.get("CI", "").lower() == "true"


def skip_or_fail(reason: str):
    """Skip on a developer machine without the service; in CI, fail loudly instead."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: required here)")
    pytest.skip(reason)


@pytest.fixture
def switchboard_config():
    """Override in a conftest to add configuration keys."""
    return {}


@pytest.fixture
def switchboard_plugins():
    """Override to restrict entry-point plugins, a comma-separated string of names such as ``"my_plugin"``; None loads all."""
    return None


@pytest.fixture
def extra_plugins():
    """Override to register plugin objects: a list of ``(name, plugin)``."""
    return []


@pytest.fixture
def recorder():
    return EventRecorder()


@pytest.fixture
def sql_statements(app):
    from sqlalchemy import event

    from host.extensions import db

    seen: list[str] = []

    def record(conn, cursor, statement, params, context, executemany):
        seen.append(" ".join(statement.split()).lower())

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


_TEMPLATES: dict = {}


def _migrated_copy(app, target: Path):
    """Run the migrations once per plugin set, then copy the SQLite file per test."""
    import flask_migrate

    sb = app.extensions["switchboard"]
    key = tuple(sorted(f for _, f in sb.migration_folders))
    template = _TEMPLATES.get(key)
    if template is None:
        with app.app_context():
            flask_migrate.upgrade(revision="heads")
            from host.extensions import db
            db.engine.dispose()
        template = target.with_suffix(".template")
        shutil.copyfile(target, template)
        _TEMPLATES[key] = template
    else:
        shutil.copyfile(template, target)


@pytest.fixture
def app(tmp_path, switchboard_config, switchboard_plugins, extra_plugins, recorder):
    from host import create_app
    from host.extensions import db

    database = tmp_path / "switchboard.db"
    config = {
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": "test-secret-key-0123456789abcdef",
        "PUBLIC_URL": "http://switchboard.test",
        "OUTBOX_WORKER": False,
        # Each webhook's event is processed in its own request, after its commit, so a
        # test sees the result at once; tests of the inbox itself switch this off.
        "INBOX_SYNC": True,
        "LOGIN_RATE_LIMIT": "1000 per minute",
        # Tests check open connections themselves (host.realtime_access.check), so a
        # background task never moves rooms in the middle of one.
        "ACCESS_CHECK_SECONDS": 0,
        "TESTING": True,
        "PLUGINS": switchboard_plugins,
        "EXTRA_PLUGINS": [("test.recorder", recorder), *extra_plugins],
        **switchboard_config,
    }
    application = create_app(config)
    if str(config["DATABASE_URL"]).startswith("sqlite"):
        with application.app_context():
            db.engine.dispose()
        _migrated_copy(application, database)
    else:
        import flask_migrate
        with application.app_context():
            flask_migrate.upgrade(revision="heads")
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def make_agent(app):
    from host.extensions import db
    from host.models import Agent, Group

    def make(email, role="agent", groups=("Support",), password="correct-horse-battery", name=""):
        agent = Agent(email=email, role=role, name=name or email.split("@")[0].title())
        agent.set_password(password)
        db.session.add(agent)
        for group_name in groups:
            group = db.session.execute(db.select(Group).where(Group.name == group_name)).scalar_one_or_none()
            if group is None:
                group = Group(name=group_name, is_default=group_name == "Support")
            agent.groups.append(group)
        db.session.add(agent)
        db.session.commit()
        return agent

    return make


@pytest.fixture
def admin(make_agent):
    return make_agent("admin@example.test", role="admin", groups=("Support", "Sales"), name="Ada Admin")


@pytest.fixture
def agent(make_agent):
    return make_agent("agent@example.test", name="Sam Agent")


class ApiClient:
    """A test client that sends a bearer token with every request."""

    def __init__(self, app, token):
        self.client = app.test_client()
        self.headers = {"Authorization": f"Bearer {token}"}

    def __getattr__(self, method):
        def call(path, **kwargs):
            headers = {**self.headers, **kwargs.pop("headers", {})}
            return getattr(self.client, method)(path, headers=headers, **kwargs)
        return call


@pytest.fixture
def api(app):
    from host.api.agents import issue_token

    return lambda agent: ApiClient(app, issue_token(agent, "tests"))


@pytest.fixture
def signed_in(app):
    """A cookie-session client, signed in through the real form, CSRF header set."""
    import re

    def make(agent, password="correct-horse-battery", remember=False):
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        form = {"email": agent.email, "password": password, "csrf_token": token, **({"remember": "y"} if remember else {})}
        response = client.post("/login", data=form)
        assert response.status_code == 302, "sign-in failed"
        # Signing in starts a new CSRF secret: the sign-in form's token is void now.
        page = client.get("/profile").get_data(as_text=True)
        client.csrf_token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        return client

    return make


@pytest.fixture
def socket_client(app, signed_in):
    socketio = app.extensions["socketio"]
    clients = []

    def make(agent, **kwargs):
        client = socketio.test_client(app, flask_test_client=signed_in(agent), **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        if client.is_connected():
            client.disconnect()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_server(app):
    """Serve the app (HTTP + Socket.IO) on a free port in a thread; outbox worker on."""
    from werkzeug.serving import make_server

    port = free_port()
    app.config["SWITCHBOARD_PUBLIC_URL"] = f"http://127.0.0.1:{port}"
    socketio = app.extensions["socketio"]
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    outbox = app.extensions["switchboard"].outbox
    outbox.start(socketio.start_background_task)

    class Live:
        url = f"http://127.0.0.1:{port}"

    yield Live
    outbox.stop()
    server.shutdown()


CHROMIUM = os.environ.get("SWITCHBOARD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


LOCAL_URLS = ("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")


def blocked_page(chromium, init_script: str | None = None):
    """A page in a fresh context (its own cookies) that reaches nothing but this machine.

    ``page.js_errors`` collects uncaught errors; close ``page.context`` when done.
    """
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(LOCAL_URLS)
                  else route.abort())
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    return page


@pytest.fixture
def browser_page(chromium, live_server):
    """A fresh browser context; requests to anything but the live server are blocked."""
    page = blocked_page(chromium)
    yield page
    page.context.close()


def show_details_pane(page):
    """On a screen narrower than the three panes (< 1200 px), show the details pane the
    way an agent does: "Details" in the open chat's header. Wider screens show it anyway."""
    button = page.locator(".pane-chat .pane-to-details")
    if button.count() and button.is_visible():
        button.click()


def sign_in_page(page, base_url, email, password="correct-horse-battery"):
    page.goto(f"{base_url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/console**")


def choose_language(context, base_url, language):
    """The signed-in agent picks ``language`` on their profile, in another tab of ``context``."""
    from playwright.sync_api import expect

    profile = context.new_page()
    profile.goto(f"{base_url}/profile")
    profile.select_option("select[name=language]", language)
    profile.locator("#language button[type=submit]").click()
    expect(profile.locator("html")).to_have_attribute("lang", language)
    profile.close()


POSTGRES_URL = os.environ.get("SWITCHBOARD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("SWITCHBOARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def postgres_url():
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    base = make_url(POSTGRES_URL)
    try:
        # NullPool: a test may restart the server, so never reuse a connection.
        admin_engine = create_engine(base, isolation_level="AUTOCOMMIT", poolclass=NullPool,
                                     connect_args={"connect_timeout": 3})
        with admin_engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "not here"
        skip_or_fail(f"PostgreSQL is not reachable at {base.render_as_string(hide_password=True)}: "
                     f"{type(exc).__name__}")
    name = f"sb_test_{uuid.uuid4().hex[:12]}"
    with admin_engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin_engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin_engine.dispose()


@pytest.fixture
def redis_url():
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        skip_or_fail(f"Redis is not reachable at {REDIS_URL}: {type(exc).__name__}")
    return REDIS_URL
