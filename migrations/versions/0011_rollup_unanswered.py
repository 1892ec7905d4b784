"""rollups: count the cases with no public reply yet ("unanswered", spam aside)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 10:00:00

"""
from collections import Counter
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa

import app.models.types


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

REPORT_TZ = ZoneInfo("Asia/Shanghai")  # the rollups' calendar (app.services.bureau.rollups)


def upgrade():
    for table in ('rollup_daily', 'rollup_monthly'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('unanswered', sa.Integer(), server_default='0',
                                          nullable=False))
    # the unanswered cases are few (an open case waiting for its first reply): count them
    # here, on the rows their days and months already have
    feedback = sa.table('feedback', sa.column('park_id'), sa.column('point_id'),
                        sa.column('category_id'), sa.column('created_at', app.models.types.UTCDateTime()),
                        sa.column('first_response_at'), sa.column('status'))
    rows = op.get_bind().execute(
        sa.select(feedback.c.park_id, feedback.c.point_id, feedback.c.category_id,
                  feedback.c.created_at)
        .where(feedback.c.first_response_at.is_(None), feedback.c.status != 'spam'))
    daily, monthly = Counter(), Counter()
    for park_id, point_id, category_id, created_at in rows:
        day = created_at.astimezone(REPORT_TZ).date()
        daily[(park_id, point_id or 0, category_id, day)] += 1
        monthly[(park_id, category_id, day.replace(day=1))] += 1
    daily_table = sa.table('rollup_daily', sa.column('park_id'), sa.column('point_id'),
                           sa.column('category_id'), sa.column('day', sa.Date()),
                           sa.column('unanswered'))
    monthly_table = sa.table('rollup_monthly', sa.column('park_id'), sa.column('category_id'),
                             sa.column('month', sa.Date()), sa.column('unanswered'))
    for (park_id, point_id, category_id, day), count in daily.items():
        op.execute(daily_table.update().where(
            daily_table.c.park_id == park_id, daily_table.c.point_id == point_id,
            daily_table.c.category_id == category_id, daily_table.c.day == day)
            .values(unanswered=count))
    for (park_id, category_id, month), count in monthly.items():
        op.execute(monthly_table.update().where(
            monthly_table.c.park_id == park_id, monthly_table.c.category_id == category_id,
            monthly_table.c.month == month).values(unanswered=count))


def downgrade():
    for table in ('rollup_daily', 'rollup_monthly'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('unanswered')
