"""Database listeners belong to the app that registered them, on its own engines."""
from sqlalchemy import create_engine, event

from host import create_app, db_connections, hookimpl, sqlite_writes
from host.contracts import SessionListener
from host.db_listeners import sqlite_pragmas
from host.extensions import db
from host.models import Group


class FlushRecorder:
    def __init__(self):
        self.flushes = 0

    def count(self, session, flush_context, instances):
        self.flushes += 1

    @hookimpl
    def register_session_listeners(self, app):
        return [SessionListener("before_flush", self.count)]


def _app(tmp_path, name, *plugins):
    app = create_app({"INSTANCE_PATH": str(tmp_path / name), "SECRET_KEY": "k" * 32,
                      "DATABASE_URL": f"sqlite:///{tmp_path / name}.db", "PLUGINS": "",
                      "EXTRA_PLUGINS": list(plugins)})
    with app.app_context():
        db.create_all()
    return app


def _add_group(app, name):
    with app.app_context():
        db.session.add(Group(name=name))
        db.session.commit()


def test_two_apps_in_one_process_do_not_share_session_listeners(tmp_path):
    recorder = FlushRecorder()
    first = _app(tmp_path, "first", ("recorder", recorder))
    second = _app(tmp_path, "second")
    _add_group(second, "Night shift")
    assert recorder.flushes == 0
    _add_group(first, "Day shift")
    assert recorder.flushes == 1


def test_engine_listeners_are_on_the_apps_engines_only(tmp_path):
    app = _app(tmp_path, "only")
    with app.app_context():
        engine = db.engine
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    outside = create_engine(f"sqlite:///{tmp_path / 'outside.db'}")
    for target, listener in ((engine, sqlite_pragmas), (engine, db_connections._checked_out),
                             (engine, sqlite_writes._before_write)):
        name = {sqlite_pragmas: "connect", db_connections._checked_out: "checkout",
                sqlite_writes._before_write: "before_cursor_execute"}[listener]
        assert event.contains(target, name, listener)
        assert not event.contains(outside, name, listener)
    with outside.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 0
    outside.dispose()
