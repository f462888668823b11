"""distributions (issue 20): a passed distribution's shares are claims
with no input, numbered by the distribution entry's seq and their place in
it (``share``), so the treasurer's payout flow pays them

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-01 23:58:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ledger_claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('share', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('distribution_seq', sa.Integer(), nullable=True))
        batch_op.alter_column('input_id', existing_type=sa.Integer(), nullable=True)
        batch_op.drop_constraint('uq_ledger_claims_project_id', type_='unique')
        batch_op.create_unique_constraint('uq_ledger_claims_project_id',
                                          ['project_id', 'seq', 'share'])


def downgrade():
    # Distribution shares have no input; they cannot stay in the older table.
    op.execute("DELETE FROM ledger_claims WHERE input_id IS NULL")
    with op.batch_alter_table('ledger_claims', schema=None) as batch_op:
        batch_op.drop_constraint('uq_ledger_claims_project_id', type_='unique')
        batch_op.create_unique_constraint('uq_ledger_claims_project_id', ['project_id', 'seq'])
        batch_op.alter_column('input_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('distribution_seq')
        batch_op.drop_column('share')
