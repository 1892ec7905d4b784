"""Early warning: fires on a planted spike, stays quiet on steady traffic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import EarlyWarning, Event
from app.services.bureau.warnings import poisson_tail, raise_warnings, window_hours
from app.services.platform.jobs import app_jobs, run_job_now
from tests.support.cases import add_case

# 2026-05-20 15:30 in Beijing
NOW = datetime(2026, 5, 20, 7, 30, tzinfo=UTC)


def steady_traffic(spot, category, per_day=2):
    """`per_day` cases a day at this spot for the 28 days before today, spread over the day."""
    for days_back in range(1, 29):
        for index in range(per_day):
            add_case(spot, category, NOW - timedelta(days=days_back, hours=3 + 7 * index))


def test_poisson_tail_matches_hand_computed_values():
    assert poisson_tail(0, 1.0) == 1.0
    assert poisson_tail(1, 1.0) == pytest.approx(1 - 0.36787944)
    # P(X >= 3 | 0.5) = 1 - e^-0.5 (1 + 0.5 + 0.125)
    assert poisson_tail(3, 0.5) == pytest.approx(1 - 0.60653066 * 1.625)


def test_window_is_the_last_six_local_hours():
    assert window_hours(NOW) == [(NOW.date(), hour) for hour in range(10, 16)]
    just_after_midnight = datetime(2026, 5, 20, 16, 30, tzinfo=UTC)  # 00:30 on the 21st
    pairs = window_hours(just_after_midnight)
    assert pairs[0][0].day == 20
    assert pairs[-1] == (pairs[-1][0], 0)


def test_a_planted_spike_raises_one_warning_for_the_unit(app, unit, spot):
    toilets, noise = unit.categories
    steady_traffic(spot, toilets)
    steady_traffic(spot, noise)
    for minutes in (10, 40, 70, 100, 130, 160, 200):
        add_case(spot, noise, NOW - timedelta(minutes=minutes), body="广场舞音响太吵")
    add_case(spot, toilets, NOW - timedelta(minutes=30))
    raised = raise_warnings(NOW)
    assert [(w.spot_id, w.category_id, w.observed) for w in raised] == [
        (spot.id, noise.id, 7)]
    assert raised[0].expected == pytest.approx(2 * 28 / (28 * 24) * 6)
    event = db.session.scalar(select(Event).where(Event.kind == "warning.raised"))
    assert event.unit_id == unit.id
    assert event.park_id is None  # the unit's room: its directors and staff
    assert event.payload["category"] == "noise"
    assert event.payload["observed"] == 7


def test_the_same_spike_is_not_raised_twice(app, unit, spot):
    noise = unit.categories[1]
    for minutes in (10, 20, 30, 40):
        add_case(spot, noise, NOW - timedelta(minutes=minutes))
    assert len(raise_warnings(NOW)) == 1
    assert raise_warnings(NOW + timedelta(minutes=5)) == []
    assert db.session.scalar(select(db.func.count()).select_from(EarlyWarning)) == 1


def test_steady_traffic_stays_quiet(app, unit, spot):
    toilets, noise = unit.categories
    steady_traffic(spot, toilets, per_day=12)
    steady_traffic(spot, noise, per_day=12)
    # today: the usual rate (12 a day is 3 in six hours), a little more for one of them
    for minutes in (20, 100, 250):
        add_case(spot, toilets, NOW - timedelta(minutes=minutes))
    for minutes in (15, 80, 150, 220, 300):
        add_case(spot, noise, NOW - timedelta(minutes=minutes))
    assert raise_warnings(NOW) == []
    assert db.session.scalar(select(Event.id).where(Event.kind == "warning.raised")) is None


def test_the_periodic_job_runs_detection(app, unit, spot):
    assert "warnings.detect" in {job.name for job in app_jobs()}
    for minutes in (10, 20, 30):
        add_case(spot, unit.categories[0], NOW - timedelta(minutes=minutes))
    assert run_job_now("warnings.detect", NOW) == 1


def test_the_dashboard_shows_the_warning(app, unit, spot, staff_client):
    for minutes in (10, 20, 30):
        add_case(spot, unit.categories[1], NOW - timedelta(minutes=minutes))
    warning = raise_warnings(NOW)[0]
    warning.created_at = datetime.now(UTC)
    db.session.commit()
    page = staff_client.get("/bureau/").get_data(as_text=True)
    assert "北门厕所" in page
    assert "噪音" in page
