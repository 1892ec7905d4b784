"""The visitor's side of the loop on /t/<token>: follow up, fixed, not fixed, rate."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import socketio
from app.models import AuditLog, Case
from app.realtime import NAMESPACE
from app.services.cases.operations import change_status, reply_to_visitor
from tests.conftest import csrf_token, isolated, make_case


@pytest.fixture
def receipt(spot):
    return make_case(spot)


@pytest.fixture
def visitor(app):
    return app.test_client()


def act(visitor, receipt, action, **data):
    data.setdefault("csrf_token", csrf_token(visitor, f"/q/{receipt.case.spot.code}"))
    return visitor.post(f"/t/{receipt.token}/{action}", data=data)


def resolve(staff, receipt):
    reply_to_visitor(user=staff, case_id=receipt.case.id, body="已修好", new_status="resolved")


def test_follow_up_joins_the_thread_and_reaches_staff(app, db, visitor, receipt,
                                                      staff_client):
    socket = isolated(socketio.test_client, app, namespace=NAMESPACE,
                      flask_test_client=staff_client)
    response = act(visitor, receipt, "follow-up", body="现在更严重了")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/t/{receipt.token}")
    assert "现在更严重了" in visitor.get(f"/t/{receipt.token}").get_data(as_text=True)
    (event,) = [e["args"][0] for e in socket.get_received(NAMESPACE)
                if e["name"] == "case.updated"]
    assert event["change"] == "follow_up"


def test_empty_follow_up_is_400(db, visitor, receipt):
    assert act(visitor, receipt, "follow-up", body=" ").status_code == 400
    assert len(db.session.get(Case, receipt.case.id).messages) == 1


def test_fixed_closes_a_resolved_case(db, staff, visitor, receipt):
    resolve(staff, receipt)
    assert act(visitor, receipt, "fixed").status_code == 303
    case = db.session.get(Case, receipt.case.id)
    assert case.status == "closed"
    assert case.confirmed_fixed_at is not None


def test_not_fixed_reopens_and_counts(app, db, staff, staff_client, visitor, receipt):
    resolve(staff, receipt)
    socket = isolated(socketio.test_client, app, namespace=NAMESPACE,
                      flask_test_client=staff_client)
    response = act(visitor, receipt, "not-fixed", body="还是坏的")
    assert response.status_code == 303
    case = db.session.get(Case, receipt.case.id)
    assert case.status == "in_progress"
    assert case.reopen_count == 1
    assert case.resolved_at is None
    assert [m.body for m in case.messages if m.kind == "visitor"][-1] == "还是坏的"
    (event,) = [e["args"][0] for e in socket.get_received(NAMESPACE)
                if e["name"] == "case.updated"]
    assert event["change"] == "reopened"
    assert db.session.scalars(select(AuditLog.action)).all()[-1] == "case.reopened"


def test_rating_the_answer(db, staff, visitor, receipt):
    page = visitor.get(f"/t/{receipt.token}").get_data(as_text=True)
    assert 'name="score"' not in page  # nothing to rate before a reply
    reply_to_visitor(user=staff, case_id=receipt.case.id, body="收到")
    assert 'name="score"' in visitor.get(f"/t/{receipt.token}").get_data(as_text=True)
    assert act(visitor, receipt, "rate", score="4").status_code == 303
    assert db.session.get(Case, receipt.case.id).satisfaction == 4
    assert act(visitor, receipt, "rate", score="5").status_code == 303
    assert db.session.get(Case, receipt.case.id).satisfaction == 5


@pytest.mark.parametrize("score", ["0", "6", "x", ""])
def test_bad_rating_is_400(db, staff, visitor, receipt, score):
    reply_to_visitor(user=staff, case_id=receipt.case.id, body="收到")
    assert act(visitor, receipt, "rate", score=score).status_code == 400
    assert db.session.get(Case, receipt.case.id).satisfaction is None


def test_rating_before_any_reply_is_400(db, visitor, receipt):
    assert act(visitor, receipt, "rate", score="3").status_code == 400


def test_follow_up_on_a_closed_case_is_400(db, staff, visitor, receipt):
    change_status(user=staff, case_id=receipt.case.id, status="spam")
    assert act(visitor, receipt, "follow-up", body="还有").status_code == 400


@pytest.mark.parametrize("action", ["follow-up", "fixed", "not-fixed", "rate"])
def test_unknown_token_is_404(visitor, receipt, action):
    token = csrf_token(visitor, f"/q/{receipt.case.spot.code}")
    response = visitor.post(f"/t/not-a-real-token/{action}",
                            data={"csrf_token": token, "body": "x", "score": "3"})
    assert response.status_code == 404


@pytest.mark.parametrize("action", ["follow-up", "fixed", "not-fixed", "rate"])
def test_visitor_actions_need_csrf(db, visitor, receipt, action):
    response = visitor.post(f"/t/{receipt.token}/{action}", data={"body": "x", "score": "3"})
    assert response.status_code == 400
    assert len(db.session.get(Case, receipt.case.id).messages) == 1


def test_internal_entries_never_reach_the_tracking_page(db, staff, visitor, receipt):
    from app.services.cases.operations import add_internal_note, claim_case

    claim_case(user=staff, case_id=receipt.case.id)
    add_internal_note(user=staff, case_id=receipt.case.id, body="内部备注")
    html = visitor.get(f"/t/{receipt.token}").get_data(as_text=True)
    assert "内部备注" not in html
    assert staff.name not in html


def test_me_too_visitor_sees_the_shared_thread(db, unit, spot, visitor):
    unit.me_too_window_hours = 24
    db.session.commit()
    make_case(spot, body="第一位游客")
    second = make_case(spot, body="第二位游客")
    html = visitor.get(f"/t/{second.token}").get_data(as_text=True)
    assert "第一位游客" in html
    assert "第二位游客" in html
