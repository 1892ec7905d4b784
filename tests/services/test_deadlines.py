"""Deadlines count the unit's working hours; urgent categories count around the clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from app.models import Case
from app.services.cases.deadlines import add_working_time, deadline_state
from app.services.cases.metoo import split_me_too
from app.services.cases.operations import set_case_urgent
from tests.conftest import make_case

# Asia/Shanghai is UTC+8; working hours 08:00-18:00 local = 00:00-10:00 UTC
MONDAY_9_LOCAL = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)


def test_inside_working_hours_the_clock_runs(unit):
    due = add_working_time(unit, MONDAY_9_LOCAL, timedelta(minutes=30))
    assert due == MONDAY_9_LOCAL + timedelta(minutes=30)


def test_time_after_closing_carries_over_to_the_next_morning(unit):
    five_pm = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)  # 17:00 local
    due = add_working_time(unit, five_pm, timedelta(hours=2))
    assert due == datetime(2026, 6, 2, 1, 0, tzinfo=UTC)  # 09:00 local next day


def test_night_submission_starts_counting_at_opening(unit):
    night = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)  # 22:00 local
    due = add_working_time(unit, night, timedelta(minutes=30))
    assert due == datetime(2026, 6, 2, 0, 30, tzinfo=UTC)  # 08:30 local


def test_days_off_are_skipped(db, unit):
    unit.work_days = "12345"
    db.session.commit()
    friday_5pm = datetime(2026, 6, 5, 9, 0, tzinfo=UTC)
    due = add_working_time(unit, friday_5pm, timedelta(hours=2))
    assert due == datetime(2026, 6, 8, 1, 0, tzinfo=UTC)  # Monday 09:00 local


def test_no_working_hours_means_around_the_clock(db, unit):
    unit.work_days = ""
    db.session.commit()
    assert add_working_time(unit, MONDAY_9_LOCAL, timedelta(hours=30)) ==\
        MONDAY_9_LOCAL + timedelta(hours=30)


def test_submission_sets_the_categorys_deadlines(db, spot):
    night = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)
    with time_machine.travel(night, tick=False):
        case_id = make_case(spot).case.id
    case = db.session.get(Case, case_id)
    assert case.claim_due_at == datetime(2026, 6, 2, 0, 30, tzinfo=UTC)
    assert case.reply_due_at == datetime(2026, 6, 2, 4, 0, tzinfo=UTC)
    # 3 working days of 10 hours from 08:00 Tuesday: end of Thursday
    assert case.resolve_due_at == datetime(2026, 6, 4, 10, 0, tzinfo=UTC)


def test_urgent_category_counts_around_the_clock(db, unit, spot):
    unit.categories[1].urgent = True  # noise
    db.session.commit()
    night = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)
    with time_machine.travel(night, tick=False):
        case_id = make_case(spot, category_code="noise").case.id
    case = db.session.get(Case, case_id)
    assert case.claim_due_at == night + timedelta(minutes=30)
    assert case.reply_due_at == night + timedelta(hours=4)
    assert case.resolve_due_at == night + timedelta(days=3)


def test_deadline_state_reports_time_left_then_overdue(db, spot):
    with time_machine.travel(MONDAY_9_LOCAL, tick=False):
        case_id = make_case(spot).case.id
    case = db.session.get(Case, case_id)
    assert deadline_state(case, MONDAY_9_LOCAL + timedelta(minutes=10)) == ("claim", 20, False)
    assert deadline_state(case, MONDAY_9_LOCAL + timedelta(minutes=45)) == ("claim", 15, True)


def test_a_case_whose_words_name_a_danger_counts_around_the_clock(db, spot):
    night = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)  # 22:00 local, after closing
    with time_machine.travel(night, tick=False):
        case_id = make_case(spot, body="有人落水了，快来人").case.id
    case = db.session.get(Case, case_id)
    assert (case.urgent, case.urgent_reason) == (True, "words")
    assert case.claim_due_at == night + timedelta(minutes=30)
    assert case.reply_due_at == night + timedelta(hours=4)
    assert case.resolve_due_at == night + timedelta(days=3)


def test_staff_raising_urgency_count_from_then_around_the_clock(db, staff, spot):
    night = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)
    with time_machine.travel(night, tick=False):
        case_id = make_case(spot).case.id  # toilets, not urgent: due tomorrow morning
    raised_at = night + timedelta(minutes=10)
    with time_machine.travel(raised_at, tick=False):
        set_case_urgent(user=staff, case_id=case_id, urgent=True)
    db.session.expire_all()
    case = db.session.get(Case, case_id)
    assert case.claim_due_at == raised_at + timedelta(minutes=30)
    assert case.reply_due_at == raised_at + timedelta(hours=4)
    # never later than before: three working days (to Thursday 18:00 local) end before
    # three days around the clock from 22:10 Monday would
    assert case.resolve_due_at == datetime(2026, 6, 4, 10, 0, tzinfo=UTC)


def test_staff_lowering_a_false_alarm_return_to_working_hours(db, staff, spot):
    night = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)
    with time_machine.travel(night, tick=False):
        case_id = make_case(spot, body="湖边有人打架").case.id
    with time_machine.travel(night + timedelta(minutes=5), tick=False):
        set_case_urgent(user=staff, case_id=case_id, urgent=False)
    db.session.expire_all()
    case = db.session.get(Case, case_id)
    # the same limits as any toilets case that came at 22:00 (see above)
    assert case.claim_due_at == datetime(2026, 6, 2, 0, 30, tzinfo=UTC)
    assert case.reply_due_at == datetime(2026, 6, 2, 4, 0, tzinfo=UTC)
    assert case.resolve_due_at == datetime(2026, 6, 4, 10, 0, tzinfo=UTC)


def test_a_report_split_off_keeps_its_own_urgency(db, unit, staff, spot):
    from sqlalchemy import select

    from app.models import CaseToken

    night = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)
    with time_machine.travel(night, tick=False):
        first = make_case(spot, body="厕所没有纸")
        make_case(spot, body="厕所没有纸，门锁也坏了")  # joins as "me too"
        # toilets urgent from now on (a report in an urgent category never joins a case)
        unit.categories[0].urgent = True
        db.session.commit()
        link = db.session.scalars(select(CaseToken)).one()
        split = split_me_too(user=staff, case_id=first.case.id, link_id=link.id)
    case = db.session.get(Case, split.id)
    assert (case.urgent, case.urgent_reason) == (True, "category")
    assert case.claim_due_at == night + timedelta(minutes=30)
