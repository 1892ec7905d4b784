"""The JSON API's workflow writes: claim, assign, hand back, notes and status changes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Case, Event
from app.services.accounts.api_keys import issue_api_key
from tests.conftest import make_case, make_staff
from tests.support.db_snapshot import nothing_stored


def session_token(client):
    return client.get("/api/v1/session").get_json()["csrf_token"]


def post(client, path, json=None):
    return client.post(path, json=json if json is not None else {},
                       headers={"X-CSRFToken": session_token(client)})


def events(case_id):
    return list(db.session.scalars(
        select(Event.kind).where(Event.case_id == case_id).order_by(Event.id)))


def test_claim_takes_the_case_and_acknowledges_it(staff_client, staff, spot):
    case = make_case(spot).case
    response = post(staff_client, f"/api/v1/cases/{case.id}/claim")
    assert response.status_code == 200
    body = response.get_json()
    assert body["assignee"] == {"id": staff.id, "name": staff.name}
    assert body["status"] == "acknowledged"
    assert body["claimed_at"] is not None
    assert "case.claimed" in events(case.id)


def test_claiming_twice_is_409_and_changes_nothing(staff_client, spot):
    case = make_case(spot).case
    assert post(staff_client, f"/api/v1/cases/{case.id}/claim").status_code == 200
    with nothing_stored("claimed twice"):
        response = post(staff_client, f"/api/v1/cases/{case.id}/claim")
    assert response.status_code == 409
    assert response.get_json()["message"]


def test_assign_to_a_colleague(staff_client, unit, spot):
    colleague = make_staff(unit, "cleaner@rt.test", roles=("cleaning",), name="王师傅")
    case = make_case(spot).case
    listed = staff_client.get(f"/api/v1/cases/{case.id}/colleagues").get_json()
    assert colleague.id in [person["id"] for person in listed]
    response = post(staff_client, f"/api/v1/cases/{case.id}/assign",
                    {"assignee_id": colleague.id})
    assert response.status_code == 200
    assert response.get_json()["assignee"]["name"] == "王师傅"
    assert "case.assigned" in events(case.id)


def test_assign_to_someone_of_another_unit_is_409(staff_client, spot, other_unit):
    stranger = make_staff(other_unit, "stranger@xy.test", roles=("cleaning",))
    case = make_case(spot).case
    with nothing_stored("assigned to a stranger"):
        response = post(staff_client, f"/api/v1/cases/{case.id}/assign",
                        {"assignee_id": stranger.id})
    assert response.status_code == 409


def test_assign_needs_an_assignee(staff_client, spot):
    case = make_case(spot).case
    with nothing_stored("assigned to nobody"):
        response = post(staff_client, f"/api/v1/cases/{case.id}/assign", {"assignee_id": "x"})
    assert response.status_code == 422


def test_hand_back(staff_client, spot):
    case = make_case(spot).case
    post(staff_client, f"/api/v1/cases/{case.id}/claim")
    response = post(staff_client, f"/api/v1/cases/{case.id}/hand-back")
    assert response.status_code == 200
    assert response.get_json()["assignee"] is None
    with nothing_stored("handed back twice"):
        assert post(staff_client, f"/api/v1/cases/{case.id}/hand-back").status_code == 409


def test_status_change_and_referral(staff_client, spot):
    case = make_case(spot).case
    response = post(staff_client, f"/api/v1/cases/{case.id}/status",
                    {"status": "resolved", "reply": "已修好"})
    assert response.status_code == 200
    assert response.get_json()["status"] == "resolved"
    assert response.get_json()["resolved_at"] is not None
    other = make_case(spot).case
    with nothing_stored("referred without to whom"):
        refused = post(staff_client, f"/api/v1/cases/{other.id}/status",
                       {"status": "referred", "reply": "已转交"})
    assert refused.status_code == 409
    referred = post(staff_client, f"/api/v1/cases/{other.id}/status",
                    {"status": "referred", "referred_to": "城管", "reply": "已转交城管"})
    assert referred.status_code == 200


@pytest.mark.parametrize("status", ["", "lost", None])
def test_unknown_status_is_422(staff_client, spot, status):
    case = make_case(spot).case
    with nothing_stored(f"status {status!r}"):
        response = post(staff_client, f"/api/v1/cases/{case.id}/status", {"status": status})
    assert response.status_code == 422


def test_note_is_internal(staff_client, spot, client, staff, unit):
    case = make_case(spot).case
    response = post(staff_client, f"/api/v1/cases/{case.id}/notes", {"body": "带梯子"})
    assert response.status_code == 201
    assert response.get_json()["kind"] == "note"
    key = issue_api_key(user=staff, unit_id=unit.id, name="hotline").secret
    thread = client.get(f"/api/v1/cases/{case.id}/messages",
                        headers={"X-API-Key": key}).get_json()
    assert "note" not in [message["kind"] for message in thread]
    with nothing_stored("a blank note"):
        blank = post(staff_client, f"/api/v1/cases/{case.id}/notes", {"body": "  "})
    assert blank.status_code == 422


@pytest.mark.parametrize("target", ["resolved", "no_action", "duplicate", "referred"])
def test_closing_through_the_api_needs_a_word_to_the_visitor(staff_client, spot, target):
    case = make_case(spot).case
    path = f"/api/v1/cases/{case.id}/status"
    with nothing_stored(f"{target} without a reply"):
        refused = post(staff_client, path, {"status": target, "referred_to": "区城管委"})
    assert refused.status_code == 409
    assert refused.get_json()["code"] == 409
    done = post(staff_client, path, {"status": target, "referred_to": "区城管委",
                                     "reply": "我们已经处理，谢谢您。"})
    assert done.status_code == 200
    assert done.get_json()["status"] == target
    thread = staff_client.get(f"/api/v1/cases/{case.id}/messages").get_json()
    assert [(m["kind"], m["body"]) for m in thread][1] == ("reply", "我们已经处理，谢谢您。")


def test_spam_needs_no_reply_and_a_reply_may_close_in_one_step(staff_client, spot):
    spam = make_case(spot, body="广告").case
    assert post(staff_client, f"/api/v1/cases/{spam.id}/status",
                {"status": "spam"}).status_code == 200
    case = make_case(spot).case
    with nothing_stored("referred by a reply without to whom"):
        refused = post(staff_client, f"/api/v1/cases/{case.id}/replies",
                       {"body": "已转交", "status": "referred"})
    assert refused.status_code == 409
    replied = post(staff_client, f"/api/v1/cases/{case.id}/replies",
                   {"body": "这件事归区城管委，已转交。", "status": "referred",
                    "referred_to": "区城管委"})
    assert replied.status_code == 201
    assert db.session.get(Case, case.id).status == "referred"


def test_the_openapi_document_says_what_text_fields_refuse(client, staff_client, spot):
    """The pattern the document gives a text field is what the API enforces: text it
    matches is stored, text it does not match is refused (422) (issue 18)."""
    import re

    document = client.get("/api/openapi.json").get_json()
    body = document["components"]["schemas"]["Note"]["properties"]["body"]
    pattern = re.compile(body["pattern"])
    assert "control characters" in body["description"]
    case = make_case(spot).case
    for text in ("两行\n第二行\t制表", "普通文字"):
        assert pattern.match(text)
        assert post(staff_client, f"/api/v1/cases/{case.id}/notes",
                    {"body": text}).status_code == 201
    for text in ("a\x00b", "a\x1bb", "a\x7fb", "a\x0bb"):
        assert not pattern.match(text)
        with nothing_stored(f"a note with {text!r}"):
            refused = post(staff_client, f"/api/v1/cases/{case.id}/notes", {"body": text})
        assert refused.status_code == 422
    parameters = {parameter["name"]: parameter for path, item in document["paths"].items()
                  if path.endswith("/bureau/comparison")
                  for parameter in item["get"]["parameters"]}
    assert "366 days" in parameters["from"]["description"]
    assert "366 days" in parameters["to"]["description"]
