"""The inbox search's indexes (see :mod:`host.search`), as DDL per database.

Kept apart from the migration so tests and the benchmark can read what it builds, and
so a future migration can rebuild the same statements.
"""
from __future__ import annotations

#: Tables and indexes made here, not by models (``host.migration_check`` skips them).
RAW_TABLES = ("messages_fts", "chats_fts", "chats_numbers", "message_search")
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
        triggers = [f"DROP TRIGGER IF EXISTS {t}_{e}" for t in ("messages_fts", "chats_fts") for e in ("insert", "delete", "update")]
        return triggers + [f"DROP TABLE IF EXISTS {t}" for t in RAW_TABLES[:3]] + [
            "DROP INDEX IF EXISTS ix_chats_last_message_at"]
    if dialect == "postgresql":
        return [f"DROP INDEX IF EXISTS {name}" for name in RAW_INDEXES] + [
            "ALTER TABLE messages DROP COLUMN IF EXISTS search_vector"]
    return []


# --- PostgreSQL: the narrow search table (migration 0010_host) -------------------------------
#
# A search for a common word, or a short prefix, narrowed to a status walks the newest
# messages until a page matches: a few thousand rows. Reading each message and then its
# chat for the visibility rule and the filters cost ~70 ms of work per search on a million
# messages. ``message_search`` holds, per message, only what that walk checks: the chat's
# status, channel, group and agent, copied from the chat, and the text's vector. The walk
# reads one narrow row per message (no chat lookup), and a status narrows it to that
# status's rows through ``(status, message_id)``. Triggers keep it in step in the writer's
# own transaction: a message stored or edited, a chat's status, channel, group or agent
# changed. SQLite's FTS5 table answers the same search and needs none of this.

SEARCH_TABLE = "message_search"
#: The chat's columns copied onto each of its messages' rows.
CHAT_COPIES = ("status", "channel", "group_id", "agent_id")
_COPIES = ", ".join(CHAT_COPIES)
_VECTOR = "to_tsvector('simple', coalesce({row}.body, ''))"


def search_table_ddl() -> list[str]:
    """Creates and fills ``message_search`` (PostgreSQL), replacing ``messages.search_vector``."""
    chat_changed = " OR ".join(f"old.{c} IS DISTINCT FROM new.{c}" for c in CHAT_COPIES)
    return [
        f"CREATE TABLE {SEARCH_TABLE} ("
        "message_id integer PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE, "
        "chat_id integer NOT NULL, status varchar(10) NOT NULL, channel varchar(40) NOT NULL, "
        "group_id integer, agent_id integer, search_vector tsvector NOT NULL)",
        # One statement per insert statement: a batch of messages (chats.receive_many) is
        # copied with one join to its chats.
        "CREATE FUNCTION message_search_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"INSERT INTO {SEARCH_TABLE} (message_id, chat_id, {_COPIES}, search_vector) "
        f"SELECT m.id, m.chat_id, c.status, c.channel, c.group_id, c.agent_id, {_VECTOR.format(row='m')} "
        "FROM new_messages m JOIN chats c ON c.id = m.chat_id; RETURN NULL; END $$",
        "CREATE TRIGGER message_search_insert AFTER INSERT ON messages REFERENCING NEW TABLE AS new_messages "
        "FOR EACH STATEMENT EXECUTE FUNCTION message_search_insert()",
        "CREATE FUNCTION message_search_message_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"UPDATE {SEARCH_TABLE} s SET chat_id = new.chat_id, status = c.status, channel = c.channel, "
        f"group_id = c.group_id, agent_id = c.agent_id, search_vector = {_VECTOR.format(row='new')} "
        "FROM chats c WHERE c.id = new.chat_id AND s.message_id = new.id; RETURN NULL; END $$",
        "CREATE TRIGGER message_search_message_update AFTER UPDATE OF body, chat_id ON messages FOR EACH ROW "
        "WHEN (old.body IS DISTINCT FROM new.body OR old.chat_id IS DISTINCT FROM new.chat_id) "
        "EXECUTE FUNCTION message_search_message_update()",
        # Chats are updated on every message (last_message_at): only a change of a copied
        # column rewrites the chat's rows.
        "CREATE FUNCTION message_search_chat_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"UPDATE {SEARCH_TABLE} SET status = new.status, channel = new.channel, group_id = new.group_id, "
        "agent_id = new.agent_id WHERE chat_id = new.id; RETURN NULL; END $$",
        f"CREATE TRIGGER message_search_chat_update AFTER UPDATE OF {_COPIES} ON chats FOR EACH ROW "
        f"WHEN ({chat_changed}) EXECUTE FUNCTION message_search_chat_update()",
        f"INSERT INTO {SEARCH_TABLE} (message_id, chat_id, {_COPIES}, search_vector) "
        f"SELECT m.id, m.chat_id, c.status, c.channel, c.group_id, c.agent_id, {_VECTOR.format(row='m')} "
        "FROM messages m JOIN chats c ON c.id = m.chat_id",
        f"CREATE INDEX ix_{SEARCH_TABLE}_chat_id ON {SEARCH_TABLE} (chat_id)",
        f"CREATE INDEX ix_{SEARCH_TABLE}_status_message_id ON {SEARCH_TABLE} (status, message_id)",
        f"CREATE INDEX ix_{SEARCH_TABLE}_vector ON {SEARCH_TABLE} USING gin (search_vector)",
        f"ANALYZE {SEARCH_TABLE}",
        "DROP INDEX IF EXISTS ix_messages_search_vector",
        "ALTER TABLE messages DROP COLUMN IF EXISTS search_vector",
    ]


