"""Daily and monthly case rollups, kept up to date incrementally from SQLAlchemy session hooks.

Every flush that inserts, changes or deletes a `Feedback` adds the difference between the
case's new and old contribution to its rollup rows, in the same transaction, with upserts
(`col = col + delta`). So the figures can never drift from the cases through a code path
that forgets to update them, as long as cases are changed through the ORM (a Core
`update(Feedback)` bypasses the hooks: run `recompute_rollups` after one). The same
flushes keep a third table, the cases sent through each seasonal zone per park and day.
"""

from __future__ import annotations

import logging
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Date,
    Integer,
    Table,
    and_,
    cast,
    delete,
    func,
    inspect,
    or_,
    select,
    true,
)
from sqlalchemy import case as sql_case
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, UOWTransaction

from app.extensions import db
from app.models import (
    OPEN_STATUSES,
    Case,
    Source,
    Status,
    rollup_daily,
    rollup_monthly,
    rollup_zone_daily,
)
from app.models.bureau import INTAKE_CODES, MEASURES, RESOLVE_EDGES, RESPONSE_EDGES
from app.services.cases.workflow import intake_channel, intake_channel_of

log = logging.getLogger(__name__)

# the city's calendar: days, months and hours of the rollups are local to it
REPORT_TZ = ZoneInfo("Asia/Shanghai")
OLD_SNAPSHOTS_KEY = "park_mailbox_rollup_old"
TRACKED = ("park_id", "spot_id", "category_id", "created_at", "status", "first_response_at",
           "reply_due_at", "resolved_at", "satisfaction", "reopen_count", "me_too_count",
           "source", "channel", "zone_id")
TRACKED_SET = frozenset(TRACKED)
OPEN_VALUES = frozenset(str(status) for status in OPEN_STATUSES)
# a rating from this up (of 1-5) is "satisfied" for 满意率
SATISFIED = 4
# not a case of its own: left out of 解决率 (spam is also left out of 响应率: it needs no reply)
NOT_COUNTED = frozenset({Status.SPAM.value, Status.DUPLICATE.value})

DailyKey = tuple[int, int, int, date]
MonthlyKey = tuple[int, int, date]
ZoneKey = tuple[int, int, date]


@dataclass(frozen=True)
class CaseFacts:
    """The fields of a case that the rollups depend on."""

    park_id: int
    spot_id: int | None
    category_id: int
    created_at: datetime
    status: str
    first_response_at: datetime | None
    reply_due_at: datetime | None
    resolved_at: datetime | None
    satisfaction: int | None
    reopen_count: int
    me_too_count: int
    source: str
    channel: str | None
    zone_id: int | None

    @classmethod
    def of(cls, values: Mapping[str, Any] | Any) -> CaseFacts:
        def get(name: str) -> Any:
            return values[name] if isinstance(values, Mapping) else getattr(values, name)

        return cls(
            park_id=get("park_id"), spot_id=get("spot_id"), category_id=get("category_id"),
            created_at=get("created_at"), status=str(get("status") or "new"),
            first_response_at=get("first_response_at"), reply_due_at=get("reply_due_at"),
            resolved_at=get("resolved_at"), satisfaction=get("satisfaction"),
            reopen_count=get("reopen_count") or 0, me_too_count=get("me_too_count") or 0,
            source=str(get("source") or Source.QR.value), channel=get("channel"),
            zone_id=get("zone_id"),
        )


def _seconds(start: datetime, end: datetime) -> float:
    # rounded to the millisecond, as the SQL recomputation does (no edge falls between)
    return round((end - start).total_seconds(), 3)


RESPONSE_EDGE_SECONDS = tuple(edge * 60 for edge in RESPONSE_EDGES)
RESOLVE_EDGE_SECONDS = tuple(edge * 60 for edge in RESOLVE_EDGES)


def response_bucket(seconds: float) -> int:
    return bisect_left(RESPONSE_EDGE_SECONDS, seconds)


