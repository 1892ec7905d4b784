"""Case actions through their URLs: CSRF, unit isolation, roles and the state machine."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.models import Case, CaseToken, ReplyTemplate, Status
from tests.conftest import csrf_token, make_case, make_staff
from tests.support.db_snapshot import nothing_stored
from tests.support.pages import page_text


@pytest.fixture
def case_id(spot):
    return make_case(spot).case.id


def post(client, case_id, action, **data):
    data.setdefault("csrf_token", csrf_token(client, f"/staff/cases/{case_id}"))
    return client.post(f"/staff/cases/{case_id}/{action}", data=data)


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
    visitor_page = page_text(app.test_client(), f"/t/{receipt.token}",
                             receipt.case.reference, receipt.case.body)
    assert "需要带梯子" not in visitor_page


def test_referred_with_to_whom(app, db, staff_client, spot):
    receipt = make_case(spot)
    response = post(staff_client, receipt.case.id, "status", status="referred",
                    referred_to="朝阳区城管", reply="这件事归朝阳区城管，我们已转交。")
    assert response.status_code == 303
    assert db.session.get(Case, receipt.case.id).status == "referred"
    assert "朝阳区城管" in app.test_client().get(f"/t/{receipt.token}").get_data(as_text=True)


def test_referred_without_to_whom_is_400(db, staff_client, case_id):
    with nothing_stored("referred without to whom"):
        response = post(staff_client, case_id, "status", status="referred")
    assert response.status_code == 400


# The state machine as the README describes it, written out by hand (not read from the
# code under test): from each status, the statuses staff may move a case to.
CLOSED = {"closed", "duplicate", "referred", "no_action", "spam"}
LEGAL_MOVES = {
    "new": {"acknowledged", "in_progress", "resolved", "duplicate", "referred", "no_action",
            "spam"},
    "acknowledged": {"in_progress", "resolved", "duplicate", "referred", "no_action", "spam"},
    "in_progress": {"resolved", "duplicate", "referred", "no_action", "spam"},
    "resolved": {"closed", "in_progress"},
    **{status: set() for status in CLOSED},
}
ALL_STATUSES = ["new", "acknowledged", "in_progress", "resolved", *sorted(CLOSED)]


def test_the_matrix_names_every_status():
    assert set(ALL_STATUSES) == {status.value for status in Status}


@pytest.mark.parametrize("start", ALL_STATUSES)
@pytest.mark.parametrize("route", ["status", "reply"])
def test_every_move_through_every_route(db, staff_client, spot, route, start):
    """Legal moves succeed; illegal ones are 400 and store nothing (a reply, and to whom,
    are always given, so that only the move itself decides)."""
    token = csrf_token(staff_client, "/staff/")
    for target in ALL_STATUSES:
        case_id = make_case(spot).case.id
        db.session.get(Case, case_id).status = start
        db.session.commit()
        text = {"reply": "已处理", "body": "已处理"}
        where = f"{route}: {start} -> {target}"
        if target in LEGAL_MOVES[start]:
            response = post(staff_client, case_id, route, status=target, referred_to="区城管委",
                            csrf_token=token, **text)
            assert response.status_code == 303, where
            assert db.session.get(Case, case_id).status == target, where
        else:
            with nothing_stored(where):
                response = post(staff_client, case_id, route, status=target,
                                referred_to="区城管委", csrf_token=token, **text)
            assert response.status_code == 400, where
            assert "不能改为" in response.get_data(as_text=True) or route == "reply", where


@pytest.mark.parametrize("target", ["resolved", "no_action", "duplicate", "referred"])
def test_closing_without_a_word_to_the_visitor_is_refused(app, db, staff_client, spot, target):
    receipt = make_case(spot)
    with nothing_stored(f"{target} without a reply"):
        response = post(staff_client, receipt.case.id, "status", status=target,
                        referred_to="区城管委")
    assert response.status_code == 400
    assert "请先给游客回复" in response.get_data(as_text=True)
    response = post(staff_client, receipt.case.id, "status", status=target,
                    referred_to="区城管委", reply="这件事我们已经处理，谢谢您。")
    assert response.status_code == 303
    case = db.session.get(Case, receipt.case.id)
    assert (case.status, case.first_response_at is not None) == (target, True)
    assert [m.kind for m in case.messages] == ["visitor", "reply", "status"]
    page = app.test_client().get(f"/t/{receipt.token}").get_data(as_text=True)
    assert "这件事我们已经处理，谢谢您。" in page


def test_spam_needs_no_reply_and_a_case_answered_before_closes_without_one(db, staff_client,
                                                                           spot):
    spam = make_case(spot, body="广告")
    assert post(staff_client, spam.case.id, "spam").status_code == 303
    assert db.session.get(Case, spam.case.id).status == "spam"
    answered = make_case(spot)
    assert post(staff_client, answered.case.id, "reply", body="我们马上去看").status_code == 303
    assert post(staff_client, answered.case.id, "status", status="no_action").status_code == 303
    assert db.session.get(Case, answered.case.id).status == "no_action"


def test_the_status_form_asks_for_the_reply_until_there_is_one(staff_client, spot):
    case_id = make_case(spot).case.id
    page = staff_client.get(f"/staff/cases/{case_id}").get_data(as_text=True)
    assert 'name="reply"' in page
    assert "这条留言还没有回复" in page
    post(staff_client, case_id, "reply", body="收到")
    page = staff_client.get(f"/staff/cases/{case_id}").get_data(as_text=True)
    assert 'name="reply"' in page
    assert "这条留言还没有回复" not in page


@pytest.mark.parametrize("start", [s for s in Status if s != Status.RESOLVED])
@pytest.mark.parametrize("route", ["fixed", "not-fixed"])
def test_visitor_cannot_close_or_reopen_unless_resolved(app, db, spot, start, route):
    receipt = make_case(spot)
    db.session.get(Case, receipt.case.id).status = start.value
    db.session.commit()
    visitor = app.test_client()
    token = csrf_token(visitor, f"/q/{spot.code}")  # one token per session
    with nothing_stored(f"{route} when {start.value}"):
        response = visitor.post(f"/t/{receipt.token}/{route}", data={"csrf_token": token})
    assert response.status_code == 400


# Who may not use these routes (the anonymous, a viewer, another unit's staff, the bureau)
# and their CSRF token: tests/test_role_walk.py and tests/test_csrf_walk.py walk every
# state-changing route from app.url_map, so no list of actions is kept here.


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
    first = make_case(spot)
    # joins as "me too" by its words; staff see a second problem in it and split it off
    make_case(spot, body="厕所没有纸了，洗手池也坏了")
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
