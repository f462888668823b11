"""funds, expense claims and payouts: each project's money per currency and
its claims (with their payouts) folded from the journal, and the treasurer
role on memberships

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-01 20:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'ledger_funds',
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('received', sa.String(length=64), nullable=False),
        sa.Column('paid', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id'],
                                name=op.f('fk_ledger_funds_project_id_projects'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('project_id', 'currency', name=op.f('pk_ledger_funds')),
    )
    op.create_table(
        'ledger_claims',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('input_id', sa.Integer(), nullable=False),
        sa.Column('claimant_id', sa.Integer(), nullable=True),
        sa.Column('amount', sa.String(length=64), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('paid_seq', sa.Integer(), nullable=True),
        sa.Column('method', sa.String(length=40), nullable=True),
        sa.Column('reference', sa.String(length=200), nullable=True),
        sa.Column('paid_on', sa.Date(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id'],
                                name=op.f('fk_ledger_claims_project_id_projects'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['input_id'], ['ledger_inputs.id'],
                                name=op.f('fk_ledger_claims_input_id_ledger_inputs'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['claimant_id'], ['users.id'],
                                name=op.f('fk_ledger_claims_claimant_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_claims')),
        sa.UniqueConstraint('project_id', 'seq', name=op.f('uq_ledger_claims_project_id')),
    )
    with op.batch_alter_table('ledger_claims', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_claims_claimant', ['claimant_id', 'status'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_claims_input_id'), ['input_id'],
                              unique=False)
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('treasurer', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    # Money already received is the projects' funds from the start.
    from commons.ledger.fund_backfill import backfill_funds
    backfill_funds(op.get_bind())


def downgrade():
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_column('treasurer')
    with op.batch_alter_table('ledger_claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_claims_input_id'))
        batch_op.drop_index('ix_ledger_claims_claimant')
    op.drop_table('ledger_claims')
    op.drop_table('ledger_funds')
