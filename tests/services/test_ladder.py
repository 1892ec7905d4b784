"""The escalation ladder with a frozen clock: SMS to on call for an urgent case nobody
claimed, SMS and push to the directors at the claim deadline, claiming stops it, each step
once (issue 16, point 3)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, Case, LadderStep, PushSubscription, SmsMessage, StaffSms
from app.services.cases.operations import claim_case
from app.services.cases.sla import escalate_overdue_cases
from app.services.notify.ladder import fire_oncall_step, run_ladder
from tests.admin.helpers import audit_entries, submit
from tests.conftest import log_in, make_case, make_staff

MONDAY_9_LOCAL = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)  # 09:00 Asia/Shanghai
DANGER = "有人落水了，快来人"


def texts() -> list[SmsMessage]:
    return list(db.session.scalars(select(SmsMessage).order_by(SmsMessage.id)))


def steps() -> list[LadderStep]:
    db.session.expire_all()
    return list(db.session.scalars(select(LadderStep).order_by(LadderStep.id)))


def submitted(spot, moment, **fields) -> int:
    with time_machine.travel(moment, tick=False):
        return make_case(spot, **fields).case.id


def people(unit):
    """Holders of the toilets' role (cleaning) and others, each reachable or not by SMS."""
    return {
        "on_call": make_staff(unit, "a@rt.test", ("cleaning",), mobile="+8613800138001",
                              alert_sms=True, on_call=True),
        "off_duty": make_staff(unit, "b@rt.test", ("cleaning",), mobile="+8613800138002",
                               alert_sms=True, on_call=False),
        "sms_off": make_staff(unit, "c@rt.test", ("cleaning",), mobile="+8613800138003",
                              alert_sms=False, on_call=True),
        "other_role": make_staff(unit, "d@rt.test", ("security",), mobile="+8613800138004",
                                 alert_sms=True, on_call=True),
    }


def test_an_urgent_case_nobody_claimed_goes_by_sms_to_on_call_once(db, unit, staff, spot):
    cast = people(unit)
    case_id = submitted(spot, MONDAY_9_LOCAL, body=DANGER)
    assert db.session.get(Case, case_id).urgent
    assert run_ladder(MONDAY_9_LOCAL + timedelta(minutes=4)).fired == 0
    assert texts() == []
    report = run_ladder(MONDAY_9_LOCAL + timedelta(minutes=5, seconds=10))
    assert (report.fired, report.sent) == (1, 1)
    [sms] = texts()
    assert sms.phone == cast["on_call"].mobile
    case = db.session.get(Case, case_id)
    assert case.reference in sms.body
    assert DANGER not in sms.body  # the link, never the visitor's words
    assert f"/staff/cases/{case_id}" in sms.body
    # a second and third round: no second step, no second SMS
    assert run_ladder(MONDAY_9_LOCAL + timedelta(minutes=6)).fired == 0
    assert run_ladder(MONDAY_9_LOCAL + timedelta(minutes=7)).fired == 0
    assert len(texts()) == 1
    [step] = steps()
    assert (step.step, step.texted, step.pushed) == ("oncall_sms", 1, 0)
    [entry] = db.session.scalars(select(AuditLog).where(
        AuditLog.action == "case.ladder_oncall_sms")).all()
    assert entry.target_id == case_id
    assert entry.after["to"] == ["**********8001"]
    assert "+8613800138001" not in str(entry.after)


def test_the_unit_sets_the_minutes(db, unit, staff, spot):
    people(unit)
    unit.ladder_sms_minutes = 15
    db.session.commit()
    submitted(spot, MONDAY_9_LOCAL, body=DANGER)
    assert run_ladder(MONDAY_9_LOCAL + timedelta(minutes=14)).fired == 0
    assert run_ladder(MONDAY_9_LOCAL + timedelta(minutes=15)).fired == 1


def test_quiet_hours_never_hold_back_an_urgent_case(db, unit, staff, spot):
    cast = people(unit)
    cast["on_call"].quiet_start, cast["on_call"].quiet_end = "08:00", "12:00"  # 09:05 local
    db.session.commit()
    submitted(spot, MONDAY_9_LOCAL, body=DANGER)
    run_ladder(MONDAY_9_LOCAL + timedelta(minutes=6))
    assert [sms.phone for sms in texts()] == [cast["on_call"].mobile]


def test_a_case_that_is_not_urgent_gets_no_sms_step(db, unit, staff, spot):
    people(unit)
    submitted(spot, MONDAY_9_LOCAL)
    assert run_ladder(MONDAY_9_LOCAL + timedelta(minutes=20)).fired == 0
    assert texts() == []
    assert steps() == []


def test_claiming_stops_the_ladder(db, unit, staff, spot):
    people(unit)
    case_id = submitted(spot, MONDAY_9_LOCAL, body=DANGER)
    with time_machine.travel(MONDAY_9_LOCAL + timedelta(minutes=3), tick=False):
        claim_case(user=staff, case_id=case_id)
    assert run_ladder(MONDAY_9_LOCAL + timedelta(minutes=6)).fired == 0
    assert run_ladder(MONDAY_9_LOCAL + timedelta(hours=5)).fired == 0  # nor at the deadline
    assert texts() == []
    assert steps() == []


