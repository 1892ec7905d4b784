"""The league table's cases by intake channel and by seasonal zone, read from the rollups,
equal a GROUP BY over the cases themselves (what `compare_parks` ran before issue 17's
rollups), after cases changed channel, zone, park or day, or were deleted."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Case, Park, Zone
from app.models.bureau import INTAKE_CODES
from app.services.bureau.analytics import compare_parks, period_bounds
from app.services.cases.workflow import INTAKE_CHANNELS, intake_channel, intake_channel_of
from tests.conftest import make_unit
from tests.support.cases import add_case, flood_and_snow_zones

# 2026-03-10 10:00 in Beijing
T0 = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
# just inside March in Beijing (still February in UTC), and just outside (April 1st)
MARCH_FIRST = datetime(2026, 2, 28, 16, 0, tzinfo=UTC)
APRIL_FIRST = datetime(2026, 3, 31, 16, 0, tzinfo=UTC)
PERIODS = [
    (date(2026, 3, 1), date(2026, 4, 1)),  # a whole month (the monthly rollup)
    (date(2026, 2, 20), date(2026, 3, 1)),  # loose days only (the daily one)
    (date(2026, 2, 25), date(2026, 4, 3)),  # a month and loose days on both sides
    (date(2026, 3, 10), date(2026, 3, 11)),  # one day
    (date(2025, 4, 1), date(2026, 4, 1)),  # twelve months
]


def by_channel_from_cases(park_ids: list[int], start: date, end: date) -> dict[int, dict]:
    low, high = period_bounds(start, end)
    channel = intake_channel()
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for park_id, code, count in db.session.execute(
            select(Case.park_id, channel, func.count())
            .where(Case.park_id.in_(park_ids), Case.created_at >= low, Case.created_at < high)
            .group_by(Case.park_id, channel)):
        counts[park_id][code] = count
    return dict(counts)


def by_zone_from_cases(park_ids: list[int], start: date, end: date) -> tuple[dict, list]:
    low, high = period_bounds(start, end)
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    names = set()
    for park_id, code, name_zh, name_en, count in db.session.execute(
            select(Case.park_id, Zone.code, Zone.name_zh, Zone.name_en, func.count())
            .join(Zone, Zone.id == Case.zone_id)
            .where(Case.park_id.in_(park_ids), Case.created_at >= low, Case.created_at < high)
            .group_by(Case.park_id, Zone.code, Zone.name_zh, Zone.name_en)):
        counts[park_id][code] = count
        names.add((code, name_zh, name_en))
    return dict(counts), sorted(names)


@pytest.fixture
def parks(app) -> list[Park]:
    """Two units' parks with cases of every channel, some through a zone, then changed."""
    rt, xy = make_unit("RT"), make_unit("XY")
    flood, snow = flood_and_snow_zones()
    spot, other_spot = rt.parks[0].spots[0], xy.parks[0].spots[0]
    category = rt.categories[0]
    intakes = [("qr", None), ("hotline", None), ("staff", "phone"), ("staff", "counter"),
               ("staff", "patrol"), ("staff", "other"), ("staff", None), ("api", None),
               ("open311", None)]
    moments = [T0, MARCH_FIRST, MARCH_FIRST - timedelta(seconds=1), APRIL_FIRST,
               APRIL_FIRST - timedelta(seconds=1), T0 - timedelta(days=20),
               T0 + timedelta(days=24), T0 - timedelta(days=300)]
    cases = []
    for number, (source, channel) in enumerate(intakes * 3):
        zone = (None, flood, snow)[number % 3]
        cases.append(add_case(spot if number % 4 else other_spot, category,
                              moments[number % len(moments)], source=source, channel=channel,
                              zone_id=zone.id if zone else None,
                              status=("new", "spam", "duplicate", "resolved")[number % 4],
                              me_too_count=number % 2))
    cases[0].source, cases[0].channel = "staff", "patrol"  # refiled as a patrol's finding
    cases[2].channel = "counter"  # it was the counter, not a call
    cases[3].source = "hotline"  # a staff case that was the hotline's
    cases[1].zone_id = None  # moved to another unit's park: the zone is cleared
    cases[1].park_id, cases[1].spot_id = other_spot.park_id, other_spot.id
    cases[4].zone_id = flood.id  # through the other zone
    cases[5].created_at = APRIL_FIRST  # out of March
    cases[6].created_at = MARCH_FIRST  # into March
    db.session.delete(cases[7])
    db.session.delete(cases[8])
    db.session.commit()
    return [rt.parks[0], xy.parks[0]]


@pytest.mark.parametrize(("start", "end"), PERIODS)
def test_the_cases_by_channel_are_those_of_the_case_table(parks, start, end):
    park_ids = [park.id for park in parks]
    expected = by_channel_from_cases(park_ids, start, end)
    assert expected  # the period has cases
    comparison = compare_parks(parks, start, end, min_cases=1)
    assert {row.park.id: row.by_channel for row in comparison.rows if row.by_channel} == expected
    for row in comparison.rows:
        assert sum(row.by_channel.values()) == row.figures.cases


@pytest.mark.parametrize(("start", "end"), PERIODS)
def test_the_cases_by_zone_are_those_of_the_case_table(parks, start, end):
    park_ids = [park.id for park in parks]
    expected, names = by_zone_from_cases(park_ids, start, end)
    assert expected  # the period has cases through a zone
    comparison = compare_parks(parks, start, end, min_cases=1)
    assert {row.park.id: row.by_zone for row in comparison.rows if row.by_zone} == expected
    assert comparison.zones == names


def test_a_zone_whose_cases_all_moved_away_is_not_listed(parks):
    zone = db.session.scalar(select(Zone).where(Zone.code == "snow"))
    for case in db.session.scalars(select(Case).where(Case.zone_id == zone.id)):
        case.zone_id = None
    db.session.commit()
    comparison = compare_parks(parks, date(2025, 4, 1), date(2026, 4, 1), min_cases=1)
    assert [code for code, _zh, _en in comparison.zones] == ["flood"]
    assert all("snow" not in row.by_zone for row in comparison.rows)


def test_the_rollups_count_each_channel_code_of_the_intake_channel(app):
    """`intake_channel_of` (the hooks) gives what `intake_channel()` (SQL) gives, for the
    values the app writes and for odd ones; the rollups have a count per channel."""
    assert tuple(INTAKE_CHANNELS) == INTAKE_CODES
    unit = make_unit("RT")
    spot, category = unit.parks[0].spots[0], unit.categories[0]
    pairs = [(source, channel)
             for source in ("qr", "hotline", "staff", "api", "open311", "fax")
             for channel in (None, "", "phone", "counter", "patrol", "other", "pigeon")]
    ids = [add_case(spot, category, T0, source=source, channel=channel).id
           for source, channel in pairs]
    in_sql = {case_id: code for case_id, code in db.session.execute(
        select(Case.id, intake_channel()).where(Case.id.in_(ids)))}
    assert [in_sql[case_id] for case_id in ids] == [
        intake_channel_of(source, channel) for source, channel in pairs]
