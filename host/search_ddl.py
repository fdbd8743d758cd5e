"""The inbox search's indexes (see :mod:`host.search`), as DDL per database.

Kept apart from the migration so tests and the benchmark can read what it builds, and
so a future migration can rebuild the same statements.
"""
from __future__ import annotations

#: Tables and indexes made here, not by models (``host.migration_check`` skips them).
RAW_TABLES = ("messages_fts", "chats_fts", "chats_numbers")
RAW_COLUMNS = ("search_vector",)
RAW_INDEXES = ("ix_messages_search_vector", "ix_chats_customer_search", "ix_chats_address_trigram",
               "ix_chats_last_message_at")

# unicode61 folds case and accents; prefixes of 2-4 characters are indexed so a short
# last word ("re", "ref") streams in rowid order instead of merging every matching term.
_FTS_OPTIONS = "tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4'"
_CUSTOMER = "customer_name || ' ' || customer_address"


def _chats_add(row: str) -> str:
    return (f"INSERT INTO chats_fts (rowid, customer_name, customer_address) "
            f"VALUES ({row}.id, {row}.customer_name, {row}.customer_address); "
            f"INSERT INTO chats_numbers (rowid, customer_address) VALUES ({row}.id, {row}.customer_address);")


def _chats_remove(row: str) -> str:
    return (f"INSERT INTO chats_fts (chats_fts, rowid, customer_name, customer_address) "
            f"VALUES ('delete', {row}.id, {row}.customer_name, {row}.customer_address); "
            f"INSERT INTO chats_numbers (chats_numbers, rowid, customer_address) "
            f"VALUES ('delete', {row}.id, {row}.customer_address);")


def upgrade_ddl(dialect: str) -> list[str]:
    if dialect == "sqlite":
        return [
            f"CREATE VIRTUAL TABLE messages_fts USING fts5(body, content='messages', content_rowid='id', {_FTS_OPTIONS})",
            "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN "
            "INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body); END",
            "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN "
            "INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body); END",
            "CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN "
            "INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body); "
            "INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body); END",
            "INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')",
            f"CREATE VIRTUAL TABLE chats_fts USING fts5(customer_name, customer_address, content='chats', "
            f"content_rowid='id', {_FTS_OPTIONS})",
            # Trigrams of the number: digits typed anywhere in it ("555 01") are a substring match.
            "CREATE VIRTUAL TABLE chats_numbers USING fts5(customer_address, content='chats', content_rowid='id', "
            "tokenize = 'trigram')",
            "CREATE TRIGGER chats_fts_insert AFTER INSERT ON chats BEGIN "
            f"{_chats_add('new')} END",
            "CREATE TRIGGER chats_fts_delete AFTER DELETE ON chats BEGIN "
            f"{_chats_remove('old')} END",
            # Only when the customer changes: chats are updated on every message.
            "CREATE TRIGGER chats_fts_update AFTER UPDATE OF customer_name, customer_address ON chats BEGIN "
            f"{_chats_remove('old')} {_chats_add('new')} END",
            "INSERT INTO chats_fts (chats_fts) VALUES ('rebuild')",
            "INSERT INTO chats_numbers (chats_numbers) VALUES ('rebuild')",
            "CREATE INDEX ix_chats_last_message_at ON chats (last_message_at)",
        ]
    if dialect == "postgresql":
        return [
            # Stored, not an expression index: a walk of the newest messages checks each
            # row's vector, and computing to_tsvector there costs ~5 us a row.
            "ALTER TABLE messages ADD COLUMN search_vector tsvector "
            "GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED",
            "CREATE INDEX ix_messages_search_vector ON messages USING gin (search_vector)",
            f"CREATE INDEX ix_chats_customer_search ON chats USING gin (to_tsvector('simple', {_CUSTOMER}))",
            # pg_trgm is a trusted extension: the database's owner may create it.
            "CREATE EXTENSION IF NOT EXISTS pg_trgm",
            "CREATE INDEX ix_chats_address_trigram ON chats USING gin (customer_address gin_trgm_ops)",
            "CREATE INDEX ix_chats_last_message_at ON chats (last_message_at DESC NULLS LAST, id DESC)",
        ]
    return []


def downgrade_ddl(dialect: str) -> list[str]:
    if dialect == "sqlite":
        triggers = [f"DROP TRIGGER IF EXISTS {t}_{e}" for t in RAW_TABLES[:2] for e in ("insert", "delete", "update")]
        return triggers + [f"DROP TABLE IF EXISTS {t}" for t in RAW_TABLES] + [
            "DROP INDEX IF EXISTS ix_chats_last_message_at"]
    if dialect == "postgresql":
        return [f"DROP INDEX IF EXISTS {name}" for name in RAW_INDEXES] + [
            "ALTER TABLE messages DROP COLUMN IF EXISTS search_vector"]
    return []
