"""unit settings, routing rules, reply templates, audit log, job leases

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 00:35:43.383857

"""
from alembic import op
import sqlalchemy as sa

import app.models.types


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    # existing units get the defaults through server_default
    op.create_table('job_leases',
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('holder', sa.String(length=120), nullable=False),
    sa.Column('expires_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_started_at', app.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_finished_at', app.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_job_leases'))
    )
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('target_type', sa.String(length=40), nullable=False),
    sa.Column('target_id', sa.BigInteger(), nullable=True),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('created_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_audit_log_unit_id_units')),
    sa.ForeignKeyConstraint(['user_id'], ['staff_users.id'], name=op.f('fk_audit_log_user_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_audit_log_target', ['target_type', 'target_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_unit_id'), ['unit_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_user_id'), ['user_id'], unique=False)

    op.create_table('reply_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=80), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_reply_templates_category_id_categories')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_reply_templates_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reply_templates'))
    )
    with op.batch_alter_table('reply_templates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reply_templates_unit_id'), ['unit_id'], unique=False)

    op.create_table('routing_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('park_id', sa.Integer(), nullable=True),
    sa.Column('point_id', sa.Integer(), nullable=True),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('created_at', app.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_routing_rules_category_id_categories')),
    sa.ForeignKeyConstraint(['park_id'], ['parks.id'], name=op.f('fk_routing_rules_park_id_parks')),
    sa.ForeignKeyConstraint(['point_id'], ['points.id'], name=op.f('fk_routing_rules_point_id_points')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_routing_rules_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routing_rules'))
    )
    with op.batch_alter_table('routing_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_routing_rules_unit_id'), ['unit_id'], unique=False)

    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.add_column(sa.Column('autoclose_days', sa.Integer(), nullable=False, server_default='7'))
        batch_op.add_column(sa.Column('me_too_window_hours', sa.Integer(), nullable=False, server_default='24'))
        batch_op.add_column(sa.Column('work_start', sa.String(length=5), nullable=False, server_default='08:00'))
        batch_op.add_column(sa.Column('work_end', sa.String(length=5), nullable=False, server_default='18:00'))
        batch_op.add_column(sa.Column('work_days', sa.String(length=7), nullable=False, server_default='1234567'))

    # ### end Alembic commands ###


def downgrade():
    # existing units get the defaults through server_default
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_column('work_days')
        batch_op.drop_column('work_end')
        batch_op.drop_column('work_start')
        batch_op.drop_column('me_too_window_hours')
        batch_op.drop_column('autoclose_days')

    with op.batch_alter_table('routing_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_routing_rules_unit_id'))

    op.drop_table('routing_rules')
    with op.batch_alter_table('reply_templates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reply_templates_unit_id'))

    op.drop_table('reply_templates')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_user_id'))
        batch_op.drop_index(batch_op.f('ix_audit_log_unit_id'))
        batch_op.drop_index('ix_audit_log_target')
        batch_op.drop_index(batch_op.f('ix_audit_log_created_at'))

    op.drop_table('audit_log')
    op.drop_table('job_leases')
    # ### end Alembic commands ###
