"""alert channels (group robots, signed webhooks) and their delivery outbox

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 17:20:00

"""
from alembic import op
import sqlalchemy as sa

from app.models.types import UTCDateTime


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'alert_channels',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('park_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('url', sa.String(length=500), nullable=False),
        sa.Column('secret', sa.String(length=200), nullable=True),
        sa.Column('events', sa.String(length=200), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_success_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_failure_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(['park_id'], ['parks.id'], name=op.f('fk_alert_channels_park_id_parks')),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_alert_channels_unit_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_channels')),
    )
    with op.batch_alter_table('alert_channels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_channels_unit_id'), ['unit_id'], unique=False)
    op.create_table(
        'alert_deliveries',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('channel_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
        sa.Column('event', sa.String(length=40), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_error', sa.String(length=500), nullable=True),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('sent_at', UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['channel_id'], ['alert_channels.id'], name=op.f('fk_alert_deliveries_channel_id_alert_channels')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_deliveries')),
    )
    with op.batch_alter_table('alert_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_deliveries_channel_id'), ['channel_id'], unique=False)
        batch_op.create_index('ix_alert_deliveries_state_next', ['state', 'next_attempt_at'], unique=False)


def downgrade():
    with op.batch_alter_table('alert_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_deliveries_state_next')
        batch_op.drop_index(batch_op.f('ix_alert_deliveries_channel_id'))
    op.drop_table('alert_deliveries')
    with op.batch_alter_table('alert_channels', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_channels_unit_id'))
    op.drop_table('alert_channels')
