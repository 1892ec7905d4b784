"""Figures for the bureau: the league table of parks, trends, hot spots, the heat map.

Everything here reads the rollup tables (`app.services.bureau.rollups`), so a page costs the
same at ten thousand cases as at ten million; the one exception is the few unanswered cases
whose reply deadline is still ahead (`not_yet_due`), read from the case table through its
index on the deadline, because whether a deadline has passed depends on the hour of reading.
A period is split into whole months (read from `rollup_monthly`) and the loose days at either
end (from `rollup_daily`).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Table, func, select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import (
    Case,
    CaseTransfer,
    Category,
    OutsideOffice,
    Park,
    ParkVisits,
    Spot,
    Status,
    Zone,
    rollup_daily,
    rollup_monthly,
    rollup_zone_daily,
)
from app.models.bureau import INTAKE_CODES, MEASURES, RESOLVE_EDGES, RESPONSE_EDGES
from app.models.types import utcnow
from app.services.bureau.rollups import (
    CHANNEL_INDEX,
    MEASURE_INDEX,
    NOT_COUNTED,
    REPORT_TZ,
    SATISFIED,
)

log = logging.getLogger(__name__)

# the orders the league table can be shown in; the rank is always by `score` (rank_parks)
SORT_KEYS = ("score", "response_rate", "resolution_rate", "satisfaction_rate", "cases",
             "reports", "per_10k_visits", "median_response_minutes", "satisfaction",
             "reopen_rate", "within_limit_share")
# for these, smaller is better
ASCENDING = frozenset({"per_10k_visits", "median_response_minutes", "reopen_rate"})
Weights = dict[str, float]


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def last_complete_month(today: date) -> date:
    """The first day of the last month that has ended by `today` (the default period)."""
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def period_parts(start: date, end: date) -> tuple[list[date], list[tuple[date, date]]]:
    """Split [start, end) into whole months and the loose day ranges around them."""
    first = start if start.day == 1 else next_month(start)
    months = []
    month = first
    while next_month(month) <= end:
        months.append(month)
        month = next_month(month)
    if not months:
        return [], [(start, end)] if start < end else []
    last_end = next_month(months[-1])
    days = [(a, b) for a, b in ((start, first), (last_end, end)) if a < b]
    return months, days


def percentile(counts: Sequence[int], edges: Sequence[int], fraction: float) -> float | None:
    """A percentile (in minutes) of a histogram, interpolated linearly inside its bucket.

    Bucket i holds values in (edges[i-1], edges[i]] (the first starts at 0); the last
    bucket is open-ended, so a percentile that falls in it is reported as its lower edge.
    """
    total = sum(counts)
    if total == 0:
        return None
    rank = fraction * total
    seen = 0
    for index, count in enumerate(counts):
        if count and seen + count >= rank:
            low = edges[index - 1] if index > 0 else 0
            if index >= len(edges):
                return float(low)
            return low + (edges[index] - low) * (rank - seen) / count
        seen += count
    return float(edges[-1])


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


@dataclass
class Figures:
    """The sums of a set of rollup rows (in MEASURES order), and the figures read from them."""

    values: list[int] = field(default_factory=lambda: [0] * len(MEASURES))
    # cases among `with_limit` not answered yet whose reply deadline is still ahead: neither
    # late nor on time yet (not in the rollups: a deadline passes without the case changing)
    not_yet_due: int = 0

    def add(self, measures: Sequence[Any]) -> None:
        if not any(self.values):  # the usual case: one group per park
            self.values = [int(value or 0) for value in measures]
            return
        self.values = [total + int(value or 0) for total, value in zip(
            self.values, measures, strict=True)]

    @property
    def sums(self) -> dict[str, int]:
        return dict(zip(MEASURES, self.values, strict=True))

    def _sum(self, name: str) -> int:
        return self.values[MEASURE_INDEX[name]]

    @property
    def cases(self) -> int:
        return self._sum("cases")

    def _hist(self, prefix: str, edges: Sequence[int]) -> list[int]:
        return [self._sum(f"{prefix}_{i}") for i in range(len(edges) + 1)]

    @property
    def median_response_minutes(self) -> float | None:
        return percentile(self._hist("rsp", RESPONSE_EDGES), RESPONSE_EDGES, 0.5)

    @property
    def p90_response_minutes(self) -> float | None:
        return percentile(self._hist("rsp", RESPONSE_EDGES), RESPONSE_EDGES, 0.9)

    @property
    def median_resolution_minutes(self) -> float | None:
        return percentile(self._hist("res", RESOLVE_EDGES), RESOLVE_EDGES, 0.5)

    @property
    def unanswered(self) -> int:
        """Cases with no public reply yet, open or closed (spam aside)."""
        return self._sum("unanswered")

    @property
    def within_limit_counted(self) -> int:
        """Cases that count for the share within the limit: they have a reply deadline, and
        they were answered or their deadline has passed."""
        return self._sum("with_limit") - self.not_yet_due

    @property
    def within_limit_share(self) -> float | None:
        """First reply at or before the deadline, among `within_limit_counted`: a case not
        answered yet whose deadline is still ahead is neither late nor on time (left out)."""
        return _ratio(self._sum("within_limit"), self.within_limit_counted)

    @property
    def response_counted(self) -> int:
        """Cases that count for 响应率: as `within_limit_counted` (spam needs no reply)."""
        return self.within_limit_counted

    @property
    def response_rate(self) -> float | None:
        """响应率: answered within the response limit, among `response_counted`."""
        return self.within_limit_share

    @property
    def overdue(self) -> int:
        """Cases that failed 响应率: answered after the response limit, or not answered and
        the limit passed (`response_counted` minus those answered within it)."""
        return self.response_counted - self._sum("within_limit")

    @property
    def resolution_counted(self) -> int:
        """Cases that count for 解决率: all but spam and duplicates."""
        return self.cases - self._sum("not_counted")

    @property
    def resolution_rate(self) -> float | None:
        """解决率: resolved (then confirmed by the visitor or closed automatically, or still
        waiting for that), among `resolution_counted`; a reopened case counts once resolved
        again."""
        return _ratio(self._sum("resolved"), self.resolution_counted)

    @property
    def rated(self) -> int:
        return self._sum("sat_count")

    @property
    def satisfaction_rate(self) -> float | None:
        """满意率: rated 4 or 5 (of 5), among the rated cases."""
        return _ratio(self._sum("satisfied"), self.rated)

    @property
    def reports(self) -> int:
        """Every report: the cases, each "me too" joined to one, each "not fixed"."""
        return self.cases + self._sum("me_too") + self._sum("reopens")

    def score(self, weights: Weights) -> float | None:
        """The composite score (0..100): the rates weighted by `weights`, over the rates that
        have something to count (their weights shared out again); None when none has."""
        rates = {"response": self.response_rate, "resolution": self.resolution_rate,
                 "satisfaction": self.satisfaction_rate}
        known = {name: rate for name, rate in rates.items()
                 if rate is not None and weights.get(name, 0) > 0}
        total = sum(weights[name] for name in known)
        if not total:
            return None
        return 100 * sum(weights[name] * rate for name, rate in known.items()) / total

    @property
    def satisfaction(self) -> float | None:
        return _ratio(self._sum("sat_sum"), self._sum("sat_count"))

    @property
    def reopen_rate(self) -> float | None:
        return _ratio(self._sum("reopened"), self._sum("resolved_ever"))

    @property
    def hours(self) -> list[int]:
        return [self._sum(f"h_{hour}") for hour in range(24)]

    @property
    def by_channel(self) -> dict[str, int]:
        """The cases by intake channel (`intake_channel()`), the channels with none left out."""
        return {code: self.values[CHANNEL_INDEX[code]] for code in INTAKE_CODES
                if self.values[CHANNEL_INDEX[code]]}


@dataclass
class ParkRow:
    """One line of the league table."""

    park: Park
    figures: Figures
    by_category: dict[str, int]
    visits: int | None
    score: float | None = None
    rank: int | None = None
    # the cases by where they came in (INTAKE_CHANNELS): they add up to figures.cases
    by_channel: dict[str, int] = field(default_factory=dict)
    # the cases sent through a seasonal zone's choice, by zone code (the others: none)
    by_zone: dict[str, int] = field(default_factory=dict)
    # the cases it sent out of its unit (转办), by where to: an office's or a park's name
    sent_to: dict[str, int] = field(default_factory=dict)

    @property
    def transferred(self) -> int:
        """Cases sent to an outside office or another unit's park: apart from resolved."""
        return sum(self.sent_to.values())

    @property
    def per_10k_visits(self) -> float | None:
        if not self.visits:
            return None
        return self.figures.cases * 10_000 / self.visits

    def value(self, key: str) -> float | None:
        if key == "per_10k_visits":
            return self.per_10k_visits
        if key in ("cases", "reports"):
            return float(getattr(self.figures, key))
        if key == "score":
            return self.score
        result: float | None = getattr(self.figures, key)
        return result


