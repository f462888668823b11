"""notifications: one row per person per event, how each reaches its
person (mail, digest, inbox); mail modes and per-project watch or ignore

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 11:10:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'notifications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('proposal_id', sa.Integer(), nullable=True),
        sa.Column('event', sa.String(length=32), nullable=False),
        sa.Column('key', sa.String(length=120), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('url', sa.String(length=2000), nullable=False),
        sa.Column('channel', sa.String(length=8), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id'],
                                name=op.f('fk_notifications_project_id_projects'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'],
                                name=op.f('fk_notifications_proposal_id_proposals'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_notifications_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
        # A signal or a job that runs twice records nothing twice.
        sa.UniqueConstraint('user_id', 'key', name=op.f('uq_notifications_user_id')),
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_user_read', ['user_id', 'read_at'], unique=False)
        batch_op.create_index('ix_notifications_channel_delivered',
                              ['channel', 'delivered_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_project_id'), ['project_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_proposal_id'), ['proposal_id'],
                              unique=False)
    op.create_table(
        'notification_settings',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('mode', sa.String(length=16), nullable=False),
        sa.Column('muted', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_notification_settings_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_notification_settings')),
    )
    op.create_table(
        'project_watches',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('level', sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id'],
                                name=op.f('fk_project_watches_project_id_projects'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_project_watches_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'project_id', name=op.f('pk_project_watches')),
    )


def downgrade():
    op.drop_table('project_watches')
    op.drop_table('notification_settings')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_proposal_id'))
        batch_op.drop_index(batch_op.f('ix_notifications_project_id'))
        batch_op.drop_index('ix_notifications_channel_delivered')
        batch_op.drop_index('ix_notifications_user_read')
    op.drop_table('notifications')
