"""verified addresses: when each address was confirmed, which one is primary;
an address is unique among confirmed addresses only, so an unconfirmed claim
cannot squat it

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 11:15:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

CONFIRMED = sa.text('confirmed_at IS NOT NULL')
PRIMARY = sa.text('is_primary')


def upgrade():
    with op.batch_alter_table('emails', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('confirm_sent_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('is_primary', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    # Every address already here was accepted as its holder's before proof
    # was asked for; they keep mapping what they mapped (docs/DESIGN.md,
    # "Verified addresses").
    op.execute('UPDATE emails SET confirmed_at = created_at')
    with op.batch_alter_table('emails', schema=None) as batch_op:
        batch_op.drop_constraint('uq_emails_address', type_='unique')
        batch_op.create_unique_constraint('uq_emails_user_id', ['user_id', 'address'])
        batch_op.create_index('uq_emails_confirmed_address', ['address'], unique=True,
                              sqlite_where=CONFIRMED, postgresql_where=CONFIRMED)
        batch_op.create_index('uq_emails_primary', ['user_id'], unique=True,
                              sqlite_where=PRIMARY, postgresql_where=PRIMARY)


def downgrade():
    # Unconfirmed claims go: the old schema held one row per address.
    op.execute('DELETE FROM emails WHERE confirmed_at IS NULL')
    with op.batch_alter_table('emails', schema=None) as batch_op:
        batch_op.drop_index('uq_emails_primary')
        batch_op.drop_index('uq_emails_confirmed_address')
        batch_op.drop_constraint('uq_emails_user_id', type_='unique')
        batch_op.create_unique_constraint('uq_emails_address', ['address'])
        batch_op.drop_column('is_primary')
        batch_op.drop_column('confirm_sent_at')
        batch_op.drop_column('confirmed_at')