@dataclass
class Comparison:
    start: date
    end: date
    min_cases: int
    sort: str
    rows: list[ParkRow]
    categories: list[tuple[str, str, str]]  # code, zh, en
    city: Figures
    weights: Weights
    city_score: float | None = None
    zones: list[tuple[str, str, str]] = field(default_factory=list)  # code, zh, en; with cases

    def partial(self, today: date) -> bool:
        """The period has not ended yet: its figures will still change."""
        return self.end > today


def _sums(table: Table, keys: Sequence[str], measures: Sequence[str],
          where: Sequence[Any]) -> Any:
    columns = [table.c[key] for key in keys]
    return db.session.execute(
        select(*columns, *[func.sum(table.c[m]).label(m) for m in measures])
        .where(*where).group_by(*columns)
    )


def rollup_sums(start: date, end: date, keys: Sequence[str],
                park_ids: Sequence[int] | None = None,
                measures: Sequence[str] = MEASURES) -> list[Any]:
    """Rollup sums over [start, end) grouped by `keys` (columns of both rollup tables).

    A group may come back twice (once from the months, once from loose days): callers add.
    """
    months, day_ranges = period_parts(start, end)
    results: list[Any] = []
    if months:
        where: list[Any] = [rollup_monthly.c.month.in_(months)]
        if park_ids is not None:
            where.append(rollup_monthly.c.park_id.in_(park_ids))
        results.extend(_sums(rollup_monthly, keys, measures, where))
    for low, high in day_ranges:
        where = [rollup_daily.c.day >= low, rollup_daily.c.day < high]
        if park_ids is not None:
            where.append(rollup_daily.c.park_id.in_(park_ids))
        results.extend(_sums(rollup_daily, keys, measures, where))
    return results


