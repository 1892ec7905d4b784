"""Seasonal zones of a unit (/admin/zones): a director opens one on the unit's parks, ends it
early and chooses who answers the cases of any zone reaching the unit; others are refused."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Zone, ZoneRole
from app.models.types import utcnow
from app.services.cases.zones import local_today
from tests.conftest import csrf_token, log_in, make_staff


def today() -> date:
    return local_today("Asia/Shanghai", utcnow())


def zone_form(client, **overrides):
    form = {"csrf_token": csrf_token(client, "/admin/zones"), "code": "flood-2026",
            "name_zh": "防汛专区", "name_en": "Flood season", "message_zh": "汛期请注意安全。",
            "message_en": "Flood season: take care.", "category_zh": "积水、倒树",
            "category_en": "Flooding, fallen trees", "starts_on": today().isoformat(),
            "ends_on": (today() + timedelta(days=20)).isoformat()}
    form.update(overrides)
    return form


def zone_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Zone))


def test_director_opens_a_zone_on_every_park_of_the_unit(staff_client, unit):
    response = staff_client.post("/admin/zones", data=zone_form(staff_client))
    assert response.status_code == 303
    zone = db.session.scalar(select(Zone))
    assert (zone.code, zone.unit_id, zone.parks) == ("flood-2026", unit.id, [])
    assert zone.category_zh == "积水、倒树"
    page = staff_client.get("/admin/zones").get_data(as_text=True)
    assert "flood-2026" in page
    assert "积水、倒树" in page


def test_director_opens_a_zone_on_a_chosen_park(staff_client, unit):
    park = unit.parks[0]
    form = zone_form(staff_client, parks=[park.park_code])
    assert staff_client.post("/admin/zones", data=form).status_code == 303
    assert db.session.scalar(select(Zone)).parks == [park]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("code", "Flood 2026!", "lowercase letters"),
    ("ends_on", "2020-01-01", "before the first"),
    ("starts_on", "not a date", "the first and the last day (YYYY-MM-DD)"),
    ("message_zh", "", "message in Chinese"),
    ("parks", "no-such-park", "No such park: no-such-park"),
])
def test_bad_input_is_400_with_a_clear_message_and_nothing_stored(staff_client, field, value,
                                                                  message):
    response = staff_client.post("/admin/zones?lang=en",
                                 data=zone_form(staff_client, **{field: value}))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert zone_count() == 0


def test_a_past_last_day_is_refused(staff_client):
    past = (today() - timedelta(days=1)).isoformat()
    form = zone_form(staff_client, starts_on=(today() - timedelta(days=5)).isoformat(),
                     ends_on=past)
    response = staff_client.post("/admin/zones?lang=en", data=form)
    assert response.status_code == 400
    assert "already past" in response.get_data(as_text=True)


def test_a_taken_code_is_refused(staff_client):
    assert staff_client.post("/admin/zones", data=zone_form(staff_client)).status_code == 303
    response = staff_client.post("/admin/zones?lang=en", data=zone_form(staff_client))
    assert response.status_code == 400
    assert "Another zone has the code flood-2026" in response.get_data(as_text=True)
    assert zone_count() == 1


def test_another_units_park_is_no_park_of_a_directors_zone(staff_client, other_unit):
    form = zone_form(staff_client, parks=[other_unit.parks[0].park_code])
    response = staff_client.post("/admin/zones", data=form)
    assert response.status_code == 400
    assert zone_count() == 0


def test_staff_who_are_not_directors_are_refused(app, unit, staff_client):
    make_staff(unit, "guard@rt.test", roles=("security",))
    guard = app.test_client()
    log_in(guard, "guard@rt.test")
    form = zone_form(staff_client, csrf_token=csrf_token(guard, "/staff/password"))
    assert guard.get("/admin/zones").status_code == 403
    assert guard.post("/admin/zones", data=form).status_code == 403
    assert zone_count() == 0


def test_director_ends_a_zone_early(staff_client):
    staff_client.post("/admin/zones", data=zone_form(staff_client))
    zone = db.session.scalar(select(Zone))
    response = staff_client.post(f"/admin/zones/{zone.id}/end",
                                 data={"csrf_token": csrf_token(staff_client, "/admin/zones")})
    assert response.status_code == 303
    db.session.expire_all()
    assert zone.ended_at is not None
    assert "ended early" in staff_client.get("/admin/zones?lang=en").get_data(as_text=True)


def test_a_director_of_another_unit_gets_404_and_changes_nothing(app, staff_client,
                                                                  other_unit):
    staff_client.post("/admin/zones", data=zone_form(staff_client))
    zone = db.session.scalar(select(Zone))
    make_staff(other_unit, "director@xy.test")
    stranger = app.test_client()
    log_in(stranger, "director@xy.test")
    token = csrf_token(stranger, "/admin/zones")
    assert stranger.post(f"/admin/zones/{zone.id}/end",
                         data={"csrf_token": token}).status_code == 404
    assert stranger.post(f"/admin/zones/{zone.id}/role",
                         data={"csrf_token": token, "role": "security"}).status_code == 404
    assert "防汛专区" not in stranger.get("/admin/zones").get_data(as_text=True)
    db.session.expire_all()
    assert zone.ended_at is None
    assert db.session.scalar(select(func.count()).select_from(ZoneRole)) == 0


def test_director_maps_the_zone_to_a_role(staff_client, unit):
    staff_client.post("/admin/zones", data=zone_form(staff_client))
    zone = db.session.scalar(select(Zone))
    assert zone.role_in(unit.id) == "director"
    response = staff_client.post(f"/admin/zones/{zone.id}/role", data={
        "csrf_token": csrf_token(staff_client, "/admin/zones"), "role": "maintenance"})
    assert response.status_code == 303
    db.session.expire_all()
    assert zone.role_in(unit.id) == "maintenance"


def test_the_zones_page_in_english_and_chinese(staff_client):
    staff_client.post("/admin/zones", data=zone_form(staff_client))
    english = staff_client.get("/admin/zones?lang=en").get_data(as_text=True)
    chinese = staff_client.get("/admin/zones?lang=zh").get_data(as_text=True)
    assert "Seasonal zones" in english
    assert "Flooding, fallen trees" in english
    assert "季节专区" in chinese
    assert "积水、倒树" in chinese
