"""outside proposals: a project's policy says whether people who are not
members may propose through refs/for/ (accept) or not (refuse)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 04:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    # Every existing project keeps taking proposals from outside, as before.
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outside', sa.String(length=16), server_default='accept',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_column('outside')
