"""Each figure of the league table against a small data set computed by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.extensions import db
from app.models import Park, ParkVisits, Spot
from app.services.bureau.analytics import (
    compare_parks,
    hot_spots,
    hour_of_week,
    monthly_trend,
    percentile,
    period_parts,
    weekly_trend,
)
from app.services.bureau.rollups import REPORT_TZ
from tests.conftest import make_unit
from tests.support.cases import add_case

# 2026-03-10 10:00 in Beijing (a Tuesday)
T0 = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
MARCH = (date(2026, 3, 1), date(2026, 4, 1))


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


@pytest.fixture
def city(app):
    """Park A (5 cases), park C of the same unit (3 cases), park B of another unit (2)."""
    rt = make_unit("RT")
    xy = make_unit("XY")
    park_a = rt.parks[0]
    park_c = Park(name_zh="C公园", name_en="C Park")
    park_c.spots.append(Spot(code="c-point-1", name_zh="南门", name_en="South gate"))
    rt.parks.append(park_c)
    db.session.commit()
    toilets = rt.categories[0]
    noise = rt.categories[1]
    a = park_a.spots[0]
    due = minutes(240)
    add_case(a, toilets, T0, first_response_at=minutes(3), reply_due_at=due,
             resolved_at=minutes(50), satisfaction=5, status="resolved")
    add_case(a, toilets, T0, first_response_at=minutes(7), reply_due_at=due,
             resolved_at=minutes(100), satisfaction=4, status="resolved")
    add_case(a, noise, T0, first_response_at=minutes(12), reply_due_at=due,
             resolved_at=minutes(200), reopen_count=1, status="resolved")
    add_case(a, noise, T0, first_response_at=minutes(300), reply_due_at=due,
             status="in_progress")
    add_case(a, noise, T0, reply_due_at=due)
    # just inside March in Beijing (still February in UTC), and just outside (April 1st)
    add_case(park_c.spots[0], toilets, datetime(2026, 2, 28, 16, 10, tzinfo=UTC),
             first_response_at=datetime(2026, 2, 28, 16, 20, tzinfo=UTC),
             reply_due_at=datetime(2026, 2, 28, 20, 0, tzinfo=UTC))
    for _ in range(2):
        add_case(park_c.spots[0], toilets, T0, first_response_at=minutes(20),
                 reply_due_at=due)
    add_case(park_c.spots[0], toilets, datetime(2026, 3, 31, 16, 30, tzinfo=UTC))
    for _ in range(2):
        add_case(xy.parks[0].spots[0], xy.categories[0], T0, contact="13800000000")
    db.session.add_all([ParkVisits(park_id=park_a.id, day=date(2026, 3, 1), visits=10_000),
                        ParkVisits(park_id=park_a.id, day=date(2026, 3, 31), visits=15_000),
                        ParkVisits(park_id=park_a.id, day=date(2026, 4, 1), visits=99_999)])
    db.session.commit()
    return {"rt": rt, "xy": xy, "a": park_a, "c": park_c, "b": xy.parks[0]}


def all_parks() -> list[Park]:
    return list(db.session.scalars(db.select(Park).order_by(Park.id)))


def row_of(comparison, park):
    return next(row for row in comparison.rows if row.park.id == park.id)


def test_percentile_interpolates_inside_the_bucket():
    edges = (5, 10, 15)
    assert percentile([1, 1, 1, 0], edges, 0.5) == 7.5  # rank 1.5 -> halfway into (5, 10]
    assert percentile([0, 0, 0, 2], edges, 0.5) == 15.0  # open-ended bucket: its lower edge
    assert percentile([0, 0, 0, 0], edges, 0.5) is None


def test_period_parts_split_whole_months_from_loose_days():
    assert period_parts(date(2026, 3, 1), date(2026, 4, 1)) == ([date(2026, 3, 1)], [])
    assert period_parts(date(2026, 2, 20), date(2026, 4, 3)) == (
        [date(2026, 3, 1)], [(date(2026, 2, 20), date(2026, 3, 1)),
                             (date(2026, 4, 1), date(2026, 4, 3))])
    assert period_parts(date(2026, 3, 5), date(2026, 3, 9)) == (
        [], [(date(2026, 3, 5), date(2026, 3, 9))])


def test_counts_cases_in_the_city_calendar(city):
    comparison = compare_parks(all_parks(), *MARCH, min_cases=3)
    assert row_of(comparison, city["a"]).figures.cases == 5
    assert row_of(comparison, city["c"]).figures.cases == 3  # Feb 28 16:10 UTC is March 1st
    assert row_of(comparison, city["b"]).figures.cases == 2
    assert comparison.city.cases == 10


def test_response_and_resolution_times(city):
    figures = row_of(compare_parks(all_parks(), *MARCH, min_cases=3), city["a"]).figures
    # responses 3, 7, 12, 300 min: buckets (0,5] (5,10] (10,15] (240,360]
    assert figures.median_response_minutes == 10.0  # rank 2 -> the top of (5, 10]
    assert figures.p90_response_minutes == pytest.approx(312.0)  # rank 3.6 -> 240 + 0.6*120
    # resolutions 50, 100, 200 min: buckets (0,60] (60,120] (120,240]; rank 1.5
    assert figures.median_resolution_minutes == 90.0


def test_within_limit_satisfaction_and_reopen_rate(city):
    figures = row_of(compare_parks(all_parks(), *MARCH, min_cases=3), city["a"]).figures
    assert figures.within_limit_share == pytest.approx(3 / 5)  # 300 min and none are late
    assert figures.satisfaction == 4.5
    assert figures.reopen_rate == pytest.approx(1 / 3)  # 1 of 3 resolved cases reopened


def test_unanswered_counts_cases_without_a_public_reply_however_closed(city):
    # park B: two cases nobody answered; a third, spam, needs no answer
    add_case(city["b"].spots[0], city["xy"].categories[0], T0, status="spam")
    # park A: one more closed as "no action" without a reply (before the rule): unanswered
    add_case(city["a"].spots[0], city["rt"].categories[0], T0, status="no_action")
    comparison = compare_parks(all_parks(), *MARCH, min_cases=3)
    assert row_of(comparison, city["a"]).figures.unanswered == 2
    assert row_of(comparison, city["c"]).figures.unanswered == 0
    assert row_of(comparison, city["b"]).figures.unanswered == 2
    assert comparison.city.unanswered == 4


def test_cases_per_10000_visits_use_the_visits_of_the_period(city):
    comparison = compare_parks(all_parks(), *MARCH, min_cases=3)
    assert row_of(comparison, city["a"]).per_10k_visits == 2.0  # 5 cases / 25,000 visits
    assert row_of(comparison, city["c"]).per_10k_visits is None


def test_parks_under_the_minimum_are_shown_but_not_ranked(city):
    # A: 响应率 3/5, 解决率 3/5, 满意率 2/2 -> 72.0; C: 3/3, 0/3, none rated -> 57.1
    comparison = compare_parks(all_parks(), *MARCH, min_cases=3)
    assert row_of(comparison, city["a"]).score == pytest.approx(72.0)
    assert row_of(comparison, city["c"]).score == pytest.approx(100 * 40 / 70)
    assert [(row.park.id, row.rank) for row in comparison.rows] == [
        (city["a"].id, 1), (city["c"].id, 2), (city["b"].id, None)]
    everyone = compare_parks(all_parks(), *MARCH, min_cases=2)
    assert [row.rank for row in everyone.rows] == [1, 2, 3]


def test_the_order_shown_never_changes_a_rank(city):
    by_response = compare_parks(all_parks(), *MARCH, min_cases=3, sort="response_rate")
    assert [(row.park.id, row.rank) for row in by_response.rows] == [
        (city["c"].id, 2), (city["a"].id, 1), (city["b"].id, None)]


def test_by_category_breakdown_groups_units_by_code(city):
    comparison = compare_parks(all_parks(), *MARCH, min_cases=3)
    assert row_of(comparison, city["a"]).by_category == {"toilets": 2, "noise": 3}
    assert row_of(comparison, city["b"]).by_category == {"toilets": 2}
    assert [code for code, *_names in comparison.categories] == ["toilets", "noise"]


def test_loose_days_read_the_daily_rollup(city):
    days = compare_parks(all_parks(), date(2026, 3, 5), date(2026, 3, 20), min_cases=3)
    assert row_of(days, city["a"]).figures.sums == row_of(
        compare_parks(all_parks(), *MARCH, min_cases=3), city["a"]).figures.sums
    assert row_of(days, city["c"]).figures.cases == 2


def test_trends_hot_spots_and_heat_map(city):
    ids = [city["a"].id, city["c"].id]
    months, series = monthly_trend(ids, date(2026, 2, 1), date(2026, 5, 1))
    assert months == [date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)]
    assert series == {"toilets": [0, 5, 1], "noise": [0, 3, 0]}
    weeks, weekly = weekly_trend(ids, date(2026, 3, 1), date(2026, 3, 16))
    assert weeks == [date(2026, 2, 23), date(2026, 3, 2), date(2026, 3, 9)]
    assert weekly == {"toilets": [1, 0, 4], "noise": [0, 0, 3]}
    spots = hot_spots(ids, *MARCH)
    assert [(spot.spot.park_id, spot.cases) for spot in spots] == [
        (city["a"].id, 5), (city["c"].id, 3)]
    grid = hour_of_week(ids, *MARCH)
    assert grid[1][10] == 7  # Tuesday 10:00 in Beijing
    assert grid[6][0] == 1  # Sunday March 1st, 00:10
    assert sum(map(sum, grid)) == 8


def test_no_parks_no_rows(app):
    assert compare_parks([], *MARCH, min_cases=1).rows == []


def test_a_case_not_yet_due_and_unanswered_is_neither_late_nor_on_time(app):
    """One case answered in time, one overdue and unanswered, one not yet due and unanswered:
    the share within the limit is 1 of 2 (the third is left out), not 1 of 3."""
    unit = make_unit("DUE")
    spot, category = unit.parks[0].spots[0], unit.categories[0]
    now = datetime.now(UTC)
    add_case(spot, category, now - timedelta(hours=3), first_response_at=now - timedelta(hours=2),
             reply_due_at=now - timedelta(hours=1), status="in_progress")
    add_case(spot, category, now - timedelta(hours=3), reply_due_at=now - timedelta(hours=1))
    add_case(spot, category, now - timedelta(hours=1), reply_due_at=now + timedelta(hours=3))
    db.session.commit()
    today = now.astimezone(REPORT_TZ).date()
    comparison = compare_parks([unit.parks[0]], today - timedelta(days=1),
                               today + timedelta(days=1), min_cases=0)
    figures = comparison.rows[0].figures
    assert figures.cases == 3
    assert figures.within_limit_share == pytest.approx(1 / 2)
    assert comparison.city.within_limit_share == pytest.approx(1 / 2)
