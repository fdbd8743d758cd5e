"""Production serving settings: gunicorn gthread, one worker, the Redis channel."""
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


def test_the_production_app_limits_active_requests(monkeypatch, tmp_path):
    monkeypatch.setenv("SWITCHBOARD_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SWITCHBOARD_MAX_ACTIVE_REQUESTS", "3")
    app = serving.production_app(outbox=False)
    assert isinstance(app.wsgi_app, serving.RequestLimit) and app.wsgi_app.limit == 3
    monkeypatch.setenv("SWITCHBOARD_MAX_ACTIVE_REQUESTS", "0")
    assert not isinstance(serving.production_app(outbox=False).wsgi_app, serving.RequestLimit)


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
