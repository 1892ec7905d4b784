"""seasonal zones (专区): zones, the parks they cover, each unit's role for them, cases' zone

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-04 17:10:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'zones',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=True),
        sa.Column('name_zh', sa.String(length=60), nullable=False),
        sa.Column('name_en', sa.String(length=60), nullable=False),
        sa.Column('message_zh', sa.String(length=300), nullable=False),
        sa.Column('message_en', sa.String(length=300), nullable=False),
        sa.Column('category_zh', sa.String(length=60), nullable=False),
        sa.Column('category_en', sa.String(length=60), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('ends_on', sa.Date(), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ended_by_id', sa.Integer(), nullable=True),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_zones_unit_id_units')),
        sa.ForeignKeyConstraint(['ended_by_id'], ['staff_users.id'],
                                name=op.f('fk_zones_ended_by_id_staff_users')),
        sa.ForeignKeyConstraint(['created_by_id'], ['staff_users.id'],
                                name=op.f('fk_zones_created_by_id_staff_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_zones')),
        sa.UniqueConstraint('code', name=op.f('uq_zones_code')),
    )
    op.create_index(op.f('ix_zones_unit_id'), 'zones', ['unit_id'])
    op.create_table(
        'zone_parks',
        sa.Column('zone_id', sa.Integer(), nullable=False),
        sa.Column('park_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_zone_parks_zone_id_zones')),
        sa.ForeignKeyConstraint(['park_id'], ['parks.id'], name=op.f('fk_zone_parks_park_id_parks')),
        sa.PrimaryKeyConstraint('zone_id', 'park_id', name=op.f('pk_zone_parks')),
    )
    op.create_index(op.f('ix_zone_parks_park_id'), 'zone_parks', ['park_id'])
    op.create_table(
        'zone_roles',
        sa.Column('zone_id', sa.Integer(), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_zone_roles_zone_id_zones')),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_zone_roles_unit_id_units')),
        sa.PrimaryKeyConstraint('zone_id', 'unit_id', name=op.f('pk_zone_roles')),
    )
    # ADD COLUMN in place (no batch copy: see 0020)
    name = op.f('fk_feedback_zone_id_zones')
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite adds a column with its reference in one statement, never a constraint later
        op.execute(f'ALTER TABLE feedback ADD COLUMN zone_id INTEGER '
                   f'CONSTRAINT {name} REFERENCES zones (id)')
    else:
        op.add_column('feedback', sa.Column('zone_id', sa.Integer(), nullable=True))
        op.create_foreign_key(name, 'feedback', 'zones', ['zone_id'], ['id'])
    op.create_index(op.f('ix_feedback_zone_id'), 'feedback', ['zone_id'])


def downgrade():
    op.drop_index(op.f('ix_feedback_zone_id'), table_name='feedback')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(op.f('fk_feedback_zone_id_zones'), 'feedback', type_='foreignkey')
    # in place: SQLite drops a column whose reference is its own (3.35+), no table copy
    op.execute('ALTER TABLE feedback DROP COLUMN zone_id')
    op.drop_table('zone_roles')
    op.drop_index(op.f('ix_zone_parks_park_id'), table_name='zone_parks')
    op.drop_table('zone_parks')
    op.drop_index(op.f('ix_zones_unit_id'), table_name='zones')
    op.drop_table('zones')
