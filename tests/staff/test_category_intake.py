"""A case filed under "other" whose words are clear goes under the suggestion; staff see
why and undo it in one tap; any other choice stays the visitor's (issue 23, point 1)."""

from __future__ import annotations

import pytest

from app.extensions import db
from app.models import Case, Category
from tests.conftest import csrf_token, make_case


@pytest.fixture
def other(unit):
    category = Category(unit_id=unit.id, code="other", name_zh="其他", name_en="Other",
                        role="service", sort_order=9)
    db.session.add(category)
    db.session.commit()
    return category


def test_other_with_clear_words_is_filed_and_routed_under_the_suggestion(other, spot):
    case = make_case(spot, category_code="other", body="广场舞音响太吵了").case
    case = db.session.get(Case, case.id)
    assert (case.category.code, case.responsible_role) == ("noise", "security")
    assert (case.category_chosen, case.category_reason) == ("other", "text")


def test_other_with_unclear_words_stays_other(other, spot):
    case = make_case(spot, category_code="other", body="你好").case
    assert db.session.get(Case, case.id).category.code == "other"


def test_a_visitors_other_choice_is_never_replaced(other, spot):
    case = make_case(spot, category_code="toilets", body="广场舞音响太吵了").case
    case = db.session.get(Case, case.id)
    assert (case.category.code, case.category_reason) == ("toilets", "visitor")


def test_staff_see_the_suggestion_and_undo_it_in_one_tap(other, spot, staff_client):
    case_id = make_case(spot, category_code="other", body="The dance music is so loud").case.id
    assert staff_client.get(f"/api/v1/cases/{case_id}").get_json()["category_chosen"] == "other"
    page = staff_client.get(f"/staff/cases/{case_id}").get_data(as_text=True)
    assert "Suggested from the text; the visitor chose" in page or "根据文字建议的类别" in page
    assert 'id="undo-suggestion"' in page
    token = csrf_token(staff_client, f"/staff/cases/{case_id}")
    response = staff_client.post(f"/staff/cases/{case_id}/category",
                                 data={"category": "other", "csrf_token": token})
    assert response.status_code == 303
    case = db.session.get(Case, case_id)
    assert (case.category.code, case.category_reason) == ("other", "staff")
    page = staff_client.get(f"/staff/cases/{case_id}").get_data(as_text=True)
    assert 'id="undo-suggestion"' not in page
