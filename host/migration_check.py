"""Compare the models with what the migrations build (used by a test and the CLI)."""
from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from host.extensions import db

HOST_VERSIONS = Path(__file__).resolve().parent.parent / "migrations" / "versions"
IGNORED_TABLES = {"alembic_version"}
# Tables made by raw DDL rather than models: SQLite's own, and search indexes a plugin's
# migration creates (the contacts plugin's FTS5 shadow tables and PostgreSQL side table).
IGNORED_PREFIXES = ("contacts_search", "contacts_fts", "contact_search", "sqlite_")


def differences() -> list[str]:
    """Autogenerate's view of model ↔ database differences, after migrations ran."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True,
            "include_object": _include,
        })
        diff = compare_metadata(context, db.metadata)
    return [repr(item) for item in diff]


def _include(obj, name, type_, reflected, compare_to):
    if type_ == "table" and (name in IGNORED_TABLES or name.startswith(IGNORED_PREFIXES)):
        return False
    return True
