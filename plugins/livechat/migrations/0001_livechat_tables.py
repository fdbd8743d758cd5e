"""LiveChat plugin tables: identities, chat/event mapping, webhook keys, outbox

Revision ID: 0001_livechat
Revises: 
Create Date: 2026-11-25 17:56:08.499333

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001_livechat'
down_revision = None
branch_labels = ('livechat',)
depends_on = '0001_host'


def upgrade():
    op.create_table('livechat_customers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('identity_key', sa.String(length=300), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=True),
    sa.Column('access_token', sa.String(length=600), nullable=True),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.Column('pushed_name', sa.String(length=200), nullable=True),
    sa.Column('pushed_email', sa.String(length=254), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_livechat_customers')),
    sa.UniqueConstraint('identity_key', name=op.f('uq_livechat_customers_identity_key'))
    )
    with op.batch_alter_table('livechat_customers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_livechat_customers_entity_id'), ['entity_id'], unique=False)

    op.create_table('livechat_webhook_keys',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('outcome', sa.String(length=300), nullable=True),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_livechat_webhook_keys'))
    )
    with op.batch_alter_table('livechat_webhook_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_livechat_webhook_keys_received_at'), ['received_at'], unique=False)

    op.create_table('livechat_chats',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('lc_chat_id', sa.String(length=64), nullable=True),
    sa.Column('lc_thread_id', sa.String(length=64), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('lc_group_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['chat_id'], ['chats.id'], name=op.f('fk_livechat_chats_chat_id_chats'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['customer_id'], ['livechat_customers.id'], name=op.f('fk_livechat_chats_customer_id_livechat_customers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_livechat_chats')),
    sa.UniqueConstraint('chat_id', name=op.f('uq_livechat_chats_chat_id')),
    sa.UniqueConstraint('lc_chat_id', name=op.f('uq_livechat_chats_lc_chat_id'))
    )
    with op.batch_alter_table('livechat_chats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_livechat_chats_customer_id'), ['customer_id'], unique=False)

    op.create_table('livechat_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['chat_id'], ['chats.id'], name=op.f('fk_livechat_outbox_chat_id_chats'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_livechat_outbox'))
    )
    with op.batch_alter_table('livechat_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_livechat_outbox_chat_id'), ['chat_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_livechat_outbox_next_attempt_at'), ['next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_livechat_outbox_state'), ['state'], unique=False)

    op.create_table('livechat_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lc_chat_id', sa.String(length=64), nullable=False),
    sa.Column('lc_thread_id', sa.String(length=64), nullable=True),
    sa.Column('lc_event_id', sa.String(length=100), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('direction', sa.String(length=3), nullable=False),
    sa.Column('delivered', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_livechat_events_message_id_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_livechat_events')),
    sa.UniqueConstraint('lc_chat_id', 'lc_event_id', name='uq_livechat_events_chat_event')
    )
    with op.batch_alter_table('livechat_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_livechat_events_message_id'), ['message_id'], unique=False)


def downgrade():
    with op.batch_alter_table('livechat_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_livechat_events_message_id'))

    op.drop_table('livechat_events')
    with op.batch_alter_table('livechat_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_livechat_outbox_state'))
        batch_op.drop_index(batch_op.f('ix_livechat_outbox_next_attempt_at'))
        batch_op.drop_index(batch_op.f('ix_livechat_outbox_chat_id'))

    op.drop_table('livechat_outbox')
    with op.batch_alter_table('livechat_chats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_livechat_chats_customer_id'))

    op.drop_table('livechat_chats')
    with op.batch_alter_table('livechat_webhook_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_livechat_webhook_keys_received_at'))

    op.drop_table('livechat_webhook_keys')
    with op.batch_alter_table('livechat_customers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_livechat_customers_entity_id'))

    op.drop_table('livechat_customers')
