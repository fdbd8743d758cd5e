"""inbox search on PostgreSQL: message_search's GIN index written through (fastupdate off)

PostgreSQL only: new entries go into the index as messages are stored instead of into a
pending list every search reads. See ``host.search_ddl.gin_write_through_ddl``.

Revision ID: 0011_host
Revises: 0010_host
Create Date: 2026-12-07 16:05:00

"""
from alembic import op

from host.search_ddl import gin_pending_list_ddl, gin_write_through_ddl


revision = '0011_host'
down_revision = '0010_host'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in gin_write_through_ddl():
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in gin_pending_list_ddl():
            op.execute(statement)