def category_codes() -> dict[int, tuple[str, str, str]]:
    """Category id -> (code, zh, en); units have their own categories, compared by code."""
    rows = db.session.execute(select(Category.id, Category.code, Category.name_zh,
                                     Category.name_en).order_by(Category.sort_order, Category.id))
    return {category_id: (code, zh, en) for category_id, code, zh, en in rows}


def park_visits(start: date, end: date, park_ids: Sequence[int]) -> dict[int, int]:
    rows = db.session.execute(
        select(ParkVisits.park_id, func.sum(ParkVisits.visits))
        .where(ParkVisits.day >= start, ParkVisits.day < end, ParkVisits.park_id.in_(park_ids))
        .group_by(ParkVisits.park_id)
    )
    return {park_id: int(total) for park_id, total in rows}


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The instants where the city-calendar days [start, end) begin and end."""
    return (datetime(start.year, start.month, start.day, tzinfo=REPORT_TZ),
            datetime(end.year, end.month, end.day, tzinfo=REPORT_TZ))


def answered_within_limit(first_response_at: datetime | None, reply_due_at: datetime | None,
                          now: datetime, status: str = "") -> bool | None:
    """One case's part in 响应率 (the share within the limit): True on time, False late,
    None when it does not count (no deadline, spam, or not answered yet and the deadline
    still ahead). The rollups count the same (`contribution_of`)."""
    if reply_due_at is None or status == Status.SPAM:
        return None
    if first_response_at is not None:
        return first_response_at <= reply_due_at
    return False if reply_due_at <= now else None


def counts_as_resolved(status: str, resolved_at: datetime | None) -> bool | None:
    """One case's part in 解决率: resolved (and maybe confirmed or closed since), or not;
    None for spam and duplicates, which do not count."""
    if status in NOT_COUNTED:
        return None
    return resolved_at is not None


def counts_as_satisfied(satisfaction: int | None) -> bool | None:
    """One case's part in 满意率: rated 4 or 5, or rated lower; None when not rated."""
    return None if satisfaction is None else satisfaction >= SATISFIED


