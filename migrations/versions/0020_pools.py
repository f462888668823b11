"""pools: a stock offered for sharing, its hash-chained journal, planning
rounds with their requests, published iterations and allocations, and a
link from a pledge to the pool round whose allocation it carries

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-01 20:00:34

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pools',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('unit', sa.String(length=8), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('available', sa.String(length=64), nullable=False),
    sa.Column('period', sa.String(length=40), nullable=True),
    sa.Column('steward_user_id', sa.Integer(), nullable=True),
    sa.Column('steward_project_id', sa.Integer(), nullable=True),
    sa.Column('eligibility', sa.String(length=8), nullable=False),
    sa.Column('contested_rule', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('(steward_user_id IS NULL) <> (steward_project_id IS NULL)', name=op.f('ck_pools_one_steward')),
    sa.CheckConstraint('(unit IS NULL) <> (currency IS NULL)', name=op.f('ck_pools_unit_or_currency')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_pools_created_by_id_users')),
    sa.ForeignKeyConstraint(['steward_project_id'], ['projects.id'], name=op.f('fk_pools_steward_project_id_projects')),
    sa.ForeignKeyConstraint(['steward_user_id'], ['users.id'], name=op.f('fk_pools_steward_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pools'))
    )
    with op.batch_alter_table('pools', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pools_steward_project_id'), ['steward_project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pools_steward_user_id'), ['steward_user_id'], unique=False)

    op.create_table('pool_eligible_projects',
    sa.Column('pool_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['pool_id'], ['pools.id'], name=op.f('fk_pool_eligible_projects_pool_id_pools'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_pool_eligible_projects_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pool_id', 'project_id', name=op.f('pk_pool_eligible_projects'))
    )
    with op.batch_alter_table('pool_eligible_projects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pool_eligible_projects_project_id'), ['project_id'], unique=False)

    op.create_table('pool_entries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('pool_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=24), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_pool_entries_actor_id_users')),
    sa.ForeignKeyConstraint(['pool_id'], ['pools.id'], name=op.f('fk_pool_entries_pool_id_pools'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pool_entries')),
    sa.UniqueConstraint('pool_id', 'seq', name=op.f('uq_pool_entries_pool_id'))
    )
    op.create_table('pool_heads',
    sa.Column('pool_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['pool_id'], ['pools.id'], name=op.f('fk_pool_heads_pool_id_pools'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pool_id', name=op.f('pk_pool_heads'))
    )
    op.create_table('pool_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pool_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('iterations', sa.Integer(), nullable=False),
    sa.Column('iteration_seconds', sa.Integer(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('iteration', sa.Integer(), nullable=False),
    sa.Column('iteration_closes_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('opened_available', sa.String(length=64), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=True),
    sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['opened_by_id'], ['users.id'], name=op.f('fk_pool_rounds_opened_by_id_users')),
    sa.ForeignKeyConstraint(['pool_id'], ['pools.id'], name=op.f('fk_pool_rounds_pool_id_pools'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_pool_rounds_proposal_id_proposals'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pool_rounds')),
    sa.UniqueConstraint('pool_id', 'number', name=op.f('uq_pool_rounds_pool_id'))
    )
    with op.batch_alter_table('pool_rounds', schema=None) as batch_op:
        batch_op.create_index('ix_pool_rounds_due', ['status', 'iteration_closes_at'], unique=False)

    op.create_table('pool_allocations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.String(length=64), nullable=False),
    sa.Column('pledges', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_pool_allocations_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['pool_rounds.id'], name=op.f('fk_pool_allocations_round_id_pool_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pool_allocations')),
    sa.UniqueConstraint('round_id', 'project_id', name=op.f('uq_pool_allocations_round_id'))
    )
    with op.batch_alter_table('pool_allocations', schema=None) as batch_op:
        batch_op.create_index('ix_pool_allocations_project', ['project_id'], unique=False)

    op.create_table('pool_iterations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('iteration', sa.Integer(), nullable=False),
    sa.Column('available', sa.String(length=64), nullable=False),
    sa.Column('requested', sa.String(length=64), nullable=False),
    sa.Column('ratio', sa.String(length=64), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('shares', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['pool_rounds.id'], name=op.f('fk_pool_iterations_round_id_pool_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pool_iterations')),
    sa.UniqueConstraint('round_id', 'iteration', name=op.f('uq_pool_iterations_round_id'))
    )
    op.create_table('pool_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('iteration', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.String(length=64), nullable=False),
    sa.Column('justification', sa.Text(), nullable=False),
    sa.Column('input_numbers', sa.JSON(), nullable=False),
    sa.Column('filed_by_id', sa.Integer(), nullable=True),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdrawn', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['filed_by_id'], ['users.id'], name=op.f('fk_pool_requests_filed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_pool_requests_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['pool_rounds.id'], name=op.f('fk_pool_requests_round_id_pool_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pool_requests')),
    sa.UniqueConstraint('round_id', 'project_id', 'iteration', name=op.f('uq_pool_requests_round_id'))
    )
    with op.batch_alter_table('pool_requests', schema=None) as batch_op:
        batch_op.create_index('ix_pool_requests_project', ['project_id'], unique=False)

    with op.batch_alter_table('ledger_pledges', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pool_round_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_ledger_pledges_pool_round_id'), ['pool_round_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_ledger_pledges_pool_round_id_pool_rounds'), 'pool_rounds', ['pool_round_id'], ['id'], ondelete='SET NULL')



def downgrade():
    with op.batch_alter_table('ledger_pledges', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_ledger_pledges_pool_round_id_pool_rounds'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_ledger_pledges_pool_round_id'))
        batch_op.drop_column('pool_round_id')

    with op.batch_alter_table('pool_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_pool_requests_project')

    op.drop_table('pool_requests')
    op.drop_table('pool_iterations')
    with op.batch_alter_table('pool_allocations', schema=None) as batch_op:
        batch_op.drop_index('ix_pool_allocations_project')

    op.drop_table('pool_allocations')
    with op.batch_alter_table('pool_rounds', schema=None) as batch_op:
        batch_op.drop_index('ix_pool_rounds_due')

    op.drop_table('pool_rounds')
    op.drop_table('pool_heads')
    op.drop_table('pool_entries')
    with op.batch_alter_table('pool_eligible_projects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pool_eligible_projects_project_id'))

    op.drop_table('pool_eligible_projects')
    with op.batch_alter_table('pools', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pools_steward_user_id'))
        batch_op.drop_index(batch_op.f('ix_pools_steward_project_id'))

    op.drop_table('pools')
