"""feedback.channel: how staff heard of a case they took down (phone, counter, patrol, other)

Revision ID: 0019
Revises: 0017
Create Date: 2026-12-03 19:30:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    # not in batch mode: on SQLite that would copy the table every case row hangs from,
    # which its foreign keys refuse once there are cases; ADD COLUMN needs no copy
    op.add_column('feedback', sa.Column('channel', sa.String(length=16), nullable=True))


def downgrade():
    # not in batch mode either (SQLite 3.35+ and PostgreSQL drop a column in place)
    op.execute('ALTER TABLE feedback DROP COLUMN channel')