def _not_yet_due_rows(park_ids: Sequence[int], start: date, end: date,
                      now: datetime | None) -> list[tuple[int, int | None]]:
    """(park id, spot id) of each case created in [start, end) in `park_ids` with a reply
    deadline after `now` and no first response yet: the ones `with_limit` holds that do not
    count yet.

    The query names only the deadline and the response, so that the database reads the few
    cases due from now on through the deadline's index (with the park and period in the
    query, SQLite went through the unit/status/created index instead: 130 ms over a year at
    300,000 cases); the park and period are picked here."""
    if not park_ids:
        return []
    low, high = period_bounds(start, end)
    wanted = set(park_ids)
    rows = db.session.execute(
        select(Case.park_id, Case.spot_id, Case.created_at, Case.status)
        .where(Case.reply_due_at > (now or utcnow()), Case.first_response_at.is_(None))
    )
    # spam is not among `with_limit` (it needs no reply)
    return [(park_id, spot_id) for park_id, spot_id, created_at, status in rows
            if park_id in wanted and low <= created_at < high and status != Status.SPAM]


def zone_counts(park_ids: Sequence[int], start: date, end: date
                ) -> tuple[dict[int, dict[str, int]], list[tuple[str, str, str]]]:
    """Per park, its cases created in [start, end) (local days, as the rollups count them)
    through each seasonal zone's choice, by zone code; and (code, zh, en) of those zones,
    by code. Read from `rollup_zone_daily`."""
    if not park_ids:
        return {}, []
    r = rollup_zone_daily.c
    # grouped by the keys alone, the zones' names read after (a few zones, many rows)
    totals = [(park_id, zone_id, int(count)) for park_id, zone_id, count in db.session.execute(
        select(r.park_id, r.zone_id, func.sum(r.cases))
        .where(r.day >= start, r.day < end, r.park_id.in_(park_ids))
        .group_by(r.park_id, r.zone_id)) if count]  # a row is back at 0 once its cases left
    zones = {zone_id: (code, zh, en) for zone_id, code, zh, en in db.session.execute(
        select(Zone.id, Zone.code, Zone.name_zh, Zone.name_en)
        .where(Zone.id.in_({zone_id for _park, zone_id, _count in totals})))}
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for park_id, zone_id, count in totals:
        if zone_id in zones:
            counts[park_id][zones[zone_id][0]] = count
    return dict(counts), sorted(zones.values())


def transfer_counts(park_ids: Sequence[int], start: date, end: date
                    ) -> dict[int, dict[str, int]]:
    """Per park, the cases it sent out of its unit in [start, end) (local days, by the time of
    the transfer): to an outside office, by its name, or to another unit's park, by its."""
    if not park_ids:
        return {}
    low, high = period_bounds(start, end)
    to_park = aliased(Park)
    where_to = func.coalesce(OutsideOffice.name, to_park.name_zh)
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for park_id, name, count in db.session.execute(
            select(CaseTransfer.from_park_id, where_to, func.count())
            .outerjoin(OutsideOffice, OutsideOffice.id == CaseTransfer.to_office_id)
            .outerjoin(to_park, to_park.id == CaseTransfer.to_park_id)
            .where(CaseTransfer.from_park_id.in_(park_ids), CaseTransfer.kind != "park",
                   CaseTransfer.created_at >= low, CaseTransfer.created_at < high)
            .group_by(CaseTransfer.from_park_id, where_to)):
        counts[park_id][name] = int(count)
    return dict(counts)


def not_yet_due(park_ids: Sequence[int], start: date, end: date,
                now: datetime | None = None) -> dict[int, int]:
    """Per park, the cases `_not_yet_due_rows` finds."""
    counts: dict[int, int] = defaultdict(int)
    for park_id, _spot_id in _not_yet_due_rows(park_ids, start, end, now):
        counts[park_id] += 1
    return dict(counts)


