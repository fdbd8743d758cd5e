"""Production serving settings: gunicorn gthread, one worker, the Redis channel, bodies first."""
import threading
import time

import pytest
from click.testing import CliRunner

from host import config as config_module
from host import serving


def test_gunicorn_runs_one_threaded_worker_without_a_shared_control_socket():
    options = serving.gunicorn_options("0.0.0.0", 5001, threads=150)
    assert options["bind"] == "0.0.0.0:5001"
    assert (options["worker_class"], options["workers"], options["threads"]) == ("host.serving.SocketIOThreadWorker", 1, 150)
    assert options["preload_app"] is False  # the app and the outbox thread start in the worker
    assert options["control_socket_disable"] is True


def test_every_option_is_a_gunicorn_setting():
    from gunicorn.config import Config

    assert set(serving.gunicorn_options("127.0.0.1", 5000)) <= set(Config().settings)


def test_settings_are_read_from_the_environment_without_an_app(monkeypatch):
    monkeypatch.setenv("SWITCHBOARD_PORT", "5123")
    monkeypatch.delenv("SWITCHBOARD_HOST", raising=False)
    assert config_module.from_env("PORT") == 5123
    assert config_module.from_env("HOST") == "127.0.0.1"


def test_threads_without_production_is_refused():
    from host.cli import main

    result = CliRunner().invoke(main, ["serve", "--threads", "10"])
    assert result.exit_code != 0
    assert "--production" in result.output


@pytest.mark.redis
class TestRedisChannel:
    @pytest.fixture
    def switchboard_config(self, redis_url):
        return {"REDIS_URL": redis_url, "REDIS_CHANNEL": "switchboard-other-deployment"}

    def test_the_socketio_queue_uses_the_configured_channel(self, app):
        assert app.extensions["socketio"].server.manager.channel == "switchboard-other-deployment"


def test_request_limit_lets_n_requests_run_at_once_and_never_counts_socketio():
    import threading
    import time

    running, peak, lock = [0], [0], threading.Lock()
    release = threading.Event()

    def app(environ, start_response):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        release.wait(5)
        with lock:
            running[0] -= 1
        return [b"ok"]

    limited = serving.RequestLimit(app, 2)
    threads = [threading.Thread(target=limited, args=({"PATH_INFO": "/webhooks/x"}, None)) for _ in range(5)]
    threads += [threading.Thread(target=limited, args=({"PATH_INFO": "/socket.io/"}, None)) for _ in range(3)]
    for thread in threads:
        thread.start()
    time.sleep(0.3)
    assert running[0] == 2 + 3  # two requests, and every Socket.IO connection
    release.set()
    for thread in threads:
        thread.join(5)
    assert running[0] == 0 and peak[0] == 5


def test_the_production_app_reads_bodies_first_then_limits_active_requests(monkeypatch, tmp_path):
    monkeypatch.setenv("SWITCHBOARD_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SWITCHBOARD_MAX_ACTIVE_REQUESTS", "3")
    monkeypatch.setenv("SWITCHBOARD_REQUEST_BODY_TIMEOUT", "7.5")
    app = serving.production_app(outbox=False)
    outer = app.wsgi_app
    assert isinstance(outer, serving.ReadBodyFirst) and outer.watchdog.timeout == 7.5
    assert outer.max_bytes == app.config["MAX_CONTENT_LENGTH"]
    assert isinstance(outer.wsgi_app, serving.RequestLimit) and outer.wsgi_app.limit == 3
    monkeypatch.setenv("SWITCHBOARD_MAX_ACTIVE_REQUESTS", "0")
    outer = serving.production_app(outbox=False).wsgi_app
    assert isinstance(outer, serving.ReadBodyFirst) and not isinstance(outer.wsgi_app, serving.RequestLimit)


class SlowStream:
    """A ``wsgi.input`` whose client sends nothing until told to."""

    def __init__(self, data: bytes):
        self.data, self.go = data, threading.Event()

    def read(self, size=-1):
        self.go.wait(5)
        chunk, self.data = self.data[:size], self.data[size:]
        return chunk


