"""Staff take a case down (a call, the counter, a patrol): POST /staff/cases/new and
POST /api/v1/cases, a public contract; the case enters the same workflow."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from app.extensions import socketio
from app.models import AuditLog, Case, Notification, Status
from app.realtime import NAMESPACE
from app.services.cases.inbox import InboxFilter, inbox_query
from app.services.cases.operations import change_status
from tests.conftest import csrf_token, isolated, log_in, make_staff
from tests.support.db_snapshot import nothing_stored
from tests.support.images import png


def take_down(client, **fields):
    data = {"csrf_token": csrf_token(client, "/staff/cases/new"), "spot": "", "category": "toilets",
            "body": "游客来电：北门厕所没有纸了", "channel": "phone"}
    data.update(fields)
    return client.post("/staff/cases/new", data=data, content_type="multipart/form-data")


def the_case(db):
    return db.session.scalars(select(Case).order_by(Case.id.desc())).first()


def test_a_call_taken_down_is_a_case_like_any_other(app, db, staff, staff_client, spot):
    socket = isolated(socketio.test_client, app, namespace=NAMESPACE,
                      flask_test_client=staff_client)
    response = take_down(staff_client, spot=spot.code, contact="13912345678",
                         photos=[(io.BytesIO(png()), "paper.png")])
    assert response.status_code == 303
    case = the_case(db)
    assert response.headers["Location"].endswith(f"/staff/cases/{case.id}")
    assert (case.source, case.channel, case.status) == ("staff", "phone", "new")
    assert case.responsible_role == "cleaning"
    assert case.claim_due_at is not None
    assert case.reply_due_at is not None
    assert len(case.photos) == 1
    # the caller gets the private link by SMS, the staff phones the live event
    assert [n.channel for n in db.session.scalars(
        select(Notification).where(Notification.case_id == case.id))] == ["sms"]
    (event,) = [e["args"][0] for e in socket.get_received(NAMESPACE)
                if e["name"] == "feedback.created"]
    assert event["case_id"] == case.id
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "case.taken_down"))
    assert (audit.user_id, audit.target_id) == (staff.id, case.id)
    page = staff_client.get(f"/staff/cases/{case.id}?lang=en").get_data(as_text=True)
    assert "took the case down (Phone call)" in page


def test_a_patrol_finding_is_answered_by_its_fix(db, staff, staff_client, spot):
    assert take_down(staff_client, spot=spot.code, channel="patrol",
                     body="巡查发现：东门栏杆松动").status_code == 303
    case = the_case(db)
    assert case.reply_due_at is None
    unanswered = db.session.scalars(
        inbox_query(staff, InboxFilter(show="unanswered"), case.created_at)).all()
    assert case not in unanswered
    change_status(user=staff, case_id=case.id, status=Status.RESOLVED.value)
    assert db.session.get(Case, case.id).status == "resolved"


def test_a_phone_case_still_needs_its_word_to_the_caller(db, staff, staff_client, spot):
    from app.services.errors import DomainError

    take_down(staff_client, spot=spot.code, channel="counter")
    case = the_case(db)
    with pytest.raises(DomainError):
        change_status(user=staff, case_id=case.id, status=Status.RESOLVED.value)


def test_a_viewer_may_not_take_cases_down(app, db, unit, spot):
    viewer = make_staff(unit, "viewer@rt.test", roles=("viewer",))
    client = app.test_client()
    log_in(client, viewer.email)
    assert client.get("/staff/cases/new").status_code == 403
    token = csrf_token(client, "/staff/")
    with nothing_stored("a viewer's case"):
        response = client.post("/staff/cases/new", data={
            "csrf_token": token, "spot": spot.code, "category": "toilets", "body": "x",
            "channel": "phone"})
    assert response.status_code == 403


def test_another_units_spot_is_not_found(db, staff_client, other_unit):
    others = other_unit.parks[0].spots[0]
    with nothing_stored("a case at another unit's spot"):
        response = take_down(staff_client, spot=others.code)
    assert response.status_code == 404


@pytest.mark.parametrize(("field", "value"), [
    ("body", ""), ("body", "x" * 4001), ("channel", "carrier-pigeon"), ("channel", ""),
    ("category", "no-such-category"), ("spot", ""), ("contact", "x" * 300),
])
def test_bad_input_is_the_form_again_and_nothing_stored(db, staff_client, spot, field, value):
    fields = {"spot": spot.code, field: value}
    with nothing_stored(f"{field}={value[:20]!r}"):
        response = take_down(staff_client, **fields)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'class="form-problem"' in html
    assert 'name="body"' in html


def test_the_form_offers_the_units_spots_and_a_link_from_the_spots_qr_page(
        app, staff_client, spot, other_unit):
    html = staff_client.get(f"/staff/cases/new?spot={spot.code}").get_data(as_text=True)
    assert f'<option value="{spot.code}" selected' in html
    assert other_unit.parks[0].spots[0].code not in html
    # a logged-in staff member who scans the spot's code is offered the same, there
    assert f"/staff/cases/new?spot={spot.code}" in staff_client.get(
        f"/q/{spot.code}").get_data(as_text=True)
    assert "/staff/cases/new" not in app.test_client().get(f"/q/{spot.code}").get_data(
        as_text=True)


def api_post(client, json):
    token = client.get("/api/v1/session").get_json()["csrf_token"]
    return client.post("/api/v1/cases", json=json, headers={"X-CSRFToken": token})


def test_the_api_takes_a_case_down_too(db, staff_client, spot):
    response = api_post(staff_client, {"spot": spot.code, "category": "noise",
                                       "body": "窗口来访：广场舞音响太吵", "channel": "counter"})
    assert response.status_code == 201
    body = response.get_json()
    assert (body["source"], body["channel"], body["status"]) == ("staff", "counter", "new")
    shown = staff_client.get(f"/api/v1/cases/{body['id']}").get_json()
    assert (shown["source"], shown["channel"]) == ("staff", "counter")


def test_the_api_refuses_what_the_form_refuses(app, db, unit, staff_client, spot, other_unit):
    viewer = make_staff(unit, "viewer@rt.test", roles=("viewer",))
    viewer_client = app.test_client()
    log_in(viewer_client, viewer.email)
    good = {"spot": spot.code, "category": "toilets", "body": "没有纸", "channel": "phone"}
    with nothing_stored("refused API cases"):
        assert api_post(viewer_client, good).status_code == 403
        others = {**good, "spot": other_unit.parks[0].spots[0].code}
        assert api_post(staff_client, others).status_code == 404
        assert api_post(staff_client, {**good, "channel": "fax"}).status_code == 422
        assert api_post(staff_client, {**good, "category": "nope"}).status_code == 400


@pytest.mark.parametrize("field", ["spot", "category"])
def test_control_characters_in_the_api_are_refused_before_any_query(db, staff_client, spot,
                                                                   field):
    good = {"spot": spot.code, "category": "toilets", "body": "没有纸", "channel": "phone"}
    with nothing_stored(f"NUL in {field}"):
        assert api_post(staff_client, {**good, field: "ab\x00cd"}).status_code == 422

