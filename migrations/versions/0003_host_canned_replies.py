"""canned replies: personal and per-group saved answers

Revision ID: 0003_host
Revises: 0002_host
Create Date: 2026-12-07 09:13:55.467745

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_host'
down_revision = '0002_host'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('canned_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shortcut', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('(agent_id IS NULL) <> (group_id IS NULL)', name=op.f('ck_canned_replies_one_owner')),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_canned_replies_agent_id_agents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['agents.id'], name=op.f('fk_canned_replies_created_by_id_agents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['group_id'], ['groups.id'], name=op.f('fk_canned_replies_group_id_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_canned_replies')),
    sa.UniqueConstraint('agent_id', 'shortcut', name='uq_canned_replies_agent_shortcut'),
    sa.UniqueConstraint('group_id', 'shortcut', name='uq_canned_replies_group_shortcut')
    )
    with op.batch_alter_table('canned_replies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_canned_replies_agent_id'), ['agent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_canned_replies_group_id'), ['group_id'], unique=False)



def downgrade():
    with op.batch_alter_table('canned_replies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_canned_replies_group_id'))
        batch_op.drop_index(batch_op.f('ix_canned_replies_agent_id'))

    op.drop_table('canned_replies')
