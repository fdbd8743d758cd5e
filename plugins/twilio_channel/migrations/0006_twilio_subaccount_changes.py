"""twilio connect: which subaccount owns a re-pointed number

Revision ID: 0006_twilio_channel
Revises: 0005_twilio_channel
Create Date: 2026-12-07 11:15:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0006_twilio_channel'
down_revision = '0005_twilio_channel'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('twilio_webhook_changes', sa.Column('owner_sid', sa.String(length=34), nullable=True))


def downgrade():
    op.drop_column('twilio_webhook_changes', 'owner_sid')