def spot_figures(park_ids: Sequence[int], start: date, end: date,
                 now: datetime | None = None) -> dict[int, Figures]:
    """Per spot of `park_ids`, the same Figures as the league table's, over [start, end)
    (cases without a spot left out). Read from the daily rollup alone: the monthly one
    has no spot."""
    per_spot: dict[int, Figures] = defaultdict(Figures)
    for row in _sums(rollup_daily, ("point_id",), MEASURES, [
            rollup_daily.c.day >= start, rollup_daily.c.day < end,
            rollup_daily.c.park_id.in_(park_ids)]):
        if row.point_id:
            per_spot[row.point_id].add(row[1:])
    for _park_id, spot_id in _not_yet_due_rows(park_ids, start, end, now):
        if spot_id:
            per_spot[spot_id].not_yet_due += 1
    return dict(per_spot)


def rank_parks(rows: Sequence[ParkRow], min_cases: int) -> None:
    """The one ranking (page, PDF, exports, API): by score, highest first, among the parks
    with at least `min_cases` cases and a score; ties go to more cases, then the lower park
    id. The others get no rank."""
    ranked = [row for row in rows if row.figures.cases >= min_cases and row.score is not None]
    ranked.sort(key=lambda row: (-(row.score or 0.0), -row.figures.cases, row.park.id))
    for row in rows:
        row.rank = None
    for position, row in enumerate(ranked, start=1):
        row.rank = position


def ordered_rows(rows: Sequence[ParkRow], sort: str) -> list[ParkRow]:
    """The rows as shown: the ranked parks by `sort` (by rank for "score"), then the
    unranked ones by cases. The order never changes a rank."""
    ranked = [row for row in rows if row.rank is not None]
    unranked = [row for row in rows if row.rank is None]
    sign = 1 if sort in ASCENDING else -1
    ranked.sort(key=lambda row: (0, 0.0, row.rank or 0) if sort == "score" else (
        row.value(sort) is None, sign * (row.value(sort) or 0.0), row.rank or 0))
    unranked.sort(key=lambda row: (-row.figures.cases, row.park.id))
    return ranked + unranked


def score_weights() -> Weights:
    """The composite score's weights (the setting BUREAU_SCORE_WEIGHTS)."""
    weights: Weights = current_app.config["BUREAU_SCORE_WEIGHTS"]
    return weights


def compare_parks(parks: Sequence[Park], start: date, end: date, *, min_cases: int,
                  sort: str = "score", now: datetime | None = None,
                  weights: Weights | None = None) -> Comparison:
    """The league table of `parks` over [start, end), ranked by `rank_parks`; parks under
    `min_cases` are listed but not ranked.

    Deadlines are judged at `now` (the current time by default); the score's weights are
    the configured ones unless given."""
    if sort not in SORT_KEYS:
        sort = "score"
    weights = weights if weights is not None else score_weights()
    park_ids = [park.id for park in parks]
    codes = category_codes()
    per_park: dict[int, Figures] = defaultdict(Figures)
    per_category: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    city = Figures()
    for row in rollup_sums(start, end, ("park_id",), park_ids):
        per_park[row.park_id].add(row[1:])
    for park_id, category_id, cases in rollup_sums(start, end, ("park_id", "category_id"),
                                                   park_ids, measures=("cases",)):
        per_category[park_id][codes.get(category_id, ("?",))[0]] += int(cases)
    for park_id, count in not_yet_due(park_ids, start, end, now).items():
        per_park[park_id].not_yet_due = count
    if per_park:
        city.values = [sum(column) for column in zip(
            *(figures.values for figures in per_park.values()), strict=True)]
        city.not_yet_due = sum(figures.not_yet_due for figures in per_park.values())
    visits = park_visits(start, end, park_ids)
    zones, zone_names = zone_counts(park_ids, start, end)
    sent = transfer_counts(park_ids, start, end)
    rows = [ParkRow(park=park, figures=per_park[park.id], by_category=dict(per_category[park.id]),
                    visits=visits.get(park.id), score=per_park[park.id].score(weights),
                    by_channel=per_park[park.id].by_channel, by_zone=zones.get(park.id, {}),
                    sent_to=sent.get(park.id, {}))
            for park in parks]
    rank_parks(rows, min_cases)
    seen: dict[str, tuple[str, str, str]] = {}
    for code, zh, en in codes.values():
        seen.setdefault(code, (code, zh, en))
    used = {code for row in rows for code in row.by_category}
    categories = [seen[code] for code in seen if code in used]
    log.info("compared %d parks over %s..%s", len(rows), start, end)
    return Comparison(start=start, end=end, min_cases=min_cases, sort=sort,
                      rows=ordered_rows(rows, sort), categories=categories, city=city,
                      weights=weights, city_score=city.score(weights), zones=zone_names)


