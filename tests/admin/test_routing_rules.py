"""Directors send a category (optionally only in a park or at a spot) to a role."""

from __future__ import annotations

from sqlalchemy import select

from app.models import RoutingRule, Spot
from tests.admin.helpers import audit_entries, submit
from tests.conftest import make_case
from tests.support.db_snapshot import nothing_stored


def test_a_spot_rule_routes_new_cases_there(staff_client, db, unit, spot):
    toilets = unit.categories[0]
    response = submit(staff_client, "/admin/routing",
                      {"category_id": toilets.id, "park_id": "", "spot_id": spot.id,
                       "role": "maintenance"})
    assert response.status_code == 303
    rule = db.session.scalar(select(RoutingRule))
    assert (rule.spot_id, rule.park_id, rule.role) == (spot.id, spot.park_id, "maintenance")
    assert make_case(spot).case.responsible_role == "maintenance"
    [entry] = audit_entries("routing_rule.created")
    assert entry.after["role"] == "maintenance"


def test_rules_are_listed_and_deleted(staff_client, db, unit):
    toilets = unit.categories[0]
    submit(staff_client, "/admin/routing",
           {"category_id": toilets.id, "park_id": unit.parks[0].id, "spot_id": "",
            "role": "service"})
    rule = db.session.scalar(select(RoutingRule))
    assert "RT Park" in staff_client.get("/admin/routing?lang=en").get_data(as_text=True)
    response = submit(staff_client, f"/admin/routing/{rule.id}/delete", {},
                      form_url="/admin/routing")
    assert response.status_code == 303
    assert db.session.scalar(select(RoutingRule)) is None
    [entry] = audit_entries("routing_rule.deleted")
    assert entry.before["role"] == "service"


def test_a_second_rule_for_the_same_scope_is_refused(staff_client, db, unit):
    fields = {"category_id": unit.categories[0].id, "park_id": "", "spot_id": "",
              "role": "service"}
    submit(staff_client, "/admin/routing", fields)
    with nothing_stored("a second rule"):
        response = submit(staff_client, "/admin/routing", {**fields, "role": "security"})
    assert response.status_code == 400


def test_a_spot_outside_the_chosen_park_is_refused(staff_client, db, unit):
    from app.models import Park

    other_park = Park(unit_id=unit.id, name_zh="第二公园")
    other_park.spots.append(Spot(code="zz2345zz", name_zh="南门"))
    db.session.add(other_park)
    db.session.commit()
    with nothing_stored("a spot outside the park"):
        response = submit(staff_client, "/admin/routing",
                          {"category_id": unit.categories[0].id, "park_id": unit.parks[0].id,
                           "spot_id": other_park.spots[0].id, "role": "service"})
    assert response.status_code == 400


def test_another_units_category_or_spot_cannot_be_used(staff_client, db, unit, other_unit):
    theirs = other_unit.categories[0]
    with nothing_stored("another unit's category"):
        response = submit(staff_client, "/admin/routing",
                          {"category_id": theirs.id, "park_id": "", "spot_id": "",
                           "role": "service"})
    assert response.status_code == 400  # not among the choices
    with nothing_stored("another unit's spot"):
        response = submit(staff_client, "/admin/routing",
                          {"category_id": unit.categories[0].id, "park_id": "",
                           "spot_id": other_unit.parks[0].spots[0].id, "role": "service"})
    assert response.status_code == 400
