"""The bureau's seasonal zones (/bureau/zones): administrators open one on every park or on
chosen parks and end it; read-only viewers see the list and are refused the writes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.models import Zone
from tests.admin.test_zones import today
from tests.conftest import csrf_token


def bureau_form(client, **overrides):
    form = {"csrf_token": csrf_token(client, "/bureau/zones"), "code": "snow-2026",
            "name_zh": "降雪专区", "name_en": "Snow", "message_zh": "雪后路滑，请注意安全。",
            "message_en": "Snow: mind your step.", "starts_on": today().isoformat(),
            "ends_on": (today() + timedelta(days=7)).isoformat()}
    form.update(overrides)
    return form


def test_bureau_admin_opens_a_zone_on_every_park(admin_client):
    response = admin_client.post("/bureau/zones", data=bureau_form(admin_client))
    assert response.status_code == 303
    zone = db.session.scalar(select(Zone))
    assert (zone.code, zone.unit_id, zone.parks) == ("snow-2026", None, [])
    assert "snow-2026" in admin_client.get("/bureau/zones").get_data(as_text=True)


def test_bureau_admin_opens_a_zone_on_chosen_parks(admin_client, other_unit):
    park = other_unit.parks[0]
    form = bureau_form(admin_client, parks=[park.park_code])
    assert admin_client.post("/bureau/zones", data=form).status_code == 303
    assert db.session.scalar(select(Zone)).parks == [park]


def test_bad_input_is_400_and_nothing_stored(admin_client):
    response = admin_client.post("/bureau/zones?lang=en", data=bureau_form(
        admin_client, starts_on=(today() + timedelta(days=3)).isoformat(),
        ends_on=today().isoformat()))
    assert response.status_code == 400
    assert "The last day is before the first." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Zone)) == 0


def test_a_bureau_viewer_sees_the_zones_and_is_refused_the_writes(app, admin_client,
                                                                   bureau_client):
    admin_client.post("/bureau/zones", data=bureau_form(admin_client))
    zone = db.session.scalar(select(Zone))
    page = bureau_client.get("/bureau/zones?lang=en")
    assert page.status_code == 200
    assert "snow-2026" in page.get_data(as_text=True)
    assert "End now" not in page.get_data(as_text=True)
    token = csrf_token(bureau_client, "/bureau/")
    form = bureau_form(admin_client, code="other-zone", csrf_token=token)
    assert bureau_client.post("/bureau/zones", data=form).status_code == 403
    assert bureau_client.post(f"/bureau/zones/{zone.id}/end",
                              data={"csrf_token": token}).status_code == 403
    db.session.expire_all()
    assert zone.ended_at is None
    assert db.session.scalar(select(func.count()).select_from(Zone)) == 1


def test_bureau_admin_ends_a_zone_early(admin_client):
    admin_client.post("/bureau/zones", data=bureau_form(admin_client))
    zone = db.session.scalar(select(Zone))
    response = admin_client.post(f"/bureau/zones/{zone.id}/end",
                                 data={"csrf_token": csrf_token(admin_client, "/bureau/zones")})
    assert response.status_code == 303
    db.session.expire_all()
    assert zone.ended_at is not None


def test_a_directors_zone_is_not_the_bureaus_to_end(app, admin_client, unit):
    from tests.admin.test_zones import zone_form
    from tests.conftest import log_in, make_staff
    make_staff(unit, "director@rt.test")
    director = app.test_client()
    log_in(director, "director@rt.test")
    director.post("/admin/zones", data=zone_form(director))
    zone = db.session.scalar(select(Zone))
    response = admin_client.post(f"/bureau/zones/{zone.id}/end",
                                 data={"csrf_token": csrf_token(admin_client, "/bureau/zones")})
    assert response.status_code == 404
