"""contact search: vector tokens for one- and two-character word prefixes

PostgreSQL only. The search vector gains '~' plus the first one and two characters of
each word token (see ``plugins.contacts.search``), so a short query word is one exact
GIN entry instead of a merge of every word it starts. The vector is now computed by the
``contact_search_vector`` function, which the sync trigger calls; existing rows are
re-indexed (the side table is emptied and refilled, then its GIN index rebuilt once).

Revision ID: 0002_contacts
Revises: 0001_contacts
Create Date: 2026-11-25 21:05:00

"""
from alembic import op

from plugins.contacts.search import PG_TABLE, rebuild_vectors_ddl, search_ddl


revision = '0002_contacts'
down_revision = '0001_contacts'
branch_labels = None
depends_on = None

# The vector and trigger function as 0001_contacts created them.
_OLD_SYNC = (
    f"CREATE OR REPLACE FUNCTION {PG_TABLE}_sync() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN INSERT INTO {PG_TABLE} (contact_id, search_vector) VALUES (NEW.id, "
    "array_to_tsvector(string_to_array(NEW.search_text, ' '))) ON CONFLICT (contact_id) DO "
    "UPDATE SET search_vector = EXCLUDED.search_vector; RETURN NULL; END $$")
_OLD_REBUILD = [
    f"DROP INDEX IF EXISTS ix_{PG_TABLE}_search_vector",
    f"INSERT INTO {PG_TABLE} (contact_id, search_vector) "
    "SELECT id, array_to_tsvector(string_to_array(search_text, ' ')) FROM contacts",
    f"CREATE INDEX IF NOT EXISTS ix_{PG_TABLE}_search_vector ON {PG_TABLE} "
    "USING gin (search_vector) WITH (fastupdate = off)",
    f"ANALYZE {PG_TABLE}",
]


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in search_ddl("postgresql"):
        op.execute(statement)
    # Emptied first: refilling by upsert would leave the table twice its size. The start
    # tokens (created by today's search_ddl) are filled once, by 0003_contacts.
    op.execute(f"TRUNCATE {PG_TABLE}")
    for statement in rebuild_vectors_ddl():
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_OLD_SYNC)
    op.execute(f"DROP FUNCTION IF EXISTS {PG_TABLE}_vector(text)")
    op.execute(f"TRUNCATE {PG_TABLE}")
    for statement in _OLD_REBUILD:
        op.execute(statement)
