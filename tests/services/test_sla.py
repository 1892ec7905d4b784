"""Escalation with a frozen clock: not claimed in time, then no reply in time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from app.extensions import socketio
from app.models import Case, Event
from app.realtime import NAMESPACE
from app.services.cases.operations import claim_case, reply_to_visitor
from app.services.cases.sla import escalate_overdue_cases
from app.services.platform.jobs import run_due_jobs
from tests.conftest import isolated, make_case

MONDAY_9_LOCAL = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)  # 09:00 Asia/Shanghai


def escalations(db):
    return db.session.scalars(select(Event).where(Event.kind == "case.escalated")
                              .order_by(Event.id)).all()


def submitted_at(spot, moment):
    with time_machine.travel(moment, tick=False):
        return make_case(spot).case.id


def test_nothing_escalates_before_the_limit(db, spot):
    submitted_at(spot, MONDAY_9_LOCAL)
    assert escalate_overdue_cases(MONDAY_9_LOCAL + timedelta(minutes=29)) == 0
    assert escalations(db) == []


def test_unclaimed_case_escalates_once_to_the_directors(db, staff, spot):
    case_id = submitted_at(spot, MONDAY_9_LOCAL)
    later = MONDAY_9_LOCAL + timedelta(minutes=31)
    assert escalate_overdue_cases(later) == 1
    assert escalate_overdue_cases(later + timedelta(minutes=5)) == 0
    (event,) = escalations(db)
    assert event.case_id == case_id
    assert event.payload["reason"] == "claim"
    assert event.payload["director_ids"] == [staff.id]
    case = db.session.get(Case, case_id)
    assert case.escalated_at == later
    assert case.messages[-1].action == "escalated"


def test_overdue_reply_escalates_again(db, staff, spot):
    case_id = submitted_at(spot, MONDAY_9_LOCAL)
    with time_machine.travel(MONDAY_9_LOCAL + timedelta(minutes=10), tick=False):
        claim_case(user=staff, case_id=case_id)
    assert escalate_overdue_cases(MONDAY_9_LOCAL + timedelta(hours=3)) == 0
    assert escalate_overdue_cases(MONDAY_9_LOCAL + timedelta(hours=4, minutes=1)) == 1
    assert [e.payload["reason"] for e in escalations(db)] == ["reply"]


def test_a_timely_reply_prevents_the_second_escalation(db, staff, spot):
    case_id = submitted_at(spot, MONDAY_9_LOCAL)
    with time_machine.travel(MONDAY_9_LOCAL + timedelta(hours=1), tick=False):
        reply_to_visitor(user=staff, case_id=case_id, body="收到")
    assert escalate_overdue_cases(MONDAY_9_LOCAL + timedelta(hours=5)) == 1  # claim only
    assert [e.payload["reason"] for e in escalations(db)] == ["claim"]


def test_the_clock_stops_outside_working_hours(db, spot):
    five_to_six = datetime(2026, 6, 1, 9, 55, tzinfo=UTC)  # 17:55 local
    submitted_at(spot, five_to_six)
    assert escalate_overdue_cases(five_to_six + timedelta(hours=8)) == 0  # 01:55 local
    assert escalate_overdue_cases(datetime(2026, 6, 2, 0, 26, tzinfo=UTC)) == 1  # 08:26


def test_closed_cases_never_escalate(db, staff, spot):
    from app.services.cases.operations import change_status

    case_id = submitted_at(spot, MONDAY_9_LOCAL)
    change_status(user=staff, case_id=case_id, status="spam")
    assert escalate_overdue_cases(MONDAY_9_LOCAL + timedelta(days=5)) == 0


def test_the_periodic_job_escalates_and_staff_hear_it(app, db, staff_client, spot):
    submitted_at(spot, MONDAY_9_LOCAL)
    socket = isolated(socketio.test_client, app, namespace=NAMESPACE,
                      flask_test_client=staff_client)
    with time_machine.travel(MONDAY_9_LOCAL + timedelta(hours=1), tick=False):
        assert "sla.tick" in run_due_jobs()
    received = [e for e in socket.get_received(NAMESPACE) if e["name"] == "case.escalated"]
    assert [e["args"][0]["reason"] for e in received] == ["claim"]


def test_sla_tick_command(app, db, spot):
    submitted_at(spot, MONDAY_9_LOCAL)
    runner = app.test_cli_runner()
    with time_machine.travel(MONDAY_9_LOCAL + timedelta(hours=5), tick=False):
        result = runner.invoke(args=["sla", "tick"])
    assert result.exit_code == 0, result.output
    assert "2 escalation(s)" in result.output
    assert len(escalations(db)) == 2
