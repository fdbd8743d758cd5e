"""Production serving settings: HTTP on gunicorn gthread with a few threads, realtime on gevent,
one worker each, the Redis channel, bodies first."""
import threading
import time

import pytest
from click.testing import CliRunner

from host import config as config_module
from host import serving


def test_http_runs_one_gthread_worker_with_a_few_threads_without_a_shared_control_socket():
    options = serving.gunicorn_options("0.0.0.0", 5001)
    assert options["bind"] == "0.0.0.0:5001"
    assert (options["worker_class"], options["workers"], options["threads"]) == ("gthread", 1, 8)
    assert serving.gunicorn_options("0.0.0.0", 5001, threads=3)["threads"] == 3
    assert options["preload_app"] is False  # the app and the outbox thread start in the worker
    assert options["control_socket_disable"] is True


def test_realtime_runs_one_gevent_worker_with_room_for_thousands_of_connections():
    from gunicorn.workers.ggevent import GeventWorker

    from host import realtime_server

    options = realtime_server.gunicorn_options("127.0.0.1", 5002)
    assert (options["worker_class"], options["workers"]) == ("host.realtime_server.RealtimeWorker", 1)
    assert issubclass(realtime_server.RealtimeWorker, GeventWorker)
    assert options["worker_connections"] == 10000
    assert options["preload_app"] is False  # the app is imported after gevent patched the worker


def test_every_option_is_a_gunicorn_setting():
    from gunicorn.config import Config

    from host import realtime_server

    assert set(serving.gunicorn_options("127.0.0.1", 5000)) <= set(Config().settings)
    assert set(realtime_server.gunicorn_options("127.0.0.1", 5000)) <= set(Config().settings)


@pytest.mark.parametrize("command", [["serve", "--production"], ["realtime"]])
def test_production_commands_without_redis_are_refused_with_a_sentence(command, monkeypatch):
    from host.cli import main

    monkeypatch.delenv("SWITCHBOARD_REDIS_URL", raising=False)
    result = CliRunner().invoke(main, [*command, "--port", "5399"])
    assert result.exit_code != 0
    assert "needs SWITCHBOARD_REDIS_URL" in result.output


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
        assert app.extensions["socketio"].server.manager.write_only is False  # serves connections: listens

    def test_http_processes_publish_to_the_channel_and_never_listen(self, redis_url, monkeypatch, tmp_path):
        monkeypatch.setenv("SWITCHBOARD_INSTANCE_PATH", str(tmp_path))
        monkeypatch.setenv("SWITCHBOARD_REDIS_URL", redis_url)
        monkeypatch.setenv("SWITCHBOARD_REDIS_CHANNEL", "switchboard-http")
        manager = serving.production_app(outbox=False).extensions["socketio"].server.manager
        assert (manager.channel, manager.write_only) == ("switchboard-http", True)


def test_the_production_app_refuses_realtime_connections_and_reads_bodies_first(monkeypatch, tmp_path):
    monkeypatch.setenv("SWITCHBOARD_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SWITCHBOARD_REQUEST_BODY_TIMEOUT", "7.5")
    app = serving.production_app(outbox=False)
    outer = app.wsgi_app
    assert isinstance(outer, serving.RealtimeElsewhere)
    bodies = outer.wsgi_app
    assert isinstance(bodies, serving.ReadBodyFirst) and bodies.watchdog.timeout == 7.5
    assert bodies.max_bytes == app.config["MAX_CONTENT_LENGTH"]
    client = app.test_client()
    answer = client.get("/socket.io/?EIO=4&transport=polling")
    assert answer.status_code == 404
    assert answer.json["message"].startswith("Realtime connections are served by the switchboard realtime")
    assert client.get("/login").status_code == 200  # everything else is the app's


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
