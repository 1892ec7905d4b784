"""The JSON API /api/v1/: authentication, visibility, the case list, thread and replies."""

from __future__ import annotations

from datetime import datetime

import pytest

from app.models import Message
from app.services.accounts.api_keys import issue_api_key
from app.services.bureau.rollups import REPORT_TZ
from app.services.cases.operations import reply_to_visitor
from tests.conftest import log_in, make_case, make_staff
from tests.support.db_snapshot import nothing_stored


@pytest.fixture
def key_headers(staff, unit):
    return {"X-API-Key": issue_api_key(user=staff, unit_id=unit.id, name="hotline").secret}


def session_token(client):
    response = client.get("/api/v1/session")
    assert response.status_code == 200
    return response.get_json()["csrf_token"]


def test_anonymous_is_401_in_json(client, unit):
    response = client.get("/api/v1/cases")
    assert response.status_code == 401
    assert response.get_json()["code"] == 401


def test_wrong_key_is_401(client, unit):
    response = client.get("/api/v1/cases", headers={"X-API-Key": "pmk_wrong"})
    assert response.status_code == 401


def test_bearer_key_works_too(client, key_headers, spot):
    make_case(spot)
    secret = key_headers["X-API-Key"]
    response = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert response.get_json()["total"] == 1


def test_key_sees_its_unit_only_and_never_contacts(client, key_headers, spot, other_unit):
    mine = make_case(spot, contact="13800000000").case
    make_case(other_unit.parks[0].spots[0])
    page = client.get("/api/v1/cases", headers=key_headers).get_json()
    assert [case["reference"] for case in page["items"]] == [mine.reference]
    assert page["items"][0]["contact"] is None
    assert page["items"][0]["spot"]["code"] == spot.code


def test_staff_session_sees_contacts(staff_client, spot):
    case = make_case(spot, contact="13800000000").case
    document = staff_client.get(f"/api/v1/cases/{case.id}").get_json()
    assert document["contact"] == "13800000000"
    assert document["category"]["code"] == "toilets"


def test_another_units_case_is_404(client, key_headers, other_unit):
    theirs = make_case(other_unit.parks[0].spots[0]).case
    assert client.get(f"/api/v1/cases/{theirs.id}", headers=key_headers).status_code == 404
    response = client.get(f"/api/v1/cases/{theirs.id}/messages", headers=key_headers)
    assert response.status_code == 404


def test_case_list_filters_and_pages(staff_client, staff, spot):
    first = make_case(spot, category_code="noise").case
    second = make_case(spot).case
    reply_to_visitor(user=staff, case_id=second.id, body="好", new_status="resolved")

    def refs(query):
        page = staff_client.get(f"/api/v1/cases?{query}").get_json()
        return [case["reference"] for case in page["items"]]

    assert refs("status=new") == [first.reference]
    assert refs("status=new&status=resolved") == [second.reference, first.reference]
    assert refs("category=noise") == [first.reference]
    assert refs("per_page=1&page=2") == [first.reference]
    assert refs("assignee=none") == [second.reference, first.reference]
    assert staff_client.get("/api/v1/cases?per_page=1").get_json()["total"] == 2


def test_bad_filters_are_422(staff_client, unit):
    for query in ("status=nonsense", "per_page=1000", "park_id=-1", "category=%00"):
        response = staff_client.get(f"/api/v1/cases?{query}")
        assert response.status_code == 422, query
        assert "errors" in response.get_json()


def test_thread_hides_notes_from_keys(client, db, key_headers, staff, spot):
    case = make_case(spot).case
    db.session.add(Message(case_id=case.id, kind="note", body="内部备注"))
    db.session.commit()
    kinds = [m["kind"] for m in
             client.get(f"/api/v1/cases/{case.id}/messages", headers=key_headers).get_json()]
    assert kinds == ["visitor"]


def test_thread_shows_notes_to_staff(staff_client, db, spot):
    case = make_case(spot).case
    db.session.add(Message(case_id=case.id, kind="note", body="内部备注"))
    db.session.commit()
    thread = staff_client.get(f"/api/v1/cases/{case.id}/messages").get_json()
    assert [m["kind"] for m in thread] == ["visitor", "note"]


def test_staff_reply_with_csrf(staff_client, spot):
    case = make_case(spot).case
    token = session_token(staff_client)
    response = staff_client.post(f"/api/v1/cases/{case.id}/replies",
                                 json={"body": "马上去处理"}, headers={"X-CSRFToken": token})
    assert response.status_code == 201
    assert response.get_json()["kind"] == "reply"
    assert staff_client.get(f"/api/v1/cases/{case.id}").get_json()["status"] == "acknowledged"


