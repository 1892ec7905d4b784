"""Daily and monthly case rollups, kept up to date incrementally from SQLAlchemy session hooks.

Every flush that inserts, changes or deletes a `Feedback` adds the difference between the
case's new and old contribution to its rollup rows, in the same transaction, with upserts
(`col = col + delta`). So the figures can never drift from the cases through a code path
that forgets to update them, as long as cases are changed through the ORM (a Core
`update(Feedback)` bypasses the hooks: run `recompute_rollups` after one).
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, delete, event, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, UOWTransaction

from app.extensions import db
from app.models import OPEN_STATUSES, Feedback, rollup_daily, rollup_monthly
from app.models.bureau import MEASURES, RESOLVE_EDGES, RESPONSE_EDGES

log = logging.getLogger(__name__)

# the city's calendar: days, months and hours of the rollups are local to it
REPORT_TZ = ZoneInfo("Asia/Shanghai")
OLD_SNAPSHOTS_KEY = "park_mailbox_rollup_old"
TRACKED = ("park_id", "point_id", "category_id", "created_at", "status", "first_response_at",
           "reply_due_at", "resolved_at", "satisfaction", "reopen_count", "me_too_count")
OPEN_VALUES = frozenset(str(status) for status in OPEN_STATUSES)

DailyKey = tuple[int, int, int, date]
MonthlyKey = tuple[int, int, date]
Deltas = dict[str, int]


@dataclass(frozen=True)
class CaseFacts:
    """The fields of a case that the rollups depend on."""

    park_id: int
    point_id: int | None
    category_id: int
    created_at: datetime
    status: str
    first_response_at: datetime | None
    reply_due_at: datetime | None
    resolved_at: datetime | None
    satisfaction: int | None
    reopen_count: int
    me_too_count: int

    @classmethod
    def of(cls, values: Mapping[str, Any] | Any) -> CaseFacts:
        def get(name: str) -> Any:
            return values[name] if isinstance(values, Mapping) else getattr(values, name)

        return cls(
            park_id=get("park_id"), point_id=get("point_id"), category_id=get("category_id"),
            created_at=get("created_at"), status=str(get("status") or "new"),
            first_response_at=get("first_response_at"), reply_due_at=get("reply_due_at"),
            resolved_at=get("resolved_at"), satisfaction=get("satisfaction"),
            reopen_count=get("reopen_count") or 0, me_too_count=get("me_too_count") or 0,
        )


def local_time(moment: datetime) -> datetime:
    return moment.astimezone(REPORT_TZ)


def _minutes(start: datetime, end: datetime) -> float:
    return max(0.0, (end - start).total_seconds() / 60)


def response_bucket(minutes: float) -> int:
    return bisect_left(RESPONSE_EDGES, minutes)


def resolve_bucket(minutes: float) -> int:
    return bisect_left(RESOLVE_EDGES, minutes)


def contribution(case: CaseFacts) -> tuple[DailyKey, MonthlyKey, Deltas]:
    """What one case adds to its daily and monthly rollup rows."""
    local = local_time(case.created_at)
    day = local.date()
    values: Deltas = {"cases": 1, f"h_{local.hour}": 1}
    if case.status in OPEN_VALUES:
        values["open_cases"] = 1
    if case.me_too_count:
        values["me_too"] = case.me_too_count
    if case.first_response_at is not None:
        values["responded"] = 1
        bucket = response_bucket(_minutes(case.created_at, case.first_response_at))
        values[f"rsp_{bucket}"] = 1
    if case.reply_due_at is not None:
        values["with_limit"] = 1
        if case.first_response_at is not None and case.first_response_at <= case.reply_due_at:
            values["within_limit"] = 1
    if case.resolved_at is not None:
        values["resolved"] = 1
        values[f"res_{resolve_bucket(_minutes(case.created_at, case.resolved_at))}"] = 1
    if case.resolved_at is not None or case.reopen_count > 0:
        values["resolved_ever"] = 1
    if case.reopen_count > 0:
        values["reopened"] = 1
    if case.satisfaction is not None:
        values["sat_count"] = 1
        values["sat_sum"] = case.satisfaction
    daily_key = (case.park_id, case.point_id or 0, case.category_id, day)
    monthly_key = (case.park_id, case.category_id, day.replace(day=1))
    return daily_key, monthly_key, values


class RollupDelta:
    """Differences to add to rollup rows, gathered before they are written."""

    def __init__(self) -> None:
        self.daily: dict[DailyKey, Deltas] = defaultdict(dict)
        self.monthly: dict[MonthlyKey, Deltas] = defaultdict(dict)

    def add(self, case: CaseFacts, sign: int = 1) -> None:
        daily_key, monthly_key, values = contribution(case)
        for target in (self.daily[daily_key], self.monthly[monthly_key]):
            for name, value in values.items():
                target[name] = target.get(name, 0) + sign * value

    def rows(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Non-zero rows for each table, every measure present (zeros included)."""
        daily = [
            {"park_id": k[0], "point_id": k[1], "category_id": k[2], "day": k[3],
             **{m: v.get(m, 0) for m in MEASURES}}
            for k, v in self.daily.items() if any(v.values())
        ]
        monthly = [
            {"park_id": k[0], "category_id": k[1], "month": k[2],
             **{m: v.get(m, 0) for m in MEASURES}}
            for k, v in self.monthly.items() if any(v.values())
        ]
        return daily, monthly