def monthly_trend(park_ids: Sequence[int], start: date, end: date
                  ) -> tuple[list[date], dict[str, list[int]]]:
    """Cases per month and category code over whole months from start to end."""
    codes = category_codes()
    months, _days = period_parts(start.replace(day=1), end)
    series: dict[str, list[int]] = defaultdict(lambda: [0] * len(months))
    index = {month: i for i, month in enumerate(months)}
    if months:
        rows = db.session.execute(
            select(rollup_monthly.c.month, rollup_monthly.c.category_id,
                   func.sum(rollup_monthly.c.cases))
            .where(rollup_monthly.c.month.in_(months), rollup_monthly.c.park_id.in_(park_ids))
            .group_by(rollup_monthly.c.month, rollup_monthly.c.category_id)
        )
        for month, category_id, cases in rows:
            series[codes.get(category_id, ("?",))[0]][index[month]] += int(cases)
    return months, dict(series)


def weekly_trend(park_ids: Sequence[int], start: date, end: date
                 ) -> tuple[list[date], dict[str, list[int]]]:
    """Cases per ISO week (its Monday) and category code over [start, end)."""
    codes = category_codes()
    monday = start - timedelta(days=start.weekday())
    weeks = []
    while monday < end:
        weeks.append(monday)
        monday += timedelta(days=7)
    index = {week: i for i, week in enumerate(weeks)}
    series: dict[str, list[int]] = defaultdict(lambda: [0] * len(weeks))
    rows = db.session.execute(
        select(rollup_daily.c.day, rollup_daily.c.category_id, func.sum(rollup_daily.c.cases))
        .where(rollup_daily.c.day >= start, rollup_daily.c.day < end,
               rollup_daily.c.park_id.in_(park_ids))
        .group_by(rollup_daily.c.day, rollup_daily.c.category_id)
    )
    for day, category_id, cases in rows:
        week = day - timedelta(days=day.weekday())
        series[codes.get(category_id, ("?",))[0]][index[week]] += int(cases)
    return weeks, dict(series)


@dataclass
class HotSpot:
    spot: Spot
    cases: int
    by_category: dict[str, int]


def hot_spots(park_ids: Sequence[int], start: date, end: date, limit: int = 10) -> list[HotSpot]:
    """The spots with the most cases over [start, end)."""
    codes = category_codes()
    rows = db.session.execute(
        select(rollup_daily.c.point_id, rollup_daily.c.category_id,
               func.sum(rollup_daily.c.cases))
        .where(rollup_daily.c.day >= start, rollup_daily.c.day < end,
               rollup_daily.c.park_id.in_(park_ids), rollup_daily.c.point_id != 0)
        .group_by(rollup_daily.c.point_id, rollup_daily.c.category_id)
    )
    totals: dict[int, int] = defaultdict(int)
    breakdown: dict[int, dict[str, int]] = defaultdict(dict)
    for spot_id, category_id, cases in rows:
        totals[spot_id] += int(cases)
        code = codes.get(category_id, ("?",))[0]
        breakdown[spot_id][code] = breakdown[spot_id].get(code, 0) + int(cases)
    top = sorted(totals, key=lambda spot_id: (-totals[spot_id], spot_id))[:limit]
    spots = {p.id: p for p in db.session.scalars(select(Spot).where(Spot.id.in_(top)))}
    return [HotSpot(spot=spots[i], cases=totals[i], by_category=breakdown[i])
            for i in top if i in spots]


def hour_of_week(park_ids: Sequence[int], start: date, end: date) -> list[list[int]]:
    """Cases by weekday (0 = Monday) and local hour over [start, end)."""
    hour_columns = [func.sum(rollup_daily.c[f"h_{h}"]) for h in range(24)]
    rows = db.session.execute(
        select(rollup_daily.c.day, *hour_columns)
        .where(rollup_daily.c.day >= start, rollup_daily.c.day < end,
               rollup_daily.c.park_id.in_(park_ids))
        .group_by(rollup_daily.c.day)
    )
    grid = [[0] * 24 for _ in range(7)]
    for day, *hours in rows:
        for hour, cases in enumerate(hours):
            grid[day.weekday()][hour] += int(cases or 0)
    return grid
