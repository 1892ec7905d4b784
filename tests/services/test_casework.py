"""Staff actions on a case: each is a thread entry, an event and an audit entry."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from app.models import AuditLog, Case, Event, Message, Notification
from app.models.types import utcnow
from app.services.cases.operations import (
    add_internal_note,
    assign_case,
    change_status,
    claim_case,
    close_resolved_cases,
    hand_back_case,
    reply_to_visitor,
)
from app.services.cases.reply_templates import fill_reply_template
from app.services.errors import DomainError, ForbiddenError, NotFoundError
from app.services.platform.jobs import run_due_jobs
from tests.conftest import make_case, make_staff
from tests.support.db_snapshot import nothing_stored


@pytest.fixture
def guard(unit):
    return make_staff(unit, "guard@rt.test", roles=("security",), name="Guard Li")


@pytest.fixture
def case_id(spot):
    return make_case(spot).case.id


def last_event(db):
    return db.session.scalars(select(Event).order_by(Event.id.desc())).first()


def audit_actions(db, case_id):
    return [entry.action for entry in db.session.scalars(
        select(AuditLog).where(AuditLog.target_id == case_id).order_by(AuditLog.id))]


def test_claim_makes_the_user_assignee_and_acknowledges(db, staff, case_id):
    claim_case(user=staff, case_id=case_id)
    case = db.session.get(Case, case_id)
    assert case.assignee_id == staff.id
    assert case.claimed_at is not None
    assert case.status == "acknowledged"
    assert [(m.kind, m.action) for m in case.messages][1:] == [("action", "claimed"),
                                                               ("status", None)]
    event = last_event(db)
    assert event.kind == "case.claimed"
    assert event.payload["assignee_id"] == staff.id
    assert audit_actions(db, case_id) == ["case.claimed"]


def test_claiming_twice_is_refused(db, staff, case_id):
    claim_case(user=staff, case_id=case_id)
    with pytest.raises(DomainError):
        claim_case(user=staff, case_id=case_id)


def test_assign_to_a_colleague(db, staff, guard, case_id):
    assign_case(user=staff, case_id=case_id, assignee_id=guard.id)
    case = db.session.get(Case, case_id)
    assert case.assignee_id == guard.id
    assert case.messages[1].body == "Guard Li"
    assert last_event(db).kind == "case.assigned"
    assert audit_actions(db, case_id) == ["case.assigned"]


def test_assign_to_someone_of_another_unit_is_refused(db, staff, case_id, other_unit):
    stranger = make_staff(other_unit, "someone@xy.test", roles=("security",))
    with pytest.raises(DomainError):
        assign_case(user=staff, case_id=case_id, assignee_id=stranger.id)
    assert db.session.get(Case, case_id).assignee_id is None


def test_hand_back_by_the_holder(db, guard, case_id):
    claim_case(user=guard, case_id=case_id)
    hand_back_case(user=guard, case_id=case_id)
    case = db.session.get(Case, case_id)
    assert case.assignee_id is None
    assert last_event(db).kind == "case.handed_back"


def test_hand_back_by_a_third_person_is_forbidden(db, unit, staff, guard, case_id):
    cleaner = make_staff(unit, "clean@rt.test", roles=("cleaning",))
    claim_case(user=guard, case_id=case_id)
    with pytest.raises(ForbiddenError):
        hand_back_case(user=cleaner, case_id=case_id)
    hand_back_case(user=staff, case_id=case_id)  # a director may
    assert db.session.get(Case, case_id).assignee_id is None


def test_internal_note_is_never_public(app, db, staff, spot):
    receipt = make_case(spot)
    add_internal_note(user=staff, case_id=receipt.case.id, body="钥匙在保安室")
    note = db.session.scalars(select(Message).where(Message.kind == "note")).one()
    assert not note.is_public
    html = app.test_client().get(f"/t/{receipt.token}").get_data(as_text=True)
    assert "钥匙在保安室" not in html
    assert last_event(db).kind == "case.noted"


def test_referred_needs_to_whom(db, staff, case_id):
    with pytest.raises(DomainError):
        change_status(user=staff, case_id=case_id, status="referred", reply="已转交")
    change_status(user=staff, case_id=case_id, status="referred", referred_to="区城管委",
                  reply="已转交区城管委处理")
    case = db.session.get(Case, case_id)
    assert case.status == "referred"
    assert case.closed_at is not None
    assert case.messages[-1].body == "区城管委"
    event = last_event(db)
    assert (event.kind, event.payload["change"]) == ("case.updated", "status")
    entry = db.session.scalars(select(AuditLog)).one()
    assert entry.before["status"] == "new"
    assert entry.after["status"] == "referred"


@pytest.mark.parametrize(("start", "target"), [
    ("new", "closed"), ("new", "new"), ("acknowledged", "new"), ("in_progress", "acknowledged"),
    ("resolved", "spam"), ("closed", "in_progress"), ("spam", "new"), ("duplicate", "resolved"),
])
def test_illegal_transitions_are_refused(db, staff, case_id, start, target):
    db.session.get(Case, case_id).status = start
    db.session.commit()
    with pytest.raises(DomainError):
        change_status(user=staff, case_id=case_id, status=target)
    assert db.session.get(Case, case_id).status == start


def test_unknown_status_is_refused(staff, case_id):
    with pytest.raises(DomainError):
        change_status(user=staff, case_id=case_id, status="teleported")


def test_another_units_staff_cannot_act(db, other_unit, case_id):
    outsider = make_staff(other_unit, "director@xy.test")
    for action in (lambda: claim_case(user=outsider, case_id=case_id),
                   lambda: add_internal_note(user=outsider, case_id=case_id, body="x"),
                   lambda: change_status(user=outsider, case_id=case_id, status="spam")):
        with pytest.raises(NotFoundError):
            action()
    assert db.session.get(Case, case_id).status == "new"


def test_a_viewer_may_not_act(unit, case_id):
    viewer = make_staff(unit, "viewer@rt.test", roles=("viewer",))
    with pytest.raises(ForbiddenError):
        claim_case(user=viewer, case_id=case_id)


@pytest.mark.parametrize("target", ["resolved", "no_action", "duplicate", "referred"])
def test_no_case_closes_without_a_word_to_the_visitor(db, staff, spot, target):
    receipt = make_case(spot, contact="visitor@example.org")
    with nothing_stored(f"{target} without a reply"), pytest.raises(DomainError):
        change_status(user=staff, case_id=receipt.case.id, status=target, referred_to="城管")
    change_status(user=staff, case_id=receipt.case.id, status=target, referred_to="城管",
                  reply="谢谢，已处理。")
    case = db.session.get(Case, receipt.case.id)
    assert case.status == target
    assert [(m.kind, m.body) for m in case.messages][1:] == [
        ("reply", "谢谢，已处理。"), ("status", "城管" if target == "referred" else "")]
    assert case.first_response_at == case.messages[1].created_at
    event = last_event(db)
    assert (event.payload["change"], event.payload["replied"]) == ("status", True)
    # the visitor is told once, with the reply and the new status (after the "received"
    # message of their submission)
    notes = db.session.scalars(select(Notification).order_by(Notification.id)).all()
    assert [(n.message_id, n.status_to) for n in notes] == [
        (case.messages[0].id, None), (case.messages[1].id, target)]


def test_spam_and_cases_answered_before_close_without_a_reply(db, staff, spot):
    spam = make_case(spot).case.id
    change_status(user=staff, case_id=spam, status="spam")
    answered = make_case(spot).case.id
    reply_to_visitor(user=staff, case_id=answered, body="我们去看看")
    change_status(user=staff, case_id=answered, status="no_action")
    assert [db.session.get(Case, i).status for i in (spam, answered)] == ["spam", "no_action"]
    assert last_event(db).payload["replied"] is False


def test_reply_is_audited(db, staff, case_id):
    reply_to_visitor(user=staff, case_id=case_id, body="收到")
    assert audit_actions(db, case_id) == ["case.replied"]


def test_reply_template_placeholders(db, unit, spot):
    from app.models import ReplyTemplate

    case = db.session.get(Case, make_case(spot).case.id)
    template = ReplyTemplate(unit_id=unit.id, title="t",
                             body="{park}{spot}的{category}问题（{reference}）已处理。{unknown}")
    assert fill_reply_template(template, case, "zh_CN") ==\
        f"RT公园北门厕所的厕所与保洁问题（{case.reference}）已处理。{{unknown}}"
    template.body = "stray { brace"
    assert fill_reply_template(template, case, "zh_CN") == "stray { brace"


def test_resolved_case_closes_after_the_units_delay(db, unit, staff, case_id):
    unit.autoclose_days = 7
    db.session.commit()
    change_status(user=staff, case_id=case_id, status="resolved", reply="已修好")
    resolved_at = db.session.get(Case, case_id).resolved_at
    assert close_resolved_cases(resolved_at + timedelta(days=6)) == 0
    assert close_resolved_cases(resolved_at + timedelta(days=7, seconds=1)) == 1
    case = db.session.get(Case, case_id)
    assert case.status == "closed"
    assert case.messages[-1].status_to == "closed"
    assert last_event(db).payload["change"] == "autoclosed"


def test_a_reopened_case_does_not_autoclose(db, staff, case_id):
    change_status(user=staff, case_id=case_id, status="resolved", reply="已修好")
    change_status(user=staff, case_id=case_id, status="in_progress")
    assert close_resolved_cases(utcnow() + timedelta(days=30)) == 0
    assert db.session.get(Case, case_id).status == "in_progress"


def test_autoclose_runs_as_a_periodic_job(db, staff, case_id):
    change_status(user=staff, case_id=case_id, status="resolved", reply="已修好")
    with time_machine.travel(utcnow() + timedelta(days=8), tick=False):
        assert "cases.autoclose" in run_due_jobs()
    assert db.session.get(Case, case_id).status == "closed"
