"""inbox search on PostgreSQL: a narrow table per message with its chat's filter columns

PostgreSQL only: ``message_search`` (message id, chat id, the chat's status, channel,
group and agent, the text's vector) filled from the messages there and kept in step by
triggers; it replaces ``messages.search_vector`` and its index. SQLite keeps its FTS5
tables. See ``host.search_ddl.search_table_ddl``.

Revision ID: 0010_host
Revises: 0009_host
Create Date: 2026-12-07 13:50:00

"""
from alembic import op

from host.search_ddl import drop_search_table_ddl, search_table_ddl


revision = '0010_host'
down_revision = '0009_host'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in search_table_ddl():
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in drop_search_table_ddl():
            op.execute(statement)