def drop_search_table_ddl() -> list[str]:
    """Undoes :func:`search_table_ddl`: the generated column and its index come back."""
    return [
        "DROP TRIGGER IF EXISTS message_search_insert ON messages",
        "DROP TRIGGER IF EXISTS message_search_message_update ON messages",
        "DROP TRIGGER IF EXISTS message_search_chat_update ON chats",
        f"DROP TABLE IF EXISTS {SEARCH_TABLE}",
        "DROP FUNCTION IF EXISTS message_search_insert()",
        "DROP FUNCTION IF EXISTS message_search_message_update()",
        "DROP FUNCTION IF EXISTS message_search_chat_update()",
        "ALTER TABLE messages ADD COLUMN search_vector tsvector "
        "GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED",
        "CREATE INDEX ix_messages_search_vector ON messages USING gin (search_vector)",
    ]


# --- PostgreSQL: message_search's GIN index written through (migration 0011_host) -----------
#
# By default GIN gathers new entries in a pending list that every search reads in full
# until VACUUM (or the inserting transaction that passes gin_pending_list_limit) merges it
# into the index. message_search is written on every message and on every change of a
# chat's status, channel, group or agent (each of the chat's rows gets a new version), so
# on a live install that list is seldom empty: after 1,200 messages and 300 status changes
# on a million messages it held 114 pages and the searches took 13% more server time
# (rare words twice as much). Written through, a stored message costs about 15% more
# server time and a chat's status change about twice as much (1.0 → 1.9 ms for a chat of
# ten messages), and every search reads only the index.

def gin_write_through_ddl() -> list[str]:
    """``fastupdate`` off for message_search's GIN index, and its pending list merged now,
    so no search reads it again."""
    return [f"ALTER INDEX ix_{SEARCH_TABLE}_vector SET (fastupdate = off)",
            f"SELECT gin_clean_pending_list('ix_{SEARCH_TABLE}_vector'::regclass)"]


def gin_pending_list_ddl() -> list[str]:
    """Undoes :func:`gin_write_through_ddl`: GIN's default (a pending list) again."""
    return [f"ALTER INDEX ix_{SEARCH_TABLE}_vector RESET (fastupdate)"]
