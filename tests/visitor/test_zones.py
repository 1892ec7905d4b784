"""A seasonal zone on the visitor form: its message and its one choice head the form of the
parks it covers, only within its dates (the unit's calendar); a case sent through the choice
carries the zone and goes to the role the unit mapped it to."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import Case, Park, Zone, ZoneRole
from app.models.types import utcnow
from app.services.cases.zones import local_today
from app.services.spots.cache import form_spot
from tests.conftest import csrf_token, make_case


def today() -> date:
    return local_today("Asia/Shanghai", utcnow())


def add_zone(unit_id: int | None = None, parks: list[Park] | None = None,
             **overrides) -> Zone:
    fields = {"code": "flood-2026", "name_zh": "防汛专区", "name_en": "Flood season",
              "message_zh": "汛期请注意安全，发现积水请告诉我们。",
              "message_en": "Flood season: tell us about standing water.",
              "category_zh": "积水、倒树", "category_en": "Flooding, fallen trees",
              "starts_on": today() - timedelta(days=1),
              "ends_on": today() + timedelta(days=10)}
    fields.update(overrides)
    zone = Zone(unit_id=unit_id, parks=parks or [], **fields)
    db.session.add(zone)
    db.session.commit()
    return zone


def form_page(client, spot, lang="zh") -> str:
    return client.get(f"/q/{spot.code}?lang={lang}").get_data(as_text=True)


def send_through_zone(client, spot, value="zone:flood-2026"):
    token = csrf_token(client, f"/q/{spot.code}")
    return client.post(f"/q/{spot.code}", data={"category": value, "body": "东门积水很深",
                                                "csrf_token": token})


def test_an_open_zone_heads_the_form_in_chinese_and_english(client, unit, spot):
    add_zone()
    chinese = form_page(client, spot, "zh")
    assert "汛期请注意安全，发现积水请告诉我们。" in chinese
    assert 'value="zone:flood-2026"' in chinese
    assert "积水、倒树" in chinese
    english = form_page(client, spot, "en")
    assert "Flood season: tell us about standing water." in english
    assert "Flooding, fallen trees" in english


def test_a_zone_without_a_category_of_its_own_offers_its_name(client, unit, spot):
    add_zone(category_zh="", category_en="")
    page = form_page(client, spot, "en")
    assert 'value="zone:flood-2026"' in page
    assert "Flood season" in page


def test_a_zone_before_its_first_day_is_not_shown(client, unit, spot):
    add_zone(starts_on=today() + timedelta(days=1))
    assert "zone:flood-2026" not in form_page(client, spot)


def test_a_zone_after_its_last_day_is_gone_by_itself(client, unit, spot):
    add_zone(starts_on=today() - timedelta(days=10), ends_on=today() - timedelta(days=1))
    assert "zone:flood-2026" not in form_page(client, spot)
    assert "汛期请注意安全" not in form_page(client, spot)


def test_a_zone_is_open_on_its_last_day_by_the_units_calendar(app, unit, spot):
    last = today() + timedelta(days=30)
    with app.test_request_context():
        add_zone(starts_on=today(), ends_on=last)
        cached = form_spot(spot.code)
    # 23:00 on its last day in Beijing is still the last day; 01:00 the day after is not
    late = datetime(last.year, last.month, last.day, 15, tzinfo=UTC)
    assert [zone.code for zone in cached.open_zones(late)] == ["flood-2026"]
    assert cached.open_zones(late + timedelta(hours=2)) == ()


def test_a_zone_ended_early_is_not_shown(client, unit, spot):
    add_zone(ended_at=utcnow())
    assert "zone:flood-2026" not in form_page(client, spot)


def test_only_the_covered_parks_show_the_zone(client, unit, other_unit, spot):
    add_zone(parks=[other_unit.parks[0]])
    assert "zone:flood-2026" not in form_page(client, spot)
    assert "zone:flood-2026" in form_page(client, other_unit.parks[0].spots[0])


def test_a_units_zone_is_not_on_another_units_forms(client, unit, other_unit, spot):
    add_zone(unit_id=other_unit.id)
    assert "zone:flood-2026" not in form_page(client, spot)


def test_a_bureau_zone_on_every_park_heads_every_units_form(client, unit, other_unit, spot):
    add_zone()
    assert "zone:flood-2026" in form_page(client, spot)
    assert "zone:flood-2026" in form_page(client, other_unit.parks[0].spots[0])


def test_a_case_sent_through_the_zone_carries_it_and_goes_to_the_director(client, unit,
                                                                          spot):
    zone = add_zone()
    response = send_through_zone(client, spot)
    assert response.status_code == 303
    case = db.session.scalar(select(Case))
    assert (case.zone_id, case.responsible_role) == (zone.id, "director")


def test_the_units_mapping_routes_the_zones_cases(client, unit, spot):
    zone = add_zone()
    db.session.add(ZoneRole(zone_id=zone.id, unit_id=unit.id, role="maintenance"))
    db.session.commit()
    send_through_zone(client, spot)
    assert db.session.scalar(select(Case)).responsible_role == "maintenance"


def test_a_zone_report_never_joins_another_case_as_me_too(client, unit, spot):
    make_case(spot, category_code="noise", body="东门积水")
    add_zone()
    send_through_zone(client, spot)
    send_through_zone(client, spot)
    assert len(db.session.scalars(select(Case).where(Case.zone_id.is_not(None))).all()) == 2


def test_a_closed_zones_choice_is_refused_and_nothing_stored(client, unit, spot):
    add_zone(starts_on=today() + timedelta(days=2))
    response = send_through_zone(client, spot)
    assert response.status_code == 400
    assert db.session.scalar(select(Case)) is None


def test_an_ordinary_case_has_no_zone(client, unit, spot):
    add_zone()
    send_through_zone(client, spot, value="toilets")
    case = db.session.scalar(select(Case))
    assert (case.zone_id, case.responsible_role) == (None, "cleaning")


def test_the_api_and_the_case_page_name_the_zone(client, staff_client, unit, spot):
    add_zone()
    send_through_zone(client, spot)
    case = db.session.scalar(select(Case))
    assert staff_client.get(f"/api/v1/cases/{case.id}").get_json()["zone"] == "flood-2026"
    page = staff_client.get(f"/staff/cases/{case.id}?lang=en").get_data(as_text=True)
    assert "Sent through the zone “Flood season” (Flooding, fallen trees)." in page
    other = make_case(spot, body="厕所没有纸")
    assert staff_client.get(f"/api/v1/cases/{other.case.id}").get_json()["zone"] is None
