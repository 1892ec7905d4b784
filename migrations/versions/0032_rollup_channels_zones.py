"""rollups: the cases by intake channel (a count per channel in both rollups) and a daily
table of the cases sent through each seasonal zone, both counted from the cases already there

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-05 12:00:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite


# revision identifiers, used by Alembic.
revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None

# the codes of services.cases.workflow.intake_channel(), as of this revision
CODES = ('qr', 'hotline', 'phone', 'counter', 'patrol', 'other', 'api')
COLUMNS = tuple(f'ch_{code}' for code in CODES)


def _cases(dialect):
    """Per case: its rollup keys (local day and month, as app.services.bureau.rollups counts
    them; Asia/Shanghai has had no daylight saving since 1991), intake channel and zone."""
    f = sa.table('feedback', sa.column('park_id'), sa.column('point_id'),
                 sa.column('category_id'), sa.column('created_at'), sa.column('source'),
                 sa.column('channel'), sa.column('zone_id')).c
    if dialect == 'postgresql':
        local = sa.func.timezone('Asia/Shanghai', f.created_at)
        day = sa.cast(local, sa.Date)
        month = sa.cast(sa.func.date_trunc('month', local), sa.Date)
    else:
        day = sa.func.date(f.created_at, '+8 hours')
        month = sa.func.date(f.created_at, '+8 hours', 'start of month')
    intake = sa.case((f.source == 'staff', sa.func.coalesce(f.channel, 'other')),
                     (f.source.in_(['api', 'open311']), 'api'), else_=f.source)
    return sa.select(f.park_id, sa.func.coalesce(f.point_id, 0).label('point_id'),
                     f.category_id, f.zone_id, day.label('day'), month.label('month'),
                     intake.label('intake')).subquery('c')


def _count_channels(dialect, name, keys):
    """Set the channel counts of every row of one rollup table (a row per key the cases
    have; a missing row, if the rollups had drifted, comes with its channels only)."""
    insert = postgresql.insert if dialect == 'postgresql' else sqlite.insert
    table = sa.table(name, *[sa.column(key) for key in keys],
                     *[sa.column(column) for column in COLUMNS])
    c = _cases(dialect).c
    counts = [sa.func.sum(sa.case((c.intake == code, 1), else_=0)) for code in CODES]
    # WHERE (true) keeps SQLite from reading ON CONFLICT as a join's ON
    query = sa.select(*[c[key] for key in keys], *counts).where(sa.true()).group_by(
        *[c[key] for key in keys])
    statement = insert(table).from_select([*keys, *COLUMNS], query)
    statement = statement.on_conflict_do_update(
        index_elements=list(keys), set_={column: statement.excluded[column]
                                         for column in COLUMNS})
    op.execute(statement)


def upgrade():
    for name in ('rollup_daily', 'rollup_monthly'):
        with op.batch_alter_table(name, schema=None) as batch_op:
            for column in COLUMNS:
                batch_op.add_column(sa.Column(column, sa.Integer(), server_default='0',
                                              nullable=False))
    op.create_table(
        'rollup_zone_daily',
        sa.Column('park_id', sa.Integer(), nullable=False),
        sa.Column('zone_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('cases', sa.Integer(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('park_id', 'zone_id', 'day', name=op.f('pk_rollup_zone_daily')),
    )
    op.create_index('ix_rollup_zone_daily_day', 'rollup_zone_daily', ['day'], unique=False)

    dialect = op.get_bind().dialect.name
    _count_channels(dialect, 'rollup_daily', ('park_id', 'point_id', 'category_id', 'day'))
    _count_channels(dialect, 'rollup_monthly', ('park_id', 'category_id', 'month'))
    c = _cases(dialect).c
    zones = sa.table('rollup_zone_daily', sa.column('park_id'), sa.column('zone_id'),
                     sa.column('day'), sa.column('cases'))
    op.execute(zones.insert().from_select(
        ['park_id', 'zone_id', 'day', 'cases'],
        sa.select(c.park_id, c.zone_id, c.day, sa.func.count())
        .where(c.zone_id.is_not(None)).group_by(c.park_id, c.zone_id, c.day)))


def downgrade():
    op.drop_index('ix_rollup_zone_daily_day', table_name='rollup_zone_daily')
    op.drop_table('rollup_zone_daily')
    for name in ('rollup_daily', 'rollup_monthly'):
        with op.batch_alter_table(name, schema=None) as batch_op:
            for column in COLUMNS:
                batch_op.drop_column(column)