def resolve_bucket(seconds: float) -> int:
    return bisect_left(RESOLVE_EDGE_SECONDS, seconds)


MEASURE_INDEX = {name: index for index, name in enumerate(MEASURES)}
_I = MEASURE_INDEX
HOUR_INDEX = tuple(_I[f"h_{hour}"] for hour in range(24))
RESPONSE_INDEX = tuple(_I[f"rsp_{b}"] for b in range(len(RESPONSE_EDGES) + 1))
RESOLVE_INDEX = tuple(_I[f"res_{b}"] for b in range(len(RESOLVE_EDGES) + 1))
# a source or channel the app never writes (only raw SQL could) has no code here: counted
# in no channel, by the hooks and by the recomputation alike
CHANNEL_INDEX = {code: _I[f"ch_{code}"] for code in INTAKE_CODES}
Contribution = list[tuple[int, int]]  # (index in MEASURES, value)


def contribution_of(park_id: int, spot_id: int | None, category_id: int,
                    created_at: datetime, status: str, first_response_at: datetime | None,
                    reply_due_at: datetime | None, resolved_at: datetime | None,
                    satisfaction: int | None, reopen_count: int, me_too_count: int, *,
                    source: str, channel: str | None, zone_id: int | None,
                    ) -> tuple[DailyKey, MonthlyKey, Contribution, ZoneKey | None]:
    """What one case adds to its daily and monthly rollup rows (see models.bureau.SCALARS),
    and the key of its row of cases by zone (None: not sent through a zone)."""
    local = created_at.astimezone(REPORT_TZ)
    day = local.date()
    values: Contribution = [(_I["cases"], 1), (HOUR_INDEX[local.hour], 1)]
    channel_index = CHANNEL_INDEX.get(intake_channel_of(source, channel))
    if channel_index is not None:
        values.append((channel_index, 1))
    if status in OPEN_VALUES:
        values.append((_I["open_cases"], 1))
    if me_too_count:
        values.append((_I["me_too"], me_too_count))
    if first_response_at is not None:
        values.append((_I["responded"], 1))
        bucket = response_bucket(_seconds(created_at, first_response_at))
        values.append((RESPONSE_INDEX[bucket], 1))
    elif status != Status.SPAM:
        values.append((_I["unanswered"], 1))
    if reply_due_at is not None and status != Status.SPAM:
        values.append((_I["with_limit"], 1))
        if first_response_at is not None and first_response_at <= reply_due_at:
            values.append((_I["within_limit"], 1))
    if status in NOT_COUNTED:
        values.append((_I["not_counted"], 1))
    if resolved_at is not None:
        values.append((_I["resolved"], 1))
        values.append((RESOLVE_INDEX[resolve_bucket(_seconds(created_at, resolved_at))], 1))
    if resolved_at is not None or reopen_count > 0:
        values.append((_I["resolved_ever"], 1))
    if reopen_count > 0:
        values.append((_I["reopened"], 1))
        values.append((_I["reopens"], reopen_count))
    if satisfaction is not None:
        values.append((_I["sat_count"], 1))
        values.append((_I["sat_sum"], satisfaction))
        if satisfaction >= SATISFIED:
            values.append((_I["satisfied"], 1))
    daily_key = (park_id, spot_id or 0, category_id, day)
    monthly_key = (park_id, category_id, day.replace(day=1))
    zone_key = None if zone_id is None else (park_id, zone_id, day)
    return daily_key, monthly_key, values, zone_key


def contribution(case: CaseFacts) -> tuple[DailyKey, MonthlyKey, Contribution, ZoneKey | None]:
    return contribution_of(
        case.park_id, case.spot_id, case.category_id, case.created_at, case.status,
        case.first_response_at, case.reply_due_at, case.resolved_at, case.satisfaction,
        case.reopen_count, case.me_too_count, source=case.source, channel=case.channel,
        zone_id=case.zone_id)


