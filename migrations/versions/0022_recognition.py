"""recognition (issue 20): confirmations and the worker's rating on work
logs, the versions of each project's value rule, and the months a passed
distribution closed

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01 23:33:25

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('recognition_closed_periods',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('distribution_seq', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'],
                            name=op.f('fk_recognition_closed_periods_project_id_projects'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', 'period',
                            name=op.f('pk_recognition_closed_periods'))
    )
    op.create_table('recognition_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('weights', sa.JSON(), nullable=False),
    sa.Column('onerous_multiplies', sa.Boolean(), nullable=False),
    sa.Column('adopted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'],
                            name=op.f('fk_recognition_rules_project_id_projects'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'],
                            name=op.f('fk_recognition_rules_proposal_id_proposals'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recognition_rules')),
    sa.UniqueConstraint('project_id', 'version',
                        name=op.f('uq_recognition_rules_project_id'))
    )
    with op.batch_alter_table('work_logs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('onerous', sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column('confirmed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('confirmed_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('confirmed_seq', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_work_logs_confirmed_by_id_users'), 'users',
                                    ['confirmed_by_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('work_logs', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_work_logs_confirmed_by_id_users'),
                                 type_='foreignkey')
        batch_op.drop_column('confirmed_seq')
        batch_op.drop_column('confirmed_at')
        batch_op.drop_column('confirmed_by_id')
        batch_op.drop_column('onerous')
    op.drop_table('recognition_rules')
    op.drop_table('recognition_closed_periods')
