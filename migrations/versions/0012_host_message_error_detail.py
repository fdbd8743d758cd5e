"""messages.error_detail: the values a failure's sentence names, worded per reader

Revision ID: 0012_host
Revises: 0011_host
Create Date: 2026-12-07 19:00:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012_host'
down_revision = '0011_host'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('error_detail', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('error_detail')
