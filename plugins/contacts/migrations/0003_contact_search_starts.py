"""contact search: start tokens in a btree table

PostgreSQL only. ``contact_search_starts(token, contact_id)`` holds every start token
(``^maria_garcia``, ``^maria@example.com``, ``^14155552671``) with a btree on
``(token text_pattern_ops, contact_id)``: the exact and prefix tiers read key ranges
from the index alone instead of fetching GIN matches row by row (see
``plugins.contacts.search``). The sync trigger now also fires on DELETE to remove a
contact's tokens; the table is filled from the existing contacts.

Revision ID: 0003_contacts
Revises: 0002_contacts
Create Date: 2026-11-25 21:15:00

"""
from alembic import op

from plugins.contacts.search import PG_STARTS, PG_TABLE, rebuild_starts_ddl, search_ddl


revision = '0003_contacts'
down_revision = '0002_contacts'
branch_labels = None
depends_on = None

# The trigger function and trigger as 0002_contacts left them.
_0002_SYNC = (
    f"CREATE OR REPLACE FUNCTION {PG_TABLE}_sync() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN INSERT INTO {PG_TABLE} (contact_id, search_vector) VALUES (NEW.id, "
    f"{PG_TABLE}_vector(NEW.search_text)) ON CONFLICT (contact_id) DO UPDATE SET "
    "search_vector = EXCLUDED.search_vector; RETURN NULL; END $$")
_0002_TRIGGER = (f"CREATE OR REPLACE TRIGGER {PG_TABLE}_sync AFTER INSERT OR UPDATE OF "
                 f"search_text ON contacts FOR EACH ROW EXECUTE FUNCTION {PG_TABLE}_sync()")


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in search_ddl("postgresql") + rebuild_starts_ddl():
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_0002_SYNC)
    op.execute(_0002_TRIGGER)
    op.execute(f"DROP TABLE IF EXISTS {PG_STARTS}")
