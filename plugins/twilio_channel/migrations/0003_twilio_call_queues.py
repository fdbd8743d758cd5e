"""twilio call queues: each waiting call's queue (deleted when the call is over) and voicemail time

Revision ID: 0003_twilio_channel
Revises: 0002_twilio_channel
Create Date: 2026-12-01 15:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0003_twilio_channel'
down_revision = '0002_twilio_channel'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('twilio_call_queues',
    sa.Column('call_sid', sa.String(length=64), nullable=False),
    sa.Column('chat_id', sa.Integer(), nullable=False),
    sa.Column('queue_name', sa.String(length=64), nullable=False),
    sa.Column('queue_sid', sa.String(length=34), nullable=True),
    sa.Column('voicemail_at', sa.DateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('removed_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('call_sid', name=op.f('pk_twilio_call_queues'))
    )
    with op.batch_alter_table('twilio_call_queues', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_twilio_call_queues_chat_id'), ['chat_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_twilio_call_queues_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_twilio_call_queues_removed_at'), ['removed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_twilio_call_queues_voicemail_at'), ['voicemail_at'], unique=False)


def downgrade():
    with op.batch_alter_table('twilio_call_queues', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_twilio_call_queues_voicemail_at'))
        batch_op.drop_index(batch_op.f('ix_twilio_call_queues_removed_at'))
        batch_op.drop_index(batch_op.f('ix_twilio_call_queues_created_at'))
        batch_op.drop_index(batch_op.f('ix_twilio_call_queues_chat_id'))
    op.drop_table('twilio_call_queues')
