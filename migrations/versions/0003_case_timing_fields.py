"""case timing, routing and satisfaction fields

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 00:37:39.659395

"""
from alembic import op
import sqlalchemy as sa

import app.models.types


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.add_column(sa.Column('responsible_role', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('satisfaction', sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', app.models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('confirmed_fixed_at', app.models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('claim_due_at', app.models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reply_due_at', app.models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('resolve_due_at', app.models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('escalated_at', app.models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_feedback_satisfaction'), 'satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5')



def downgrade():
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_feedback_satisfaction'), type_='check')
        batch_op.drop_column('escalated_at')
        batch_op.drop_column('resolve_due_at')
        batch_op.drop_column('reply_due_at')
        batch_op.drop_column('claim_due_at')
        batch_op.drop_column('confirmed_fixed_at')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('satisfaction')
        batch_op.drop_column('responsible_role')