class RollupDelta:
    """Differences to add to rollup rows, gathered before they are written."""

    def __init__(self) -> None:
        self.daily: dict[DailyKey, list[int]] = {}
        self.monthly: dict[MonthlyKey, list[int]] = {}
        self.zones: dict[ZoneKey, int] = {}

    def add_contribution(self, daily_key: DailyKey, monthly_key: MonthlyKey,
                         values: Contribution, zone_key: ZoneKey | None, sign: int = 1) -> None:
        daily = self.daily.get(daily_key)
        if daily is None:
            daily = self.daily[daily_key] = [0] * len(MEASURES)
        monthly = self.monthly.get(monthly_key)
        if monthly is None:
            monthly = self.monthly[monthly_key] = [0] * len(MEASURES)
        for index, value in values:
            daily[index] += sign * value
            monthly[index] += sign * value
        if zone_key is not None:
            self.zones[zone_key] = self.zones.get(zone_key, 0) + sign

    def add(self, case: CaseFacts, sign: int = 1) -> None:
        self.add_contribution(*contribution(case), sign=sign)

    def rows(self) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]],
                            list[tuple[Any, ...]]]:
        """Rows (keys, then every measure) for each table, leaving out all-zero ones."""
        daily = [(*key, *values) for key, values in self.daily.items() if any(values)]
        monthly = [(*key, *values) for key, values in self.monthly.items() if any(values)]
        zones = [(*key, cases) for key, cases in self.zones.items() if cases]
        return daily, monthly, zones


@lru_cache(maxsize=8)
def _upsert_sql(table: Table, dialect: str) -> str:
    keys = [column.name for column in table.primary_key.columns]
    measures = [column.name for column in table.columns if not column.primary_key]
    columns = [*keys, *measures]
    mark = "?" if dialect == "sqlite" else "%s"
    updates = ", ".join(f"{m} = {table.name}.{m} + excluded.{m}" for m in measures)
    return (f"INSERT INTO {table.name} ({', '.join(columns)}) "  # noqa: S608 - our names
            f"VALUES ({', '.join([mark] * len(columns))}) "
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}")


def _upsert(session: Session, table: Table, rows: list[tuple[Any, ...]], key_count: int) -> None:
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect.name
    # a stable order keeps concurrent writers from deadlocking on PostgreSQL
    rows.sort(key=lambda row: row[:key_count])
    if dialect == "sqlite":  # dates as the ISO text SQLAlchemy stores (no implicit adapter)
        day = key_count - 1
        rows = [(*row[:day], row[day].isoformat(), *row[key_count:]) for row in rows]
    connection.exec_driver_sql(_upsert_sql(table, dialect), rows)


def apply_delta(session: Session, delta: RollupDelta) -> None:
    """Add the gathered differences to the rollup tables (in the session's transaction)."""
    daily, monthly, zones = delta.rows()
    _upsert(session, rollup_daily, daily, 4)
    _upsert(session, rollup_monthly, monthly, 3)
    _upsert(session, rollup_zone_daily, zones, 3)


# --- session hooks --------------------------------------------------------------------

def _changed(case: Case) -> bool:
    state = inspect(case)
    return any(state.attrs[name].history.has_changes() for name in TRACKED)


def _loaded_facts(case: Case) -> CaseFacts | None:
    """The case's tracked values as the session last loaded or flushed them; None when one
    of them is not known here (never loaded, expired, or set without having been loaded)."""
    state = inspect(case)
    if state.unloaded & TRACKED_SET:
        return None
    values = {}
    for name in TRACKED:
        history = state.attrs[name].history
        if history.deleted:
            values[name] = history.deleted[0]
        elif history.unchanged:
            values[name] = history.unchanged[0]
        else:
            return None
    return CaseFacts.of(values)