def body_echo(environ, start_response):
    from werkzeug.wrappers import Request

    start_response("200 OK", [])
    return [Request(environ).get_data()]


def test_a_slow_body_waits_outside_the_request_limit():
    import io

    stack = serving.ReadBodyFirst(serving.RequestLimit(body_echo, 1), max_bytes=1024, timeout=10)
    slow = SlowStream(b"slow body")
    answers = {}

    def call(name, stream, length):
        environ = {"PATH_INFO": "/webhooks/x", "REQUEST_METHOD": "POST", "wsgi.input": stream,
                   "CONTENT_LENGTH": str(length)}
        answers[name] = b"".join(stack(environ, lambda status, headers: None))

    trickler = threading.Thread(target=call, args=("slow", slow, 9))
    trickler.start()
    time.sleep(0.1)
    fast = threading.Thread(target=call, args=("fast", io.BytesIO(b"fast body"), 9))
    fast.start()
    fast.join(2)
    assert answers == {"fast": b"fast body"}  # the only turn was free: the slow body is still arriving
    slow.go.set()
    trickler.join(2)
    assert answers["slow"] == b"slow body"


def test_a_chunked_body_reaches_the_app_with_its_length_and_an_oversized_one_is_refused():
    import io

    from flask import Flask, request

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 16

    @app.post("/echo")
    def echo():
        return {"length": request.content_length, "body": request.get_data(as_text=True)}

    stack = serving.ReadBodyFirst(app.wsgi_app, max_bytes=16, timeout=10)

    def post(stream, chunked: bool):
        from werkzeug.test import EnvironBuilder, run_wsgi_app

        body = stream.getvalue()
        environ = EnvironBuilder(path="/echo", method="POST").get_environ()
        environ["wsgi.input"] = stream
        if chunked:  # a server that decoded Transfer-Encoding: chunked hands the app the bare stream
            environ.pop("CONTENT_LENGTH", None)
            environ["HTTP_TRANSFER_ENCODING"] = "chunked"
            environ["wsgi.input_terminated"] = True
        else:
            environ["CONTENT_LENGTH"] = str(len(body))
        iterable, status, _ = run_wsgi_app(stack, environ, buffered=True)
        return status, b"".join(iterable)

    assert post(io.BytesIO(b"hello"), chunked=True) == ("200 OK", b'{"body":"hello","length":5}\n')
    assert post(io.BytesIO(b"x" * 17), chunked=True)[0].startswith("413")
    refused = io.BytesIO(b"x" * 17)
    assert post(refused, chunked=False)[0].startswith("413")
    assert refused.tell() == 0  # refused from its Content-Length, not read


def test_a_body_that_stops_arriving_is_answered_408(monkeypatch):
    import socket

    monkeypatch.setattr(serving.SlowBodyWatchdog, "TICK", 0.05)
    client, server_side = socket.socketpair()
    stack = serving.ReadBodyFirst(body_echo, max_bytes=1024, timeout=0.3)
    environ = {"PATH_INFO": "/webhooks/x", "REQUEST_METHOD": "POST", "CONTENT_LENGTH": "100",
               "wsgi.input": server_side.makefile("rb"), "gunicorn.socket": server_side}
    client.sendall(b"only part of it")
    statuses = []
    started = time.monotonic()
    answer = b"".join(stack(environ, lambda status, headers: statuses.append(status)))
    assert 0.3 <= time.monotonic() - started < 1.5
    assert statuses == ["408 Request Timeout"] and b"too slowly" in answer
    client.close()
    server_side.close()


def test_the_production_app_keeps_its_startup_objects_out_of_full_collections(monkeypatch, tmp_path):
    import gc

    monkeypatch.setenv("SWITCHBOARD_INSTANCE_PATH", str(tmp_path))
    gc.unfreeze()
    try:
        app = serving.production_app(outbox=False)
        # the app's own objects are among the frozen ones: full passes skip them
        assert gc.get_freeze_count() > 10_000
        assert gc.is_tracked(app.url_map) and not any(app.url_map is o for o in gc.get_objects(generation=2))
    finally:
        gc.unfreeze()
