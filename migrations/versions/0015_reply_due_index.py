"""feedback: an index on the reply deadline, for the cases not yet due (bureau figures)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 17:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.create_index('ix_feedback_reply_due_at', ['reply_due_at'], unique=False)


def downgrade():
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_index('ix_feedback_reply_due_at')
