"""escalation ladder: unit settings, each step fired once per case, staff SMS outbox

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-04 13:50:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    # ADD COLUMN in place (no batch copy: see 0020)
    op.add_column('units', sa.Column('ladder_sms_minutes', sa.Integer(), nullable=False,
                                     server_default='5'))
    op.add_column('units', sa.Column('ladder_director_sms', sa.Boolean(), nullable=False,
                                     server_default=sa.true()))
    op.create_table(
        'ladder_steps',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('step', sa.String(length=20), nullable=False),
        sa.Column('fired_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('pushed', sa.Integer(), nullable=False),
        sa.Column('texted', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['feedback.id'],
                                name=op.f('fk_ladder_steps_case_id_feedback')),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'],
                                name=op.f('fk_ladder_steps_unit_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ladder_steps')),
        sa.UniqueConstraint('case_id', 'step', name=op.f('uq_ladder_steps_case_id')),
    )
    op.create_table(
        'staff_sms',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('step_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('phone', sa.String(length=20), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_error', sa.String(length=500), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['step_id'], ['ladder_steps.id'],
                                name=op.f('fk_staff_sms_step_id_ladder_steps')),
        sa.ForeignKeyConstraint(['user_id'], ['staff_users.id'],
                                name=op.f('fk_staff_sms_user_id_staff_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_sms')),
    )
    op.create_index('ix_staff_sms_state_next', 'staff_sms', ['state', 'next_attempt_at'])
    op.create_index('ix_staff_sms_step_id', 'staff_sms', ['step_id'])


def downgrade():
    op.drop_index('ix_staff_sms_step_id', table_name='staff_sms')
    op.drop_index('ix_staff_sms_state_next', table_name='staff_sms')
    op.drop_table('staff_sms')
    op.drop_table('ladder_steps')
    for column in ('ladder_director_sms', 'ladder_sms_minutes'):
        op.drop_column('units', column)
