"""Directors set working hours and days, the auto-close delay and the "me too" window."""

from __future__ import annotations

from app.models import Unit
from tests.admin.helpers import audit_entries, submit

VALID = {"work_start": "07:30", "work_end": "19:00", "work_days": ["1", "2", "3", "4", "5"],
         "autoclose_days": "5", "me_too_window_hours": "12", "hotline_respond_hours": "2",
         "hotline_resolve_days": "5"}


def test_form_shows_current_settings(staff_client, unit):
    html = staff_client.get("/admin/unit").get_data(as_text=True)
    assert 'value="08:00"' in html
    assert 'value="18:00"' in html


def test_saving_changes_the_unit_and_is_audited(staff_client, db, unit, staff):
    response = submit(staff_client, "/admin/unit", VALID)
    assert response.status_code == 303
    db.session.expire_all()
    saved = db.session.get(Unit, unit.id)
    assert (saved.work_start, saved.work_end, saved.work_days) == ("07:30", "19:00", "12345")
    assert (saved.autoclose_days, saved.me_too_window_hours) == (5, 12)
    assert (saved.hotline_respond_hours, saved.hotline_resolve_days) == (2, 5)
    [entry] = audit_entries("unit.settings_updated")
    assert entry.user_id == staff.id
    assert entry.before["work_start"] == "08:00"
    assert entry.after["work_days"] == "12345"


def test_a_day_that_ends_before_it_starts_is_refused(staff_client, db, unit):
    response = submit(staff_client, "/admin/unit", {**VALID, "work_end": "06:00"})
    assert response.status_code == 400
    assert "下班时间必须晚于上班时间。" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Unit, unit.id).work_end == "18:00"
    assert audit_entries("unit.settings_updated") == []


def test_malformed_values_are_refused(staff_client, db, unit):
    for bad in ({"work_start": "8 am"}, {"work_days": []}, {"autoclose_days": "0"},
                {"me_too_window_hours": "abc"}, {"work_days": ["8"]},
                {"hotline_respond_hours": "0"}, {"hotline_resolve_days": "91"}):
        assert submit(staff_client, "/admin/unit", {**VALID, **bad}).status_code == 400
    assert audit_entries("unit.settings_updated") == []