def _upsert(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table)
    keys = [column.name for column in table.primary_key.columns]
    statement = statement.on_conflict_do_update(
        index_elements=keys,
        set_={m: table.c[m] + statement.excluded[m] for m in MEASURES},
    )
    # a stable order keeps concurrent writers from deadlocking on PostgreSQL
    rows.sort(key=lambda row: tuple(row[k] for k in keys))
    session.connection().execute(statement, rows)


def apply_delta(session: Session, delta: RollupDelta) -> None:
    """Add the gathered differences to the rollup tables (in the session's transaction)."""
    daily, monthly = delta.rows()
    _upsert(session, rollup_daily, daily)
    _upsert(session, rollup_monthly, monthly)


# --- session hooks --------------------------------------------------------------------

def _changed(case: Feedback) -> bool:
    state = inspect(case)
    return any(state.attrs[name].history.has_changes() for name in TRACKED)


def _before_flush(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    # The old values are read from the database: an attribute set without having been
    # loaded has no "before" in its history.
    ids = [case.id for case in session.dirty
           if isinstance(case, Feedback) and case.id is not None and _changed(case)]
    ids += [case.id for case in session.deleted if isinstance(case, Feedback)]
    if not ids:
        return
    columns = [Feedback.__table__.c[name] for name in TRACKED]
    rows = session.connection().execute(
        select(Feedback.__table__.c.id, *columns).where(Feedback.__table__.c.id.in_(ids))
    ).mappings()
    old = session.info.setdefault(OLD_SNAPSHOTS_KEY, {})
    for row in rows:
        old[row["id"]] = CaseFacts.of(row)


def _after_flush(session: Session, _context: UOWTransaction) -> None:
    old: dict[int, CaseFacts] = session.info.pop(OLD_SNAPSHOTS_KEY, {})
    delta = RollupDelta()
    touched = False
    for case in session.new:
        if isinstance(case, Feedback):
            delta.add(CaseFacts.of(case))
            touched = True
    for case in session.dirty:
        if isinstance(case, Feedback) and case.id in old:
            delta.add(old.pop(case.id), -1)
            delta.add(CaseFacts.of(case))
            touched = True
    for case in session.deleted:
        if isinstance(case, Feedback) and case.id in old:
            delta.add(old.pop(case.id), -1)
            touched = True
    if touched:
        apply_delta(session, delta)


def install_rollup_hooks() -> None:
    """Register the flush hooks once per process (idempotent)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush", _after_flush)


# --- full recomputation ---------------------------------------------------------------

def rollup_rows(cases: Iterable[CaseFacts]) -> RollupDelta:
    """The rollups of a set of cases, computed from scratch."""
    delta = RollupDelta()
    for case in cases:
        delta.add(case)
    return delta


def recompute_rollups(batch: int = 50_000) -> int:
    """Rebuild both rollup tables from the case table; return the number of cases read."""
    session = db.session()
    columns = [Feedback.__table__.c[name] for name in TRACKED]
    delta = RollupDelta()
    count = 0
    result = session.execute(
        select(*columns).execution_options(yield_per=batch)
    ).mappings()
    for row in result:
        delta.add(CaseFacts.of(row))
        count += 1
    session.execute(delete(rollup_daily))
    session.execute(delete(rollup_monthly))
    daily, monthly = delta.rows()
    for table, rows in ((rollup_daily, daily), (rollup_monthly, monthly)):
        for start in range(0, len(rows), batch):
            session.execute(table.insert(), rows[start:start + batch])
    log.info("rollups recomputed from %d cases", count)
    return count
