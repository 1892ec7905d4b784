"""Refiling a case from its page, and the suggestion shown there (issue 23, point 1)."""

from __future__ import annotations

from app.extensions import db
from app.models import Case
from tests.conftest import csrf_token, log_in, make_case, make_staff


def test_staff_refile_in_one_step(staff_client, spot):
    case = make_case(spot, body="广场舞音响太吵了").case
    page = staff_client.get(f"/staff/cases/{case.id}").get_data(as_text=True)
    assert 'id="category-suggestion"' in page  # filed as toilets, the words say noise
    token = csrf_token(staff_client, f"/staff/cases/{case.id}")
    response = staff_client.post(f"/staff/cases/{case.id}/category",
                                 data={"category": "noise", "csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/staff/cases/{case.id}")
    assert db.session.get(Case, case.id).category.code == "noise"
    page = staff_client.get(f"/staff/cases/{case.id}").get_data(as_text=True)
    assert 'id="category-suggestion"' not in page


def test_a_viewer_may_not_refile(app, unit, spot):
    make_staff(unit, "viewer@rt.test", roles=("viewer",))
    client = app.test_client()
    log_in(client, "viewer@rt.test")
    case = make_case(spot).case
    token = csrf_token(client, f"/staff/cases/{case.id}")
    response = client.post(f"/staff/cases/{case.id}/category",
                           data={"category": "noise", "csrf_token": token})
    assert response.status_code == 403
    assert db.session.get(Case, case.id).category.code == "toilets"


def test_an_unknown_category_is_400(staff_client, spot):
    case = make_case(spot).case
    token = csrf_token(staff_client, f"/staff/cases/{case.id}")
    response = staff_client.post(f"/staff/cases/{case.id}/category",
                                 data={"category": "nope", "csrf_token": token})
    assert response.status_code == 400
