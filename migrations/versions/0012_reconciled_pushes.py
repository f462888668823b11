"""reconciled pushes: a key per reflog entry group, and how far each
project's reflogs were read

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 06:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('pushes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reflog_key', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_pushes_project_id'),
                                          ['project_id', 'reflog_key'])
    op.create_table(
        'reflog_watermarks',
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('seen_through', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id'],
                                name=op.f('fk_reflog_watermarks_project_id_projects'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('project_id', name=op.f('pk_reflog_watermarks')),
    )


def downgrade():
    op.drop_table('reflog_watermarks')
    with op.batch_alter_table('pushes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_pushes_project_id'), type_='unique')
        batch_op.drop_column('reflog_key')
