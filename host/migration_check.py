"""Compare the models with what the migrations build (used by a test and the CLI)."""
from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from host.extensions import db
from host.search_ddl import RAW_COLUMNS, RAW_INDEXES, RAW_TABLES

HOST_VERSIONS = Path(__file__).resolve().parent.parent / "migrations" / "versions"
IGNORED_TABLES = {"alembic_version"}
# Tables made by raw DDL rather than models: SQLite's own, and search indexes a plugin's
# migration creates (a plugin's FTS5 shadow tables and PostgreSQL side tables).
IGNORED_PREFIXES = ("contacts_search", "contacts_fts", "contact_search", "sqlite_", *RAW_TABLES)
# Indexes made by raw DDL (expressions, orderings the models can't say on both databases).
IGNORED_INDEXES = set(RAW_INDEXES)


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
    if type_ == "index" and name in IGNORED_INDEXES:
        return False
    if type_ == "column" and name in RAW_COLUMNS and compare_to is None:
        return False
    return True
