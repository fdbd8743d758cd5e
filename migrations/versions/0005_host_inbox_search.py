"""inbox search: full-text indexes over message text and customers

SQLite: external-content FTS5 tables ``messages_fts`` (message bodies) and
``chats_fts`` (customer name and number), kept in step by triggers, filled from the
rows already there. PostgreSQL: GIN indexes on ``to_tsvector('simple', …)`` of the
same columns. Both: an index on ``chats.last_message_at`` for "newest activity first".
See ``host.search``.

Revision ID: 0005_host
Revises: 0004_host
Create Date: 2026-12-07 09:40:00

"""
from alembic import op

from host.search_ddl import downgrade_ddl, upgrade_ddl


revision = '0005_host'
down_revision = '0004_host'
branch_labels = None
depends_on = None


def upgrade():
    for statement in upgrade_ddl(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade():
    for statement in downgrade_ddl(op.get_bind().dialect.name):
        op.execute(statement)
