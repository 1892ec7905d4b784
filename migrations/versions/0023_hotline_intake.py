"""12345 tickets into the inbox: a ticket belongs to a unit, may be a case, carries the
hotline's own time limits and its 回单 (the answer sent back to the hotline platform)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 13:10:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

TICKET_COLUMNS = (
    ('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite')),
    ('needs_place', sa.Boolean()),
    ('address', sa.String(length=200)),
    ('contact', sa.String(length=120)),
    ('received_at', sa.DateTime(timezone=True)),
    ('respond_due_at', sa.DateTime(timezone=True)),
    ('resolve_due_at', sa.DateTime(timezone=True)),
    ('reply_contact', sa.String(length=16)),
    ('reply_result', sa.String(length=16)),
    ('reply_text', sa.Text()),
    ('replied_at', sa.DateTime(timezone=True)),
    ('replied_by_id', sa.Integer()),
)


def upgrade():
    # ADD COLUMN in place on units (referenced by many tables: no batch copy)
    op.add_column('units', sa.Column('hotline_respond_hours', sa.Integer(), nullable=False,
                                     server_default='24'))
    op.add_column('units', sa.Column('hotline_resolve_days', sa.Integer(), nullable=False,
                                     server_default='7'))
    # nothing references hotline_tickets: a batch copy on SQLite is safe
    with op.batch_alter_table('hotline_tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_id', sa.Integer(), nullable=True))
        for name, kind in TICKET_COLUMNS:
            batch_op.add_column(sa.Column(
                name, kind, nullable=name != 'needs_place',
                server_default=sa.false() if name == 'needs_place' else None))
    op.execute("UPDATE hotline_tickets SET unit_id = "
               "(SELECT parks.unit_id FROM parks WHERE parks.id = hotline_tickets.park_id)")
    with op.batch_alter_table('hotline_tickets', schema=None) as batch_op:
        batch_op.alter_column('unit_id', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('park_id', existing_type=sa.Integer(), nullable=True)
        batch_op.drop_constraint('uq_hotline_tickets_ticket_id', type_='unique')
        batch_op.create_unique_constraint('uq_hotline_tickets_unit_id', ['unit_id', 'ticket_id'])
        batch_op.create_unique_constraint('uq_hotline_tickets_case_id', ['case_id'])
        batch_op.create_foreign_key('fk_hotline_tickets_unit_id_units', 'units',
                                    ['unit_id'], ['id'])
        batch_op.create_foreign_key('fk_hotline_tickets_case_id_feedback', 'feedback',
                                    ['case_id'], ['id'])
        batch_op.create_foreign_key('fk_hotline_tickets_replied_by_id_staff_users',
                                    'staff_users', ['replied_by_id'], ['id'])
        batch_op.create_index('ix_hotline_tickets_unit_id', ['unit_id'])


def downgrade():
    # tickets that never found a park cannot go back to a table where every ticket has one
    op.execute("DELETE FROM hotline_tickets WHERE park_id IS NULL")
    with op.batch_alter_table('hotline_tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_hotline_tickets_unit_id')
        batch_op.drop_constraint('fk_hotline_tickets_replied_by_id_staff_users',
                                 type_='foreignkey')
        batch_op.drop_constraint('fk_hotline_tickets_case_id_feedback', type_='foreignkey')
        batch_op.drop_constraint('fk_hotline_tickets_unit_id_units', type_='foreignkey')
        batch_op.drop_constraint('uq_hotline_tickets_case_id', type_='unique')
        batch_op.drop_constraint('uq_hotline_tickets_unit_id', type_='unique')
        batch_op.create_unique_constraint('uq_hotline_tickets_ticket_id', ['ticket_id'])
        batch_op.alter_column('park_id', existing_type=sa.Integer(), nullable=False)
        for name, _kind in reversed(TICKET_COLUMNS):
            batch_op.drop_column(name)
        batch_op.drop_column('unit_id')
    for column in ('hotline_resolve_days', 'hotline_respond_hours'):
        op.drop_column('units', column)
