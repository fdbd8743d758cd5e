"""unread: one index read tells whether a chat has customer messages after a read marker

Revision ID: 0009_host
Revises: 0008_host
Create Date: 2026-12-07 13:05:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009_host'
down_revision = '0008_host'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_chat_id_direction_id', ['chat_id', 'direction', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_chat_id_direction_id')
