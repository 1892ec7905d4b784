"""Benchmark: the bureau's league table (rollups) against a naive GROUP BY over the cases.

    .venv/bin/python bench/bureau.py --sizes 1000000,10000000 [--database URL] [--parks 1000]

For each size, the database is filled with synthetic history (`generate_history`, the
same code as `flask demo --cases`), then both queries run several times over the last
whole month and over the last twelve months; the medians and their ratio are printed.
The naive query only counts and sums (no medians, which would cost it more): it is the
cheapest thing one could do without rollups. The machine is shared: compare ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import case, func, select, text  # noqa: E402

from app import create_app  # noqa: E402
from app.config import TestingConfig  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Case, Park  # noqa: E402
from app.services.bureau.analytics import compare_parks, next_month  # noqa: E402
from app.services.bureau.rollups import REPORT_TZ  # noqa: E402
from app.services.demo.synthetic import generate_history  # noqa: E402


def timed(function: Callable[[], Any], repeat: int) -> float:
    """Median wall time in milliseconds."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
        db.session.rollback()
    return statistics.median(times)


def naive_group_by(start: date, end: date) -> list[Any]:
    """Per park and category: cases, within the limit, satisfaction, reopened, from the cases."""
    f = Case
    low = datetime(start.year, start.month, start.day, tzinfo=REPORT_TZ)
    high = datetime(end.year, end.month, end.day, tzinfo=REPORT_TZ)
    return list(db.session.execute(
        select(f.park_id, f.category_id, func.count(),
               func.sum(case((f.first_response_at <= f.reply_due_at, 1), else_=0)),
               func.avg(f.satisfaction),
               func.sum(case((f.reopen_count > 0, 1), else_=0)))
        .where(f.created_at >= low, f.created_at < high)
        .group_by(f.park_id, f.category_id)
    ))


def league_table(start: date, end: date) -> Any:
    """What /bureau/ does for a bureau user: load the parks, compare them."""
    parks = list(db.session.scalars(select(Park).order_by(Park.id)))
    return compare_parks(parks, start, end, min_cases=20)


def main() -> None:
    parser = argparse.ArgumentParser(description="League table: rollups vs naive GROUP BY")
    parser.add_argument("--sizes", default="1000000",
                        help="comma-separated case counts, ascending (default 1000000)")
    parser.add_argument("--database", default="",
                        help="database URL (default: a new SQLite file); it is emptied first")
    parser.add_argument("--parks", type=int, default=1000)
    parser.add_argument("--days", type=int, default=5 * 365)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    url = args.database or f"sqlite:///{tempfile.mkdtemp(prefix='bench-bureau-')}/bench.db"
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url)
    print(f"database {url.split(':')[0]}, {args.parks} parks, {args.days} days, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    with app.app_context():
        db.drop_all()
        db.create_all()
        have = 0
        for size in sizes:
            started = time.perf_counter()
            added = generate_history(size - have, parks=args.parks, days=args.days, seed=size)
            have += added
            generated = time.perf_counter() - started
            if db.engine.dialect.name == "postgresql":
                with db.engine.connect() as connection:
                    connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                        text("VACUUM ANALYZE"))
            else:
                db.session.execute(text("ANALYZE"))
                db.session.commit()
            this_month = datetime.now(REPORT_TZ).date().replace(day=1)
            month = (this_month - timedelta(days=1)).replace(day=1)
            year = (this_month.replace(year=this_month.year - 1), this_month)
            print(f"\n{have:,} cases (added in {generated:.1f} s, "
                  f"{added / max(generated, 1e-9):,.0f} cases/s)")
            for label, (start, end) in (("last month", (month, next_month(month))),
                                        ("last 12 months", year)):
                rollup_ms = timed(lambda s=start, e=end: league_table(s, e), args.repeat)
                naive_ms = timed(lambda s=start, e=end: naive_group_by(s, e), args.repeat)
                print(f"  {label:15} league table from rollups {rollup_ms:9.1f} ms   "
                      f"naive GROUP BY over cases {naive_ms:9.1f} ms   "
                      f"ratio {naive_ms / rollup_ms:6.1f}x", flush=True)


if __name__ == "__main__":
    main()
