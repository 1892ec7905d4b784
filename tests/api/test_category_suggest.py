"""POST /api/v1/categories/suggest and category_chosen in a case (issue 23, point 1)."""

from __future__ import annotations

import pytest

from app.services.accounts.api_keys import issue_api_key
from tests.conftest import make_case


def _token(client):
    return client.get("/api/v1/session").get_json()["csrf_token"]


def test_staff_get_the_units_categories_best_first(staff_client, unit):
    response = staff_client.post("/api/v1/categories/suggest", json={"text": "广场舞音响太吵了"},
                                 headers={"X-CSRFToken": _token(staff_client)})
    assert response.status_code == 200
    suggestions = response.get_json()["suggestions"]
    assert [s["category"] for s in suggestions] == ["noise", "toilets"]
    assert 0 <= suggestions[1]["score"] <= suggestions[0]["score"] <= 1


def test_a_session_needs_its_csrf_token(staff_client, unit):
    response = staff_client.post("/api/v1/categories/suggest", json={"text": "太吵了"})
    assert response.status_code == 400


def test_a_bearer_key_may_ask(client, staff, unit):
    secret = issue_api_key(user=staff, unit_id=unit.id, name="intake").secret
    response = client.post("/api/v1/categories/suggest", json={"text": "The toilet is dirty"},
                           headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert response.get_json()["suggestions"][0]["category"] == "toilets"


def test_anonymous_is_401(client, unit):
    assert client.post("/api/v1/categories/suggest", json={"text": "太吵"}).status_code == 401


@pytest.mark.parametrize("body", [{}, {"text": ""}, {"text": "   "}, {"text": 5},
                                  {"text": "x" * 5000}, {"text": "吵\x00"},
                                  {"text": "吵", "park_id": "a"}, [1, 2]])
def test_bad_input_is_refused_never_a_500(staff_client, unit, body):
    response = staff_client.post("/api/v1/categories/suggest", json=body,
                                 headers={"X-CSRFToken": _token(staff_client)})
    assert response.status_code in (400, 422)


def test_another_units_park_is_not_found(staff_client, unit, other_unit):
    response = staff_client.post("/api/v1/categories/suggest",
                                 json={"text": "太吵", "park_id": other_unit.parks[0].id},
                                 headers={"X-CSRFToken": _token(staff_client)})
    assert response.status_code == 404


def test_a_case_says_which_category_was_chosen(staff_client, spot):
    case = make_case(spot).case
    body = staff_client.get(f"/api/v1/cases/{case.id}").get_json()
    assert body["category_chosen"] == "toilets"


def test_a_read_only_viewer_may_ask_too(app, unit):
    from tests.conftest import log_in, make_staff
    make_staff(unit, "viewer@rt.test", roles=("viewer",))
    client = app.test_client()
    log_in(client, "viewer@rt.test")
    response = client.post("/api/v1/categories/suggest", json={"text": "厕所太脏"},
                           headers={"X-CSRFToken": _token(client)})
    assert response.status_code == 200