def note_old_values(session: Session, _context: UOWTransaction, _instances: Any) -> None:
    # The old values come from the session when it holds them all (the usual case: the
    # change loaded the case first), else from the database: an attribute set without
    # having been loaded has no "before" in its history.
    old = session.info.setdefault(OLD_SNAPSHOTS_KEY, {})
    ids = []
    for case in session.dirty:
        if isinstance(case, Case) and case.id is not None and _changed(case):
            facts = _loaded_facts(case)
            if facts is None:
                ids.append(case.id)
            else:
                old[case.id] = facts
    ids += [case.id for case in session.deleted if isinstance(case, Case)]
    if not ids:
        return
    # by attribute name (the spot's column is still called point_id)
    columns = [getattr(Case, name).label(name) for name in TRACKED]
    rows = session.connection().execute(
        select(Case.id, *columns).where(Case.id.in_(ids))
    ).mappings()
    for row in rows:
        old[row["id"]] = CaseFacts.of(row)


def apply_changes(session: Session, _context: UOWTransaction) -> None:
    old: dict[int, CaseFacts] = session.info.pop(OLD_SNAPSHOTS_KEY, {})
    delta = RollupDelta()
    touched = False
    for case in session.new:
        if isinstance(case, Case):
            delta.add(CaseFacts.of(case))
            touched = True
    for case in session.dirty:
        if isinstance(case, Case) and case.id in old:
            delta.add(old.pop(case.id), -1)
            delta.add(CaseFacts.of(case))
            touched = True
    for case in session.deleted:
        if isinstance(case, Case) and case.id in old:
            delta.add(old.pop(case.id), -1)
            touched = True
    if touched:
        apply_delta(session, delta)



# --- recomputation in SQL -------------------------------------------------------------
#
# A second, independent implementation of `contribution`, in SQL: the rollup property test
# checks that the two agree, the synthetic history uses it for bulk-inserted cases, and
# `flask bureau rollups` rebuilds the tables with it. Asia/Shanghai has had no daylight
# saving time since 1991, so SQLite may use a fixed +8 hours.

def _sql_parts(dialect: str) -> dict[str, Any]:
    f = Case.__table__.c
    if dialect == "postgresql":
        local = func.timezone(REPORT_TZ.key, f.created_at)

        def seconds(end: Any) -> Any:
            return func.round(func.extract("epoch", end - f.created_at), 3)

        return {"day": cast(local, Date), "month": cast(func.date_trunc("month", local), Date),
                "hour": cast(func.extract("hour", local), Integer), "seconds": seconds}

    def sqlite_seconds(end: Any) -> Any:
        return func.round((func.julianday(end) - func.julianday(f.created_at)) * 86400.0, 3)

    return {"day": func.date(f.created_at, "+8 hours"),
            "month": func.date(f.created_at, "+8 hours", "start of month"),
            "hour": cast(func.strftime("%H", f.created_at, "+8 hours"), Integer),
            "seconds": sqlite_seconds}


def _bucket(seconds: Any, edges: tuple[int, ...]) -> Any:
    return sql_case(*[(seconds <= edge * 60, index) for index, edge in enumerate(edges)],
                else_=len(edges))


def _per_case_query(dialect: str, where: list[Any]) -> Any:
    f = Case.__table__.c
    parts = _sql_parts(dialect)
    seconds = parts["seconds"]
    return select(
        f.park_id, func.coalesce(f.point_id, 0).label("point_id"), f.category_id,
        parts["day"].label("day"), parts["month"].label("month"), parts["hour"].label("hour"),
        f.status, f.me_too_count, f.satisfaction, f.reopen_count, f.zone_id,
        intake_channel().label("intake"),
        f.first_response_at.is_not(None).label("has_response"),
        f.first_response_at.is_(None).label("no_response"),
        and_(f.reply_due_at.is_not(None), f.status != Status.SPAM.value).label("has_due"),
        and_(f.first_response_at.is_not(None), f.reply_due_at.is_not(None),
             f.status != Status.SPAM.value,
             f.first_response_at <= f.reply_due_at).label("in_time"),
        f.resolved_at.is_not(None).label("has_resolved"),
        _bucket(seconds(f.first_response_at), RESPONSE_EDGES).label("rsp"),
        _bucket(seconds(f.resolved_at), RESOLVE_EDGES).label("res"),
    ).where(*where).subquery("c")