def test_reply_without_csrf_is_400(staff_client, spot):
    case = make_case(spot).case
    with nothing_stored("a reply without CSRF"):
        response = staff_client.post(f"/api/v1/cases/{case.id}/replies", json={"body": "x"})
    assert response.status_code == 400
    assert response.get_json()["code"] == 400


def test_reply_to_an_impossible_status_is_409(staff_client, staff, spot):
    case = make_case(spot).case
    reply_to_visitor(user=staff, case_id=case.id, body="好", new_status="spam")
    token = session_token(staff_client)
    with nothing_stored("spam -> resolved"):
        response = staff_client.post(f"/api/v1/cases/{case.id}/replies",
                                     json={"body": "再看看", "status": "resolved"},
                                     headers={"X-CSRFToken": token})
    assert response.status_code == 409


def test_keys_cannot_write(client, key_headers, spot):
    case = make_case(spot).case
    with nothing_stored("a reply with a key"):
        response = client.post(f"/api/v1/cases/{case.id}/replies", json={"body": "x"},
                               headers=key_headers)
    assert response.status_code == 403


def test_bureau_viewer_reads_every_unit_without_contacts(app, spot, other_unit):
    make_case(spot, contact="13800000000")
    make_case(other_unit.parks[0].spots[0])
    viewer = make_staff(None, "viewer@bureau.test", roles=(), bureau_role="viewer")
    client = app.test_client()
    log_in(client, viewer.email)
    page = client.get("/api/v1/cases").get_json()
    assert page["total"] == 2
    assert {case["contact"] for case in page["items"]} == {None}


def test_spots_parks_and_categories(client, key_headers, spot, other_unit):
    listed = client.get("/api/v1/spots", headers=key_headers).get_json()
    assert [item["code"] for item in listed] == [spot.code]
    assert listed[0]["qr_url"] == f"https://parks.example.org/q/{spot.code}"
    parks = client.get("/api/v1/parks", headers=key_headers).get_json()
    assert [park["id"] for park in parks] == [spot.park_id]
    categories = client.get("/api/v1/categories", headers=key_headers).get_json()
    assert [c["code"] for c in categories] == ["toilets", "noise"]


def test_spots_carry_their_wgs84_position(client, key_headers, spot, db):
    spot.latitude, spot.longitude = 39.914417, 116.438111
    db.session.commit()
    listed = client.get("/api/v1/spots", headers=key_headers).get_json()
    assert (listed[0]["latitude"], listed[0]["longitude"]) == (39.914417, 116.438111)
    schemas = client.get("/api/openapi.json").get_json()["components"]["schemas"]
    spot_schema = schemas["Spot"]
    assert "WGS-84" in spot_schema["properties"]["latitude"]["description"]
    assert {"latitude", "longitude"} <= set(spot_schema["required"])


def test_openapi_document_and_docs_page(client):
    document = client.get("/api/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    assert "/api/v1/cases" in document["paths"]
    assert "ApiKey" in document["components"]["securitySchemes"]
    page = client.get("/api/docs").get_data(as_text=True)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in page
    assert "<script>" not in page  # no inline script


def test_directors_compare_their_parks(staff_client, spot):
    make_case(spot)
    this_month = datetime.now(REPORT_TZ).strftime("%Y-%m")  # the default is the last one
    document = staff_client.get(
        f"/api/v1/bureau/comparison?month={this_month}&min_cases=0").get_json()
    assert [row["park"]["id"] for row in document["parks"]] == [spot.park_id]
    assert document["parks"][0]["cases"] == 1
    assert document["city"]["cases"] == 1


def test_bureau_viewer_compares_every_park(app, spot, other_unit):
    viewer = make_staff(None, "viewer@bureau.test", roles=(), bureau_role="viewer")
    client = app.test_client()
    log_in(client, viewer.email)
    document = client.get("/api/v1/bureau/comparison").get_json()
    assert len(document["parks"]) == 2


def test_other_staff_cannot_compare(app, unit):
    guard = make_staff(unit, "security@rt.test", roles=("security",))
    client = app.test_client()
    log_in(client, guard.email)
    assert client.get("/api/v1/bureau/comparison").status_code == 403


def test_comparison_period_is_checked(staff_client, unit):
    response = staff_client.get("/api/v1/bureau/comparison?from=2026-05-01&to=2026-04-01")
    assert response.status_code == 422
