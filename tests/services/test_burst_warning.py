"""Burst warnings: reports at one spot (new cases, "me too", "not fixed"), not only cases."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, EarlyWarning, Event
from app.models.types import utcnow
from app.services.bureau.bursts import raise_bursts
from app.services.bureau.warnings import acknowledge_warning
from app.services.cases.operations import reply_to_visitor
from app.services.cases.tracking import report_not_fixed
from app.services.errors import DomainError, ForbiddenError, NotFoundError
from app.services.platform.jobs import app_jobs, run_job_now
from tests.conftest import make_case, make_staff


def warnings_stored() -> list[EarlyWarning]:
    return list(db.session.scalars(select(EarlyWarning).order_by(EarlyWarning.id)))


def test_three_reports_joined_as_me_too_raise_one_warning_naming_the_spot(app, unit, spot):
    first = make_case(spot, body="厕所水漫出来了")
    make_case(spot, body="厕所水又漫出来了")
    third = make_case(spot, body="我也看到厕所水漫出来了")
    assert third.joined  # one case, three reports
    assert third.case.id == first.case.id
    (warning,) = raise_bursts(utcnow())
    assert (warning.kind, warning.spot_id, warning.case_id, warning.observed) == (
        "burst", spot.id, first.case.id, 3)
    event = db.session.scalar(select(Event).where(Event.kind == "warning.raised"))
    assert event.unit_id == unit.id
    assert event.park_id is None  # the unit's room; the bureau's room by its kind
    assert event.payload["warning_kind"] == "burst"
    assert event.payload["point_name"] == spot.name_zh
    assert event.payload["case_reference"] == first.case.reference
    assert event.payload["warning_case_id"] == first.case.id
    assert event.payload["observed"] == 3
    assert event.payload["minutes"] == 30


def test_two_reports_raise_nothing(app, unit, spot):
    make_case(spot, body="厕所水漫出来了")
    assert make_case(spot, body="我也是").joined
    assert raise_bursts(utcnow()) == []
    assert warnings_stored() == []


def test_the_same_burst_is_warned_about_once(app, unit, spot):
    for body in ("厕所水漫出来了", "我也是", "还是漫水"):
        make_case(spot, body=body)
    assert len(raise_bursts(utcnow())) == 1
    assert raise_bursts(utcnow()) == []  # the next tick
    make_case(spot, body="第四个人也说了")  # one more is not a new burst
    assert raise_bursts(utcnow()) == []
    for body in ("第五", "第六"):
        make_case(spot, body=body)
    # three reports since the warning: a new burst
    (second,) = raise_bursts(utcnow())
    assert second.observed == 3
    assert len(warnings_stored()) == 2


def test_reports_older_than_the_window_do_not_count(app, unit, spot):
    make_case(spot, body="厕所水漫出来了")
    make_case(spot, body="我也是")
    with time_machine.travel(utcnow() + timedelta(minutes=31), tick=False):
        make_case(spot, body="又漫了")
        assert raise_bursts(utcnow()) == []


@pytest.mark.config(WARNING_BURST_REPORTS=2, WARNING_BURST_MINUTES=10)
def test_the_thresholds_are_settings(app, unit, spot):
    make_case(spot, body="厕所水漫出来了")
    make_case(spot, body="我也是")
    (warning,) = raise_bursts(utcnow())
    assert warning.observed == 2


def test_a_not_fixed_counts_as_a_report(app, unit, spot, staff):
    receipt = make_case(spot, body="厕所水漫出来了")
    make_case(spot, body="我也是")
    reply_to_visitor(user=staff, case_id=receipt.case.id, body="已修好", new_status="resolved")
    assert raise_bursts(utcnow()) == []
    report_not_fixed(token=receipt.token, body="还在漫水")
    (warning,) = raise_bursts(utcnow())
    assert warning.observed == 3


def test_the_job_runs_the_burst_detection(app, unit, spot):
    assert "warnings.bursts" in {job.name for job in app_jobs()}
    for body in ("厕所水漫出来了", "我也是", "还是漫水"):
        make_case(spot, body=body)
    assert run_job_now("warnings.bursts", utcnow()) == 1


@pytest.fixture
def burst(app, unit, spot) -> EarlyWarning:
    for body in ("厕所水漫出来了", "我也是", "还是漫水"):
        make_case(spot, body=body)
    (warning,) = raise_bursts(utcnow())
    return warning


def test_a_director_acknowledges_with_a_note_and_it_is_audited(burst, staff):
    now = utcnow()
    acknowledge_warning(user=staff, warning_id=burst.id, note="已派人排水", now=now)
    warning = db.session.get(EarlyWarning, burst.id)
    assert warning.acknowledged_by_id == staff.id
    assert warning.acknowledged_at == now
    assert warning.acknowledgement_note == "已派人排水"
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "warning.acknowledged"))
    assert (entry.user_id, entry.target_id, entry.after["note"]) == (staff.id, burst.id,
                                                                    "已派人排水")


@pytest.mark.parametrize("note", ["", "   ", "x" * 501])
def test_an_acknowledgement_needs_a_short_note(burst, staff, note):
    with pytest.raises(DomainError):
        acknowledge_warning(user=staff, warning_id=burst.id, note=note, now=utcnow())
    assert db.session.get(EarlyWarning, burst.id).acknowledged_at is None


def test_a_warning_is_acknowledged_once(burst, staff):
    acknowledge_warning(user=staff, warning_id=burst.id, note="已派人", now=utcnow())
    with pytest.raises(DomainError):
        acknowledge_warning(user=staff, warning_id=burst.id, note="又一次", now=utcnow())
    assert db.session.get(EarlyWarning, burst.id).acknowledgement_note == "已派人"


@pytest.mark.parametrize(("roles", "bureau_role"), [(("viewer",), None), ((), "viewer")])
def test_read_only_roles_cannot_acknowledge(burst, unit, roles, bureau_role):
    reader = make_staff(unit if roles else None, "reader@rt.test", roles=roles,
                        bureau_role=bureau_role)
    with pytest.raises(ForbiddenError):
        acknowledge_warning(user=reader, warning_id=burst.id, note="看到了", now=utcnow())
    assert db.session.get(EarlyWarning, burst.id).acknowledged_at is None
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "warning.acknowledged")) == 0


def test_another_units_director_is_told_nothing(burst, other_unit):
    stranger = make_staff(other_unit, "director@xy.test")
    with pytest.raises(NotFoundError):
        acknowledge_warning(user=stranger, warning_id=burst.id, note="看到了", now=utcnow())


def test_a_bureau_administrator_acknowledges(burst):
    admin = make_staff(None, "admin@bureau.test", roles=(), bureau_role="admin")
    acknowledge_warning(user=admin, warning_id=burst.id, note="已通知园方", now=utcnow())
    assert db.session.get(EarlyWarning, burst.id).acknowledged_by_id == admin.id
