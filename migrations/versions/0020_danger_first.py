"""danger first: units' emergency numbers and danger words; a case's own urgency

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 19:55:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

NUMBERS = "110 报警 Police\n119 火警 Fire\n120 急救 Ambulance"


def upgrade():
    # not in batch mode: on SQLite that would copy tables other rows hang from, which their
    # foreign keys refuse; ADD COLUMN (with a default for NOT NULL) needs no copy
    op.add_column('units', sa.Column('emergency_numbers', sa.Text(), nullable=False,
                                     server_default=NUMBERS))
    op.add_column('units', sa.Column('danger_words', sa.Text(), nullable=False,
                                     server_default=''))
    op.add_column('feedback', sa.Column('urgent', sa.Boolean(), nullable=False,
                                        server_default=sa.false()))
    op.add_column('feedback', sa.Column('urgent_reason', sa.String(length=16), nullable=True))
    # the cases so far were urgent by their category only
    op.execute("UPDATE feedback SET urgent = (SELECT categories.urgent FROM categories "
               "WHERE categories.id = feedback.category_id), urgent_reason = 'category' "
               "WHERE category_id IN (SELECT id FROM categories WHERE urgent)")


def downgrade():
    for table, column in (('feedback', 'urgent_reason'), ('feedback', 'urgent'),
                          ('units', 'danger_words'), ('units', 'emergency_numbers')):
        op.execute(f'ALTER TABLE {table} DROP COLUMN {column}')
