"""agents choose whether new chats and ringing calls play a sound

Revision ID: 0004_host
Revises: 0003_host
Create Date: 2026-12-07 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004_host'
down_revision = '0003_host'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('agents') as batch_op:
        batch_op.add_column(sa.Column('sound_alerts', sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade():
    with op.batch_alter_table('agents') as batch_op:
        batch_op.drop_column('sound_alerts')
