"""Directors manage their unit's categories: names, icon, role, urgency, order, limits."""

from __future__ import annotations

from sqlalchemy import select

from app.models import Category
from tests.admin.helpers import audit_entries, submit
from tests.conftest import make_case
from tests.support.pages import page_text

NEW = {"code": "dogs", "name_zh": "遛狗不牵绳", "name_en": "Dogs off the lead", "icon": "🐕",
       "role": "security", "urgent": "y", "sort_order": "3", "active": "y",
       "claim_minutes": "10", "first_reply_hours": "1", "resolve_days": "2"}


def test_list_shows_the_units_categories(staff_client, unit, other_unit):
    other_unit.categories[0].name_zh = "别的单位的分类"
    html = staff_client.get("/admin/categories").get_data(as_text=True)
    assert "厕所与保洁" in html
    assert "别的单位的分类" not in html


def test_create_a_category(staff_client, db, unit, staff):
    response = submit(staff_client, "/admin/categories/new", NEW)
    assert response.status_code == 303
    category = db.session.scalar(select(Category).where(Category.code == "dogs"))
    assert category.unit_id == unit.id
    assert (category.role, category.urgent, category.claim_minutes) == ("security", True, 10)
    [entry] = audit_entries("category.created")
    assert entry.before is None
    assert entry.after["name_en"] == "Dogs off the lead"


def test_new_category_is_offered_to_visitors(staff_client, client, unit, spot):
    submit(staff_client, "/admin/categories/new", NEW)
    assert "遛狗不牵绳" in client.get(f"/q/{spot.code}").get_data(as_text=True)


def test_a_code_is_unique_in_the_unit(staff_client, unit):
    response = submit(staff_client, "/admin/categories/new", {**NEW, "code": "toilets"})
    assert response.status_code == 400
    assert "已有其他类别使用这个代码。" in response.get_data(as_text=True)


def test_edit_keeps_the_code_and_audits_before_and_after(staff_client, db, unit):
    category = unit.categories[0]
    response = submit(staff_client, f"/admin/categories/{category.id}",
                      {**NEW, "code": "renamed", "urgent": ""})
    assert response.status_code == 303
    db.session.expire_all()
    category = db.session.get(Category, category.id)
    assert category.code == "toilets"
    assert category.name_zh == "遛狗不牵绳"
    assert category.urgent is False
    [entry] = audit_entries("category.updated")
    assert entry.before["name_zh"] == "厕所与保洁"
    assert entry.after["name_zh"] == "遛狗不牵绳"


def test_deactivated_category_is_no_longer_offered_but_old_cases_keep_it(
        staff_client, client, db, unit, spot):
    receipt = make_case(spot)
    category = unit.categories[0]
    fields = {**NEW, "name_zh": category.name_zh}
    fields.pop("active")
    submit(staff_client, f"/admin/categories/{category.id}", fields)
    (other,) = [c for c in unit.categories if c.id != category.id]
    form = page_text(client, f"/q/{spot.code}", spot.name_zh, other.name_zh)
    assert category.name_zh not in form
    html = staff_client.get(f"/staff/cases/{receipt.case.id}").get_data(as_text=True)
    assert category.name_zh in html


def test_limits_out_of_range_are_refused(staff_client, db, unit):
    for bad in ({"claim_minutes": "0"}, {"resolve_days": "1000"}, {"role": "viewer"},
                {"name_zh": ""}):
        assert submit(staff_client, "/admin/categories/new", {**NEW, **bad}).status_code == 400
    assert audit_entries("category.created") == []