def _count(condition: Any) -> Any:
    return func.sum(sql_case((condition, 1), else_=0))


def _measure_expressions(c: Any) -> list[Any]:
    open_values = sorted(OPEN_VALUES)
    expressions = {
        "cases": func.count(),
        "open_cases": _count(c.status.in_(open_values)),
        "me_too": func.sum(c.me_too_count),
        "responded": _count(c.has_response),
        "with_limit": _count(c.has_due),
        "within_limit": _count(c.in_time),
        "resolved": _count(c.has_resolved),
        "resolved_ever": _count(or_(c.has_resolved, c.reopen_count > 0)),
        "reopened": _count(c.reopen_count > 0),
        "sat_count": _count(c.satisfaction.is_not(None)),
        "sat_sum": func.coalesce(func.sum(c.satisfaction), 0),
        "unanswered": _count(and_(c.no_response, c.status != Status.SPAM.value)),
        "satisfied": _count(c.satisfaction >= SATISFIED),
        "reopens": func.coalesce(func.sum(c.reopen_count), 0),
        "not_counted": _count(c.status.in_(sorted(NOT_COUNTED))),
    }
    for index in range(len(RESPONSE_EDGES) + 1):
        expressions[f"rsp_{index}"] = _count(and_(c.has_response, c.rsp == index))
    for index in range(len(RESOLVE_EDGES) + 1):
        expressions[f"res_{index}"] = _count(and_(c.has_resolved, c.res == index))
    for hour in range(24):
        expressions[f"h_{hour}"] = _count(c.hour == hour)
    for code in INTAKE_CODES:
        expressions[f"ch_{code}"] = _count(c.intake == code)
    return [expressions[name].label(name) for name in MEASURES]


def _insert_from(session: Session, table: Table, keys: list[str], source: Any,
                 measures: list[Any], where: Any = None) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    names = [measure.name for measure in measures]
    # WHERE (true at least) keeps SQLite from reading ON CONFLICT as a join's ON
    query = select(*[source.c[k] for k in keys], *measures).where(
        true() if where is None else where).group_by(*[source.c[k] for k in keys])
    statement = insert(table).from_select([*keys, *names], query)
    statement = statement.on_conflict_do_update(
        index_elements=keys, set_={m: table.c[m] + statement.excluded[m] for m in names})
    session.execute(statement)


def add_rollups_of_cases(session: Session, where: list[Any]) -> None:
    """Add the cases matching `where` to the rollups, computed in the database (bulk loads)."""
    dialect = session.get_bind().dialect.name
    cases = _per_case_query(dialect, where)
    _insert_from(session, rollup_daily, ["park_id", "point_id", "category_id", "day"], cases,
                 _measure_expressions(cases.c))
    cases = _per_case_query(dialect, where)
    _insert_from(session, rollup_monthly, ["park_id", "category_id", "month"], cases,
                 _measure_expressions(cases.c))
    cases = _per_case_query(dialect, where)
    _insert_from(session, rollup_zone_daily, ["park_id", "zone_id", "day"], cases,
                 [func.count().label("cases")], cases.c.zone_id.is_not(None))


def recompute_rollups() -> None:
    """Rebuild the rollup tables from the case table (in the caller's transaction)."""
    session = db.session()
    session.execute(delete(rollup_daily))
    session.execute(delete(rollup_monthly))
    session.execute(delete(rollup_zone_daily))
    add_rollups_of_cases(session, [true()])
    log.info("rollups recomputed")
