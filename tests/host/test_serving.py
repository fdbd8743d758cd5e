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
