"""Directors write ready answers with placeholders, per unit or per category."""

from __future__ import annotations

from sqlalchemy import select

from app.models import ReplyTemplate
from app.services.cases.reply_templates import fill_reply_template
from tests.admin.helpers import audit_entries, submit
from tests.conftest import make_case

TEXT = "您在{park}{spot}反映的{category}问题（{reference}）已处理。"


def test_create_edit_and_delete(staff_client, db, unit):
    response = submit(staff_client, "/admin/replies/new",
                      {"title": "已处理", "body": TEXT, "category_id": unit.categories[0].id,
                       "active": "y"})
    assert response.status_code == 303
    template = db.session.scalar(select(ReplyTemplate))
    assert (template.unit_id, template.category_id) == (unit.id, unit.categories[0].id)
    assert "已处理" in staff_client.get("/admin/replies").get_data(as_text=True)

    response = submit(staff_client, f"/admin/replies/{template.id}",
                      {"title": "已处理（通用）", "body": TEXT, "category_id": ""})
    assert response.status_code == 303
    db.session.expire_all()
    template = db.session.get(ReplyTemplate, template.id)
    assert template.title == "已处理（通用）"
    assert (template.category_id, template.active) == (None, False)

    response = submit(staff_client, f"/admin/replies/{template.id}/delete", {},
                      form_url=f"/admin/replies/{template.id}")
    assert response.status_code == 303
    assert db.session.scalar(select(ReplyTemplate)) is None
    assert [len(audit_entries(f"reply_template.{a}")) for a in ("created", "updated", "deleted")
            ] == [1, 1, 1]
    assert audit_entries("reply_template.updated")[0].before["title"] == "已处理"


def test_unknown_placeholders_are_refused(staff_client, db, unit):
    for body in ("您好 {name}", "括号 { 不成对"):
        response = submit(staff_client, "/admin/replies/new",
                          {"title": "x", "body": body, "category_id": "", "active": "y"})
        assert response.status_code == 400
    assert db.session.scalar(select(ReplyTemplate)) is None


def test_placeholders_are_filled_for_a_case(db, unit, spot):
    case = make_case(spot).case
    template = ReplyTemplate(unit_id=unit.id, title="t", body=TEXT)
    assert fill_reply_template(template, case, "zh_CN") ==\
        f"您在RT公园北门厕所反映的厕所与保洁问题（{case.reference}）已处理。"
    template.body = "{spot} at {park}: {category}"
    assert fill_reply_template(template, case, "en") == "North gate toilet at RT Park: Toilets"
