"""agents choose their interface language and time zone

Revision ID: 0008_host
Revises: 0007_host
Create Date: 2026-12-07 12:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_host'
down_revision = '0007_host'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('agents') as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('time_zone', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('agents') as batch_op:
        batch_op.drop_column('time_zone')
        batch_op.drop_column('language')
