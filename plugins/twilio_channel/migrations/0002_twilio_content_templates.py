"""twilio content templates: the Content API catalogue with WhatsApp approval, per account

Revision ID: 0002_twilio_channel
Revises: 0001_twilio_channel
Create Date: 2026-12-01 12:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0002_twilio_channel'
down_revision = '0001_twilio_channel'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('twilio_content_templates',
    sa.Column('account_sid', sa.String(length=34), nullable=False),
    sa.Column('sid', sa.String(length=34), nullable=False),
    sa.Column('friendly_name', sa.String(length=200), nullable=False),
    sa.Column('language', sa.String(length=20), nullable=False),
    sa.Column('variables', sa.JSON(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('types', sa.JSON(), nullable=False),
    sa.Column('whatsapp_status', sa.String(length=20), nullable=False),
    sa.Column('whatsapp_category', sa.String(length=40), nullable=False),
    sa.Column('rejection_reason', sa.Text(), nullable=False),
    sa.Column('fetched_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('account_sid', 'sid', name=op.f('pk_twilio_content_templates'))
    )
    op.create_table('twilio_template_catalogues',
    sa.Column('account_sid', sa.String(length=34), nullable=False),
    sa.Column('refreshed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('account_sid', name=op.f('pk_twilio_template_catalogues'))
    )


def downgrade():
    op.drop_table('twilio_template_catalogues')
    op.drop_table('twilio_content_templates')
