"""rotas (issue 20): recurring routine and care tasks taken in turns, who
opted in, the turns handed out (a done turn links to its work entry) and
the swaps asked for, so the care work can move off one person

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-01 23:38:16

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rotas',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('every_days', sa.Integer(), nullable=False),
    sa.Column('hours', sa.String(length=64), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                            name=op.f('fk_rotas_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'],
                            name=op.f('fk_rotas_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rotas'))
    )
    with op.batch_alter_table('rotas', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rotas_project_id'), ['project_id'], unique=False)

    op.create_table('rota_members',
    sa.Column('rota_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('opted_in_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['rota_id'], ['rotas.id'],
                            name=op.f('fk_rota_members_rota_id_rotas'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                            name=op.f('fk_rota_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('rota_id', 'user_id', name=op.f('pk_rota_members'))
    )
    op.create_table('rota_turns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rota_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('agreed', sa.Boolean(), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hours', sa.String(length=64), nullable=True),
    sa.Column('work_seq', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['rota_id'], ['rotas.id'],
                            name=op.f('fk_rota_turns_rota_id_rotas'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                            name=op.f('fk_rota_turns_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rota_turns')),
    sa.UniqueConstraint('rota_id', 'number', name=op.f('uq_rota_turns_rota_id'))
    )
    op.create_table('rota_swaps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rota_id', sa.Integer(), nullable=False),
    sa.Column('turn_id', sa.Integer(), nullable=False),
    sa.Column('other_turn_id', sa.Integer(), nullable=True),
    sa.Column('asked_by_id', sa.Integer(), nullable=True),
    sa.Column('asked_to_id', sa.Integer(), nullable=True),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('settled_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['asked_by_id'], ['users.id'],
                            name=op.f('fk_rota_swaps_asked_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['asked_to_id'], ['users.id'],
                            name=op.f('fk_rota_swaps_asked_to_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['other_turn_id'], ['rota_turns.id'],
                            name=op.f('fk_rota_swaps_other_turn_id_rota_turns'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rota_id'], ['rotas.id'],
                            name=op.f('fk_rota_swaps_rota_id_rotas'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['settled_by_id'], ['users.id'],
                            name=op.f('fk_rota_swaps_settled_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['turn_id'], ['rota_turns.id'],
                            name=op.f('fk_rota_swaps_turn_id_rota_turns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rota_swaps'))
    )
    with op.batch_alter_table('rota_swaps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rota_swaps_rota_id'), ['rota_id'], unique=False)



def downgrade():
    with op.batch_alter_table('rota_swaps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rota_swaps_rota_id'))

    op.drop_table('rota_swaps')
    op.drop_table('rota_turns')
    op.drop_table('rota_members')
    with op.batch_alter_table('rotas', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rotas_project_id'))

    op.drop_table('rotas')
