"""rollups: the counts behind 满意率 and 解决率 and the reports ("satisfied", "reopens",
"not_counted"); spam leaves the cases with a reply deadline (it needs no reply)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 19:20:00

"""
from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa

import app.models.types


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

REPORT_TZ = ZoneInfo("Asia/Shanghai")  # the rollups' calendar (app.services.bureau.rollups)
NEW_COLUMNS = ('satisfied', 'reopens', 'not_counted')


def _changes(sign=1):
    """Per rollup row, what to add to each column: only the cases rated, reopened, spam or
    duplicate change anything, so they are read here and counted in Python (as in 0011).
    sign=-1: only what puts spam back among the cases with a deadline (downgrade)."""
    feedback = sa.table('feedback', sa.column('park_id'), sa.column('point_id'),
                        sa.column('category_id'),
                        sa.column('created_at', app.models.types.UTCDateTime()),
                        sa.column('first_response_at', app.models.types.UTCDateTime()),
                        sa.column('reply_due_at', app.models.types.UTCDateTime()),
                        sa.column('status'), sa.column('satisfaction'),
                        sa.column('reopen_count'))
    f = feedback.c
    rows = op.get_bind().execute(
        sa.select(f.park_id, f.point_id, f.category_id, f.created_at, f.first_response_at,
                  f.reply_due_at, f.status, f.satisfaction, f.reopen_count)
        .where(sa.or_(f.satisfaction >= 4, f.reopen_count > 0,
                      f.status.in_(['spam', 'duplicate']))))
    daily, monthly = defaultdict(Counter), defaultdict(Counter)
    for park_id, point_id, category_id, created, responded, due, status, rating, reopens in rows:
        day = created.astimezone(REPORT_TZ).date()
        change = Counter()
        if status == 'spam' and due is not None:
            change['with_limit'] -= sign
            if responded is not None and responded <= due:
                change['within_limit'] -= sign
        if sign > 0:  # the new columns (a downgrade drops them)
            if rating is not None and rating >= 4:
                change['satisfied'] += 1
            if reopens:
                change['reopens'] += reopens
            if status in ('spam', 'duplicate'):
                change['not_counted'] += 1
        daily[(park_id, point_id or 0, category_id, day)].update(change)
        monthly[(park_id, category_id, day.replace(day=1))].update(change)
    return daily, monthly


def _apply(table, keys, changes):
    for key, change in changes.items():
        values = {name: table.c[name] + amount for name, amount in change.items() if amount}
        if values:
            op.execute(table.update().where(
                *[table.c[name] == value for name, value in zip(keys, key)]).values(values))


def _tables():
    measures = ('with_limit', 'within_limit', *NEW_COLUMNS)
    daily = sa.table('rollup_daily', sa.column('park_id'), sa.column('point_id'),
                     sa.column('category_id'), sa.column('day', sa.Date()),
                     *[sa.column(name) for name in measures])
    monthly = sa.table('rollup_monthly', sa.column('park_id'), sa.column('category_id'),
                       sa.column('month', sa.Date()), *[sa.column(name) for name in measures])
    return daily, monthly


def _apply_all(sign):
    daily_table, monthly_table = _tables()
    daily, monthly = _changes(sign)
    _apply(daily_table, ('park_id', 'point_id', 'category_id', 'day'), daily)
    _apply(monthly_table, ('park_id', 'category_id', 'month'), monthly)


def upgrade():
    for table in ('rollup_daily', 'rollup_monthly'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in NEW_COLUMNS:
                batch_op.add_column(sa.Column(name, sa.Integer(), server_default='0',
                                              nullable=False))
    _apply_all(1)


def downgrade():
    _apply_all(-1)  # spam back among the cases with a deadline, as before
    for table in ('rollup_daily', 'rollup_monthly'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in NEW_COLUMNS:
                batch_op.drop_column(name)
