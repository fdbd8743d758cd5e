"""contact consent changes: the history of every opt-out and opt-in, with its source

Revision ID: 0004_contacts
Revises: 0003_contacts
Create Date: 2026-12-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0004_contacts'
down_revision = '0003_contacts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contact_consent_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('address', sa.String(length=254), nullable=False),
    sa.Column('opted_out', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_contact_consent_changes_agent_id_agents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_contact_consent_changes_contact_id_contacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_consent_changes'))
    )
    with op.batch_alter_table('contact_consent_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_consent_changes_contact_id'), ['contact_id'], unique=False)


def downgrade():
    with op.batch_alter_table('contact_consent_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_consent_changes_contact_id'))
    op.drop_table('contact_consent_changes')