def test_an_sms_queued_before_the_claim_is_not_sent_after_it(db, unit, staff, spot):
    people(unit)
    case_id = submitted(spot, MONDAY_9_LOCAL, body=DANGER)
    assert fire_oncall_step(case_id, MONDAY_9_LOCAL + timedelta(minutes=6)) == 1
    with time_machine.travel(MONDAY_9_LOCAL + timedelta(minutes=6, seconds=5), tick=False):
        claim_case(user=staff, case_id=case_id)
    run_ladder(MONDAY_9_LOCAL + timedelta(minutes=7))
    assert texts() == []
    [sms] = db.session.scalars(select(StaffSms)).all()
    assert sms.state == "stopped"


def director_reachable(staff):
    staff.mobile, staff.alert_sms = "+8613900139000", True
    db.session.add(PushSubscription(user_id=staff.id, endpoint="https://push.example.org/d",
                                    p256dh="k", auth="a"))
    db.session.commit()


def test_the_claim_deadline_goes_by_push_and_sms_to_the_directors(db, unit, staff, spot):
    people(unit)
    director_reachable(staff)
    make_staff(unit, "e@rt.test", ("director",), mobile="+8613900139001", alert_sms=False)
    case_id = submitted(spot, MONDAY_9_LOCAL)  # toilets: claim within 30 minutes
    assert run_ladder(MONDAY_9_LOCAL + timedelta(minutes=29)).fired == 0
    report = run_ladder(MONDAY_9_LOCAL + timedelta(minutes=31))
    assert (report.fired, report.sent) == (1, 1)
    assert db.session.get(Case, case_id).escalated_at is not None
    [step] = steps()
    assert (step.step, step.pushed, step.texted) == ("directors", 1, 1)
    assert [sms.phone for sms in texts()] == ["+8613900139000"]
    # the SLA timer, the ladder again: nothing more
    assert escalate_overdue_cases(MONDAY_9_LOCAL + timedelta(minutes=32)) == 0
    run_ladder(MONDAY_9_LOCAL + timedelta(minutes=33))
    assert len(steps()) == 1
    assert len(texts()) == 1
    assert audit_entries("case.ladder_directors")[0].target_id == case_id


def test_the_sla_timer_fires_the_directors_step_too(db, unit, staff, spot):
    director_reachable(staff)
    submitted(spot, MONDAY_9_LOCAL)
    assert escalate_overdue_cases(MONDAY_9_LOCAL + timedelta(minutes=31)) == 1
    [step] = steps()
    assert step.step == "directors"
    run_ladder(MONDAY_9_LOCAL + timedelta(minutes=32))
    assert len(steps()) == 1
    assert [sms.phone for sms in texts()] == ["+8613900139000"]


def test_a_unit_may_keep_the_directors_to_push_only(db, unit, staff, spot):
    director_reachable(staff)
    unit.ladder_director_sms = False
    db.session.commit()
    submitted(spot, MONDAY_9_LOCAL)
    run_ladder(MONDAY_9_LOCAL + timedelta(minutes=31))
    [step] = steps()
    assert (step.pushed, step.texted) == (1, 0)
    assert texts() == []


def test_two_processes_at_once_fire_each_step_once(app, db, unit, staff, spot):
    people(unit)
    director_reachable(staff)
    submitted(spot, MONDAY_9_LOCAL, body=DANGER)
    db.session.commit()
    later = MONDAY_9_LOCAL + timedelta(hours=2)  # both steps due
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with app.app_context():
                barrier.wait()
                run_ladder(later)
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(step.step for step in steps()) == ["directors", "oncall_sms"]
    assert sorted(sms.phone for sms in texts()) == ["+8613800138001", "+8613900139000"]


def test_the_case_page_shows_each_step_with_masked_mobiles(app, db, unit, staff, spot):
    people(unit)
    case_id = submitted(spot, MONDAY_9_LOCAL, body=DANGER)
    run_ladder(MONDAY_9_LOCAL + timedelta(minutes=6))
    client = app.test_client()
    log_in(client, staff.email)
    html = client.get(f"/staff/cases/{case_id}").get_data(as_text=True)
    assert 'id="ladder"' in html
    assert "向 1 名值班人员发短信" in html
    assert "+86 ••• 8001" in html
    assert "13800138001" not in html


VALID = {"work_start": "08:00", "work_end": "18:00", "work_days": ["1", "2", "3", "4", "5"],
         "autoclose_days": "7", "me_too_window_hours": "24", "hotline_respond_hours": "24",
         "hotline_resolve_days": "7"}


def test_directors_set_the_ladder_and_it_is_audited(staff_client, db, unit):
    response = submit(staff_client, "/admin/unit", {**VALID, "ladder_sms_minutes": "10",
                                                     "ladder_director_sms": "0"})
    assert response.status_code == 303
    db.session.expire_all()
    assert (unit.ladder_sms_minutes, unit.ladder_director_sms) == (10, False)
    [entry] = audit_entries("unit.settings_updated")
    assert (entry.before["ladder_sms_minutes"], entry.after["ladder_sms_minutes"]) == (5, 10)
    assert entry.after["ladder_director_sms"] is False


def test_ladder_minutes_out_of_range_are_refused(staff_client, db, unit):
    for bad in ("0", "241", "-3", "five", ""):
        response = submit(staff_client, "/admin/unit", {**VALID, "ladder_sms_minutes": bad})
        assert response.status_code == 400
    response = submit(staff_client, "/admin/unit", {**VALID, "ladder_director_sms": "maybe"})
    assert response.status_code == 400
    db.session.expire_all()
    assert unit.ladder_sms_minutes == 5
    assert audit_entries("unit.settings_updated") == []
