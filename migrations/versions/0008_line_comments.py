"""line comments: a comment on one line of a merge proposal's diff, its
outdated mark, the objection that cites it, and the timeline event telling
of it

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 03:15:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    # Existing comments are about the whole proposal: every new column empty.
    with op.batch_alter_table('proposal_comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('path', sa.String(length=4096), nullable=True))
        batch_op.add_column(sa.Column('side', sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column('line', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('head', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('base', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('outdated', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.add_column(sa.Column('stance_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_proposal_comments_stance_id'), ['stance_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_proposal_comments_stance_id_stances'),
                                    'stances', ['stance_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('proposal_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('comment_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_proposal_events_comment_id_proposal_comments'),
            'proposal_comments', ['comment_id'], ['id'], ondelete='CASCADE')


def downgrade():
    with op.batch_alter_table('proposal_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_proposal_events_comment_id_proposal_comments'),
                                 type_='foreignkey')
        batch_op.drop_column('comment_id')
    with op.batch_alter_table('proposal_comments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_proposal_comments_stance_id_stances'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_proposal_comments_stance_id'))
        batch_op.drop_column('stance_id')
        batch_op.drop_column('outdated')
        batch_op.drop_column('base')
        batch_op.drop_column('head')
        batch_op.drop_column('line')
        batch_op.drop_column('side')
        batch_op.drop_column('path')
