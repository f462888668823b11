"""ledger checkpoints: the last entry of each project's journal that a
verify found intact, with its hash, so `ledger verify --since-last` checks
only what came after it

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 17:10:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'ledger_checkpoints',
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.Column('verified_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id'],
                                name=op.f('fk_ledger_checkpoints_project_id_projects'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('project_id', name=op.f('pk_ledger_checkpoints')),
    )


def downgrade():
    op.drop_table('ledger_checkpoints')
