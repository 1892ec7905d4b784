"""case transfers (转办): outside offices, transfers, cases' transferred_at

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-04 17:40:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade():
    op.create_table(
        'outside_offices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('webhook_url', sa.String(length=500), nullable=True),
        sa.Column('webhook_secret', sa.String(length=100), nullable=True),
        sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'],
                                name=op.f('fk_outside_offices_unit_id_units')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outside_offices')),
    )
    op.create_index(op.f('ix_outside_offices_unit_id'), 'outside_offices', ['unit_id'])
    op.create_table(
        'case_transfers',
        sa.Column('id', BIG_ID, nullable=False),
        sa.Column('feedback_id', BIG_ID, nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('from_unit_id', sa.Integer(), nullable=False),
        sa.Column('from_park_id', sa.Integer(), nullable=False),
        sa.Column('to_park_id', sa.Integer(), nullable=True),
        sa.Column('to_unit_id', sa.Integer(), nullable=True),
        sa.Column('to_office_id', sa.Integer(), nullable=True),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('place', sa.String(length=300), nullable=False),
        sa.Column('by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['feedback_id'], ['feedback.id'],
                                name=op.f('fk_case_transfers_feedback_id_feedback')),
        sa.ForeignKeyConstraint(['from_unit_id'], ['units.id'],
                                name=op.f('fk_case_transfers_from_unit_id_units')),
        sa.ForeignKeyConstraint(['from_park_id'], ['parks.id'],
                                name=op.f('fk_case_transfers_from_park_id_parks')),
        sa.ForeignKeyConstraint(['to_park_id'], ['parks.id'],
                                name=op.f('fk_case_transfers_to_park_id_parks')),
        sa.ForeignKeyConstraint(['to_unit_id'], ['units.id'],
                                name=op.f('fk_case_transfers_to_unit_id_units')),
        sa.ForeignKeyConstraint(['to_office_id'], ['outside_offices.id'],
                                name=op.f('fk_case_transfers_to_office_id_outside_offices')),
        sa.ForeignKeyConstraint(['by_id'], ['staff_users.id'],
                                name=op.f('fk_case_transfers_by_id_staff_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_transfers')),
    )
    op.create_index(op.f('ix_case_transfers_feedback_id'), 'case_transfers', ['feedback_id'])
    op.create_index(op.f('ix_case_transfers_from_unit_id'), 'case_transfers', ['from_unit_id'])
    # ADD COLUMN in place (no batch copy: see 0020)
    op.add_column('feedback',
                  sa.Column('transferred_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    op.execute('ALTER TABLE feedback DROP COLUMN transferred_at')
    op.drop_index(op.f('ix_case_transfers_from_unit_id'), table_name='case_transfers')
    op.drop_index(op.f('ix_case_transfers_feedback_id'), table_name='case_transfers')
    op.drop_table('case_transfers')
    op.drop_index(op.f('ix_outside_offices_unit_id'), table_name='outside_offices')
    op.drop_table('outside_offices')
