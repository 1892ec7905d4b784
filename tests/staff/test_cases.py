"""The inbox, the case page and replies; staff see only their own unit's cases."""

from __future__ import annotations

from app.models import Case
from tests.conftest import csrf_token, log_in, make_case, make_staff
from tests.support.db_snapshot import nothing_stored


def test_inbox_lists_own_cases_only(staff_client, spot, other_unit):
    mine = make_case(spot, body="我们园的厕所没有纸")
    theirs = make_case(other_unit.parks[0].spots[0], body="别的园的问题")
    html = staff_client.get("/staff/").get_data(as_text=True)
    assert mine.case.reference in html
    assert "我们园的厕所没有纸" in html
    assert theirs.case.reference not in html
    assert "别的园的问题" not in html


def test_staff_pages_are_not_cached(staff_client):
    assert staff_client.get("/staff/").headers["Cache-Control"] == "no-store"


def test_case_page_shows_contact_to_own_staff(staff_client, spot):
    receipt = make_case(spot, contact="13800138000")
    html = staff_client.get(f"/staff/cases/{receipt.case.id}").get_data(as_text=True)
    assert "13800138000" in html


def test_other_units_case_is_404(app, other_unit, spot):
    receipt = make_case(spot)
    outsider = make_staff(other_unit, "director@xy.test")
    client = app.test_client()
    log_in(client, outsider.email)
    assert client.get(f"/staff/cases/{receipt.case.id}").status_code == 404
    token = csrf_token(client, "/staff/")
    response = client.post(f"/staff/cases/{receipt.case.id}/reply",
                           data={"body": "not yours", "csrf_token": token})
    assert response.status_code == 404


def test_reply_reaches_the_tracking_page(app, db, staff_client, spot):
    receipt = make_case(spot)
    case_id = receipt.case.id
    token = csrf_token(staff_client, f"/staff/cases/{case_id}")
    response = staff_client.post(f"/staff/cases/{case_id}/reply", data={
        "body": "已补充厕纸，谢谢提醒", "status": "resolved", "csrf_token": token})
    assert response.status_code == 303
    visitor = app.test_client()
    html = visitor.get(f"/t/{receipt.token}").get_data(as_text=True)
    assert "已补充厕纸，谢谢提醒" in html
    assert "已解决" in html
    case = db.session.get(Case, case_id)
    assert case.status == "resolved"
    assert case.first_response_at is not None
    assert case.resolved_at is not None


def test_first_reply_acknowledges_a_new_case(db, staff_client, spot):
    receipt = make_case(spot)
    token = csrf_token(staff_client, f"/staff/cases/{receipt.case.id}")
    staff_client.post(f"/staff/cases/{receipt.case.id}/reply",
                      data={"body": "收到，马上处理", "csrf_token": token})
    case = db.session.get(Case, receipt.case.id)
    assert case.status == "acknowledged"
    kinds = [m.kind for m in case.messages]
    assert kinds == ["visitor", "reply", "status"]


def test_empty_reply_is_refused_and_stores_nothing(db, staff_client, spot):
    receipt = make_case(spot)
    token = csrf_token(staff_client, f"/staff/cases/{receipt.case.id}")
    with nothing_stored("a blank reply"):
        response = staff_client.post(f"/staff/cases/{receipt.case.id}/reply",
                                     data={"body": "  ", "csrf_token": token})
    assert response.status_code == 400


def test_illegal_status_is_refused(db, staff_client, spot):
    receipt = make_case(spot)
    token = csrf_token(staff_client, f"/staff/cases/{receipt.case.id}")
    with nothing_stored("new -> closed"):
        response = staff_client.post(f"/staff/cases/{receipt.case.id}/reply",
                                     data={"body": "x", "status": "closed", "csrf_token": token})
    assert response.status_code == 400


def test_reply_without_csrf_is_400_and_stores_nothing(db, staff_client, spot):
    receipt = make_case(spot)
    with nothing_stored("a reply without CSRF"):
        response = staff_client.post(f"/staff/cases/{receipt.case.id}/reply",
                                     data={"body": "hi"})
    assert response.status_code == 400


def test_a_blank_status_keeps_the_status(db, staff_client, spot):
    """A status of spaces passed Optional() and was a 500 (found by fuzzing)."""
    receipt = make_case(spot)
    token = csrf_token(staff_client, f"/staff/cases/{receipt.case.id}")
    response = staff_client.post(f"/staff/cases/{receipt.case.id}/reply",
                                 data={"body": "收到", "status": " ", "csrf_token": token})
    assert response.status_code == 303
    assert db.session.get(Case, receipt.case.id).status == "acknowledged"


def test_case_page_names_the_responsible_role_in_the_users_language(staff_client, db, spot):
    case = make_case(spot).case
    case.responsible_role = "cleaning"
    db.session.commit()
    html = staff_client.get(f"/staff/cases/{case.id}").get_data(as_text=True)
    assert "岗位：保洁" in html
    assert "岗位：cleaning" not in html
    english = staff_client.get(f"/staff/cases/{case.id}?lang=en").get_data(as_text=True)
    assert "role: Cleaning" in english
