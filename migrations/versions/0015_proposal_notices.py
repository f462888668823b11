"""proposal notices: who was told of each proposal and when, stances and
opt-outs from affected people without an account, and the policy field
that lets a project mail them

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 11:15:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'proposal_notices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('proposal_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('email', sa.String(length=255), nullable=True),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('mailed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('undeliverable', sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'],
                                name=op.f('fk_proposal_notices_proposal_id_proposals'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_proposal_notices_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_notices')),
        sa.UniqueConstraint('proposal_id', 'user_id',
                            name='uq_proposal_notices_user'),
        sa.UniqueConstraint('proposal_id', 'email',
                            name='uq_proposal_notices_email'),
    )
    op.create_index('ix_proposal_notices_email_mailed_at', 'proposal_notices',
                    ['email', 'mailed_at'])
    op.create_table(
        'outside_stances',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('proposal_id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=255), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('stance', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'],
                                name=op.f('fk_outside_stances_proposal_id_proposals'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outside_stances')),
        sa.UniqueConstraint('proposal_id', 'email', name=op.f('uq_outside_stances_proposal_id')),
    )
    op.create_table(
        'notice_opt_outs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=255), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id'],
                                name=op.f('fk_notice_opt_outs_project_id_projects'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_opt_outs')),
        sa.UniqueConstraint('project_id', 'email', name=op.f('uq_notice_opt_outs_project_id')),
    )
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notify_outside_authors', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_column('notify_outside_authors')
    op.drop_table('notice_opt_outs')
    op.drop_table('outside_stances')
    op.drop_index('ix_proposal_notices_email_mailed_at', table_name='proposal_notices')
    op.drop_table('proposal_notices')
