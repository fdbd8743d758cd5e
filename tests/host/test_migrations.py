"""Migrations build exactly the models, on SQLite and on PostgreSQL."""
import flask_migrate
import pytest
from sqlalchemy import inspect

from host import create_app
from host.extensions import db
from host.migration_check import differences


def migrated_app(url, tmp_path):
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(tmp_path / "inst"), "SECRET_KEY": "k" * 32})
    with app.app_context():
        flask_migrate.upgrade(revision="heads")
    return app


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'm.db'}"
    return request.getfixturevalue("postgres_url")


def test_upgrade_builds_every_table_and_matches_the_models(database_url, tmp_path):
    app = migrated_app(database_url, tmp_path)
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
        assert {"agents", "groups", "chats", "messages", "outbox", "transfers", "calls", "api_tokens",
                "plugin_states", "settings", "chat_reads", "alembic_version"} <= tables
        assert differences() == []
        db.engine.dispose()


def test_each_plugin_branch_has_its_own_head(database_url, tmp_path):
    app = migrated_app(database_url, tmp_path)
    with app.app_context():
        from alembic.script import ScriptDirectory

        config = app.extensions["migrate"].migrate.get_config()
        script = ScriptDirectory.from_config(config)
        labels = {label for rev in script.get_revisions("heads") for label in (rev.branch_labels or ())}
        labels |= {label for rev in script.walk_revisions() for label in (rev.branch_labels or ())}
        assert "host" in labels
        db.engine.dispose()


def test_drift_is_detected(tmp_path):
    """The drift check is real: a column the migrations don't know shows up."""
    app = migrated_app(f"sqlite:///{tmp_path / 'd.db'}", tmp_path)
    with app.app_context():
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE agents ADD COLUMN nickname VARCHAR(20)")
        assert any("nickname" in line for line in differences())
        db.engine.dispose()


def test_cli_upgrade_is_idempotent(tmp_path):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}", "INSTANCE_PATH": str(tmp_path / "i"),
                      "SECRET_KEY": "k" * 32})
    from host.cli import main

    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(main, ["db", "upgrade"])
        assert result.exit_code == 0, result.output
        assert "up to date" in result.output
    assert runner.invoke(main, ["db", "check"]).exit_code == 0


def test_every_registered_migration_folder_is_a_labelled_branch(app):
    """Plugins announce revision folders via "register_migration_folders"; each is its own branch."""
    from alembic.script import ScriptDirectory

    sb = app.extensions["switchboard"]
    owners = {owner for owner, _ in sb.plugins.collect("register_migration_folders", app=app)}
    config = app.extensions["migrate"].migrate.get_config()
    script = ScriptDirectory.from_config(config)
    labels = {label for rev in script.walk_revisions() for label in (rev.branch_labels or ())}
    assert owners <= labels, f"plugins without a labelled branch: {owners - labels}"
    for label in owners | {"host"}:
        assert script.get_revision(f"{label}@head") is not None, label
