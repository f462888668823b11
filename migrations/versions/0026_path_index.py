"""path index (issue 18): the first-parent line of each project's default
branch, and the paths each of its commits changed, so the first page of a
file's history is a look-up instead of a walk of the whole history

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-02 13:31:35

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('path_index_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('branch', sa.String(length=255), nullable=False),
    sa.Column('tip', sa.String(length=64), nullable=True),
    sa.Column('length', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_path_index_lines_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_path_index_lines')),
    sa.UniqueConstraint('project_id', name=op.f('uq_path_index_lines_project_id')),
    sqlite_autoincrement=True
    )
    op.create_table('path_index_changes',
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), autoincrement=False, nullable=False),
    sa.ForeignKeyConstraint(['line_id'], ['path_index_lines.id'], name=op.f('fk_path_index_changes_line_id_path_index_lines'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('line_id', 'path', 'position', name=op.f('pk_path_index_changes'))
    )
    op.create_table('path_index_commits',
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('sha', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['line_id'], ['path_index_lines.id'], name=op.f('fk_path_index_commits_line_id_path_index_lines'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('line_id', 'position', name=op.f('pk_path_index_commits'))
    )
    with op.batch_alter_table('path_index_commits', schema=None) as batch_op:
        batch_op.create_index('ix_path_index_commits_sha', ['line_id', 'sha'], unique=True)



def downgrade():
    with op.batch_alter_table('path_index_commits', schema=None) as batch_op:
        batch_op.drop_index('ix_path_index_commits_sha')

    op.drop_table('path_index_commits')
    op.drop_table('path_index_changes')
    op.drop_table('path_index_lines')
