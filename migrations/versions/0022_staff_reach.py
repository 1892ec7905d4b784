"""staff reach: a mobile (also a login name), push and SMS on or off, quiet hours, on call

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 08:40:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    # ADD COLUMN in place (no batch copy: see 0020)
    op.add_column('staff_users', sa.Column('mobile', sa.String(length=20), nullable=True))
    op.add_column('staff_users', sa.Column('alert_push', sa.Boolean(), nullable=False,
                                           server_default=sa.true()))
    op.add_column('staff_users', sa.Column('alert_sms', sa.Boolean(), nullable=False,
                                           server_default=sa.false()))
    op.add_column('staff_users', sa.Column('quiet_start', sa.String(length=5), nullable=True))
    op.add_column('staff_users', sa.Column('quiet_end', sa.String(length=5), nullable=True))
    op.add_column('staff_users', sa.Column('on_call', sa.Boolean(), nullable=False,
                                           server_default=sa.true()))
    op.create_index('ix_staff_users_mobile', 'staff_users', ['mobile'], unique=True)


def downgrade():
    op.drop_index('ix_staff_users_mobile', table_name='staff_users')
    # DROP COLUMN in place (SQLite 3.35+): staff_users is referenced by many tables, and a
    # batch copy of it would trip their foreign keys
    for column in ('on_call', 'quiet_end', 'quiet_start', 'alert_sms', 'alert_push', 'mobile'):
        op.drop_column('staff_users', column)
