"""the outbox of transfers to outside offices: one e-mail (and webhook call) per transfer

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-04 17:45:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table(
        'office_deliveries',
        sa.Column('id', BIG_ID, nullable=False),
        sa.Column('transfer_id', BIG_ID, nullable=False),
        sa.Column('channel', sa.String(length=8), nullable=False),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_error', sa.String(length=500), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['transfer_id'], ['case_transfers.id'],
                                name=op.f('fk_office_deliveries_transfer_id_case_transfers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_office_deliveries')),
    )
    op.create_index(op.f('ix_office_deliveries_transfer_id'), 'office_deliveries',
                    ['transfer_id'])
    op.create_index('ix_office_deliveries_state_next', 'office_deliveries',
                    ['state', 'next_attempt_at'])


def downgrade():
    op.drop_index('ix_office_deliveries_state_next', table_name='office_deliveries')
    op.drop_index(op.f('ix_office_deliveries_transfer_id'), table_name='office_deliveries')
    op.drop_table('office_deliveries')
