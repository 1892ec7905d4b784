"""warnings see reports: burst warnings linking a case, acknowledged by a person

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 20:20:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    # ADD COLUMN in place (no batch copy: see 0020)
    op.add_column('early_warnings', sa.Column('kind', sa.String(length=10), nullable=False,
                                              server_default='spike'))
    op.add_column('early_warnings', sa.Column('case_id', sa.BigInteger(), nullable=True))
    op.add_column('early_warnings', sa.Column('acknowledged_at', sa.DateTime(timezone=True),
                                              nullable=True))
    name = op.f('fk_early_warnings_acknowledged_by_id_staff_users')
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite adds a column with its reference in one statement, never a constraint later
        op.execute(f'ALTER TABLE early_warnings ADD COLUMN acknowledged_by_id INTEGER '
                   f'CONSTRAINT {name} REFERENCES staff_users (id)')
    else:
        op.add_column('early_warnings', sa.Column('acknowledged_by_id', sa.Integer(),
                                                  nullable=True))
        op.create_foreign_key(name, 'early_warnings', 'staff_users',
                              ['acknowledged_by_id'], ['id'])
    op.add_column('early_warnings', sa.Column('acknowledgement_note', sa.Text(),
                                              nullable=False, server_default=''))
    op.create_index('ix_events_created_at', 'events', ['created_at'])


def downgrade():
    op.drop_index('ix_events_created_at', table_name='events')
    # in batch mode: SQLite drops no column that a reference names; nothing points at
    # early_warnings, so its copy is safe (PostgreSQL drops the constraint with the column)
    with op.batch_alter_table('early_warnings') as batch:
        for column in ('acknowledgement_note', 'acknowledged_by_id', 'acknowledged_at',
                       'case_id', 'kind'):
            batch.drop_column(column)
