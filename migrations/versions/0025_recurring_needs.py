"""recurring needs (issue 20): a need may recur monthly from a start
month; the first month its supply does not cover is kept with it, so the
needs board and the project's home find the needs open in a month in SQL

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-01 23:55:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ledger_inputs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recurs', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('starts', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('uncovered_from', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('ledger_inputs', schema=None) as batch_op:
        batch_op.drop_column('uncovered_from')
        batch_op.drop_column('starts')
        batch_op.drop_column('recurs')
