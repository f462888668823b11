"""jobs: the job queue's failed jobs, kept for the site's administrators

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 06:20:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'job_failures',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('job', sa.String(length=100), nullable=False),
        sa.Column('task_id', sa.String(length=64), nullable=False),
        sa.Column('arguments', sa.JSON(), nullable=False),
        sa.Column('error', sa.Text(), nullable=False),
        sa.Column('failed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('resolution', sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_job_failures')),
    )
    with op.batch_alter_table('job_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_failures_job'), ['job'], unique=False)
        batch_op.create_index(batch_op.f('ix_job_failures_resolved_at'), ['resolved_at'],
                              unique=False)


def downgrade():
    op.drop_table('job_failures')
