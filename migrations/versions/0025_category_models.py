"""category from the words: a unit's own category model, the category a case was filed under

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04 13:15:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'category_models',
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('counts', sa.JSON(), nullable=False),
        sa.Column('cases', sa.Integer(), nullable=False),
        sa.Column('last_case_id', sa.BigInteger(), nullable=False),
        sa.Column('stale', sa.Boolean(), nullable=False),
        sa.Column('trained_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id']),
        sa.PrimaryKeyConstraint('unit_id'),
    )
    # ADD COLUMN in place (no batch copy: see 0020)
    op.add_column('feedback', sa.Column('category_chosen', sa.String(length=32), nullable=True))
    op.add_column('feedback', sa.Column('category_reason', sa.String(length=16), nullable=True))
    # the cases before: filed as the visitor picked, as far as anyone knows
    op.execute("UPDATE feedback SET category_chosen = (SELECT code FROM categories "
               "WHERE categories.id = feedback.category_id), category_reason = 'visitor'")


def downgrade():
    for column in ('category_reason', 'category_chosen'):
        op.drop_column('feedback', column)
    op.drop_table('category_models')
