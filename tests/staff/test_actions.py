"""Case actions through their URLs: CSRF, unit isolation, roles and the state machine."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.models import Case, CaseToken, Message, ReplyTemplate, Status
from app.services.cases.workflow import TRANSITIONS
from tests.conftest import csrf_token, log_in, make_case, make_staff

ACTIONS = ["claim", "assign", "hand-back", "note", "status", "split", "reply"]


@pytest.fixture
def case_id(spot):
    return make_case(spot).case.id


def post(client, case_id, action, **data):
    data.setdefault("csrf_token", csrf_token(client, f"/staff/cases/{case_id}"))
    return client.post(f"/staff/cases/{case_id}/{action}", data=data)


def messages(db):
    return db.session.scalar(select(func.count()).select_from(Message))


def test_claim_from_the_case_page(db, staff_client, staff, case_id):
    response = post(staff_client, case_id, "claim")
    assert response.status_code == 303
    assert db.session.get(Case, case_id).assignee_id == staff.id
    html = staff_client.get(f"/staff/cases/{case_id}").get_data(as_text=True)
    assert f"/staff/cases/{case_id}/hand-back" in html
    assert f"/staff/cases/{case_id}/claim" not in html


def test_assign_and_hand_back(db, unit, staff_client, case_id):
    guard = make_staff(unit, "guard@rt.test", roles=("security",), name="Guard Li")
    assert post(staff_client, case_id, "assign", assignee_id=guard.id).status_code == 303
    assert db.session.get(Case, case_id).assignee_id == guard.id
    assert post(staff_client, case_id, "hand-back").status_code == 303  # director may
    assert db.session.get(Case, case_id).assignee_id is None


def test_note_is_shown_to_staff_only(app, db, staff_client, spot):
    receipt = make_case(spot)
    assert post(staff_client, receipt.case.id, "note", body="需要带梯子").status_code == 303
    assert "需要带梯子" in staff_client.get(f"/staff/cases/{receipt.case.id}").get_data(
        as_text=True)
    assert "需要带梯子" not in app.test_client().get(f"/t/{receipt.token}").get_data(
        as_text=True)


def test_referred_with_to_whom(app, db, staff_client, spot):
    receipt = make_case(spot)
    response = post(staff_client, receipt.case.id, "status", status="referred",
                    referred_to="朝阳区城管")
    assert response.status_code == 303
    assert db.session.get(Case, receipt.case.id).status == "referred"
    assert "朝阳区城管" in app.test_client().get(f"/t/{receipt.token}").get_data(as_text=True)


def test_referred_without_to_whom_is_400(db, staff_client, case_id):
    response = post(staff_client, case_id, "status", status="referred")
    assert response.status_code == 400
    assert db.session.get(Case, case_id).status == "new"


@pytest.mark.parametrize("start", list(Status))
@pytest.mark.parametrize("route", ["status", "reply"])
def test_no_illegal_transition_through_any_route(db, staff_client, case_id, route, start):
    db.session.get(Case, case_id).status = start.value
    db.session.commit()
    token = csrf_token(staff_client, "/staff/")
    before = messages(db)
    for target in (t for t in Status if t not in TRANSITIONS[start]):
        response = post(staff_client, case_id, route, status=target.value, body="x",
                        csrf_token=token)
        assert response.status_code == 400, target
        assert db.session.get(Case, case_id).status == start.value
        assert messages(db) == before


@pytest.mark.parametrize("start", [s for s in Status if s != Status.RESOLVED])
@pytest.mark.parametrize("route", ["fixed", "not-fixed"])
def test_visitor_cannot_close_or_reopen_unless_resolved(app, db, spot, start, route):
    receipt = make_case(spot)
    db.session.get(Case, receipt.case.id).status = start.value
    db.session.commit()
    visitor = app.test_client()
    token = csrf_token(visitor, f"/q/{spot.code}")  # one token per session
    response = visitor.post(f"/t/{receipt.token}/{route}", data={"csrf_token": token})
    assert response.status_code == 400
    assert db.session.get(Case, receipt.case.id).status == start.value


@pytest.mark.parametrize("action", ACTIONS)
def test_another_units_case_is_404_for_every_action(app, db, other_unit, case_id, action):
    outsider = make_staff(other_unit, "director@xy.test")
    client = app.test_client()
    log_in(client, outsider.email)
    token = csrf_token(client, "/staff/")
    before = messages(db)
    response = client.post(f"/staff/cases/{case_id}/{action}",
                           data={"csrf_token": token, "body": "x", "status": "spam",
                                 "assignee_id": outsider.id, "link_id": 1})
    assert response.status_code == 404
    assert messages(db) == before


@pytest.mark.parametrize("action", ACTIONS)
def test_every_action_needs_csrf(db, staff_client, case_id, action):
    response = staff_client.post(f"/staff/cases/{case_id}/{action}",
                                 data={"body": "x", "status": "spam"})
    assert response.status_code == 400
    assert db.session.get(Case, case_id).status == "new"


@pytest.mark.parametrize("action", ACTIONS)
def test_every_action_needs_a_login(client, case_id, action):
    response = client.post(f"/staff/cases/{case_id}/{action}", data={})
    assert response.status_code in (302, 400)  # login redirect, or CSRF refusal first
    assert response.status_code != 303


def test_a_viewer_gets_403(app, db, unit, case_id):
    viewer = make_staff(unit, "viewer@rt.test", roles=("viewer",))
    client = app.test_client()
    log_in(client, viewer.email)
    token = csrf_token(client, "/staff/")
    response = client.post(f"/staff/cases/{case_id}/claim", data={"csrf_token": token})
    assert response.status_code == 403
    assert db.session.get(Case, case_id).assignee_id is None


def test_reply_template_fills_the_reply(db, unit, staff_client, case_id):
    template = ReplyTemplate(unit_id=unit.id, title="已处理",
                             body="您在{spot}反映的问题（{reference}）已处理。")
    db.session.add(template)
    db.session.commit()
    reference = db.session.get(Case, case_id).reference
    html = staff_client.get(f"/staff/cases/{case_id}?template={template.id}").get_data(
        as_text=True)
    assert f"您在北门厕所反映的问题（{reference}）已处理。" in html


def test_another_units_template_is_not_offered(db, other_unit, staff_client, case_id):
    template = ReplyTemplate(unit_id=other_unit.id, title="theirs", body="别人的模板")
    db.session.add(template)
    db.session.commit()
    html = staff_client.get(f"/staff/cases/{case_id}?template={template.id}").get_data(
        as_text=True)
    assert "别人的模板" not in html


def test_split_from_the_case_page(db, unit, staff_client, spot):
    unit.me_too_window_hours = 24
    db.session.commit()
    first = make_case(spot)
    make_case(spot, body="另一个问题")
    link = db.session.scalars(select(CaseToken)).one()
    html = staff_client.get(f"/staff/cases/{first.case.id}").get_data(as_text=True)
    assert f'name="link_id" value="{link.id}"' in html
    response = post(staff_client, first.case.id, "split", link_id=link.id)
    assert response.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Case)) == 2


def test_manifest_for_the_home_screen(client):
    response = client.get("/staff/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = response.get_json(force=True)
    assert manifest["start_url"] == "/staff/"
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}
    for icon in manifest["icons"]:
        with client.get(icon["src"]) as image:
            assert image.status_code == 200
            assert image.mimetype == "image/png"
