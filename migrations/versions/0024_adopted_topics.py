"""adopted topics (每月一题 as a loop): topics, their units, measures and measure photos

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04 13:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table(
        'adopted_topics',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('title', sa.String(length=120), nullable=False),
        sa.Column('keywords', sa.String(length=200), nullable=False),
        sa.Column('category_code', sa.String(length=32), nullable=True),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['staff_users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_adopted_topics_month', 'adopted_topics', ['month'])
    op.create_table(
        'topic_units',
        sa.Column('topic_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['topic_id'], ['adopted_topics.id']),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id']),
        sa.PrimaryKeyConstraint('topic_id', 'unit_id'),
    )
    op.create_index('ix_topic_units_unit_id', 'topic_units', ['unit_id'])
    op.create_table(
        'topic_measures',
        sa.Column('id', BIG_ID, nullable=False),
        sa.Column('topic_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('taken_on', sa.Date(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['author_id'], ['staff_users.id']),
        sa.ForeignKeyConstraint(['topic_id'], ['adopted_topics.id']),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_topic_measures_topic_id', 'topic_measures', ['topic_id'])
    op.create_index('ix_topic_measures_unit_id', 'topic_measures', ['unit_id'])
    op.create_table(
        'measure_photos',
        sa.Column('id', BIG_ID, nullable=False),
        sa.Column('measure_id', BIG_ID, nullable=False),
        sa.Column('storage_name', sa.String(length=64), nullable=False),
        sa.Column('checksum', sa.String(length=64), nullable=False),
        sa.Column('content_type', sa.String(length=32), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['measure_id'], ['topic_measures.id']),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['staff_users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('storage_name'),
    )
    op.create_index('ix_measure_photos_measure_id', 'measure_photos', ['measure_id'])


def downgrade():
    op.drop_index('ix_measure_photos_measure_id', table_name='measure_photos')
    op.drop_table('measure_photos')
    op.drop_index('ix_topic_measures_unit_id', table_name='topic_measures')
    op.drop_index('ix_topic_measures_topic_id', table_name='topic_measures')
    op.drop_table('topic_measures')
    op.drop_index('ix_topic_units_unit_id', table_name='topic_units')
    op.drop_table('topic_units')
    op.drop_index('ix_adopted_topics_month', table_name='adopted_topics')
    op.drop_table('adopted_topics')
