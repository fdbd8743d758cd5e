"""twilio connect: the fetched account inventory and the webhook changes made at Twilio

Revision ID: 0005_twilio_channel
Revises: 0004_twilio_channel
Create Date: 2026-12-07 09:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0005_twilio_channel'
down_revision = '0004_twilio_channel'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('twilio_inventories',
    sa.Column('account_sid', sa.String(length=34), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('fetched_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('account_sid', name=op.f('pk_twilio_inventories'))
    )
    op.create_table('twilio_webhook_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_sid', sa.String(length=34), nullable=False),
    sa.Column('resource_sid', sa.String(length=34), nullable=False),
    sa.Column('resource_label', sa.String(length=200), nullable=False),
    sa.Column('field', sa.String(length=60), nullable=False),
    sa.Column('previous', sa.String(length=1000), nullable=True),
    sa.Column('current', sa.String(length=1000), nullable=True),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.Column('undone_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_twilio_webhook_changes'))
    )


def downgrade():
    op.drop_table('twilio_webhook_changes')
    op.drop_table('twilio_inventories')
