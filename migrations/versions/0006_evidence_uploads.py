"""evidence uploads: who stored which file, when, and how large

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 20:45:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    # Files uploaded before this have no row; `ledger prune-evidence` goes by
    # their modification time instead.
    op.create_table('ledger_evidence_uploads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('uploader_id', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_ledger_evidence_uploads_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploader_id'], ['users.id'], name=op.f('fk_ledger_evidence_uploads_uploader_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_evidence_uploads'))
    )
    with op.batch_alter_table('ledger_evidence_uploads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_evidence_uploads_sha256'), ['sha256'], unique=False)
        batch_op.create_index('ix_ledger_evidence_uploads_uploader', ['uploader_id', 'uploaded_at'], unique=False)


def downgrade():
    with op.batch_alter_table('ledger_evidence_uploads', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_evidence_uploads_uploader')
        batch_op.drop_index(batch_op.f('ix_ledger_evidence_uploads_sha256'))

    op.drop_table('ledger_evidence_uploads')
