"""twilio sender accounts: which subaccount owns a number, WhatsApp sender or Messaging Service

Revision ID: 0004_twilio_channel
Revises: 0003_twilio_channel
Create Date: 2026-12-01 18:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0004_twilio_channel'
down_revision = '0003_twilio_channel'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('twilio_sender_accounts',
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('account_sid', sa.String(length=34), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('address', name=op.f('pk_twilio_sender_accounts'))
    )


def downgrade():
    op.drop_table('twilio_sender_accounts')
