"""Routing: the most specific rule decides who answers."""

from __future__ import annotations

from app.models import Park, RoutingRule, Spot
from app.services.cases.routing import responsible_role


def test_category_role_without_rules(unit, spot):
    toilets = unit.categories[0]
    assert responsible_role(toilets, spot.park_id, spot.id) == "cleaning"


def test_spot_rule_beats_park_rule_beats_unit_rule(db, unit, spot):
    toilets = unit.categories[0]
    other_park = Park(unit_id=unit.id, name_zh="别的园")
    other_spot = Spot(park=other_park, code="zzzzzzzz", name_zh="东门")
    db.session.add_all([
        other_park, other_spot,
        RoutingRule(unit_id=unit.id, category_id=toilets.id, role="service"),
        RoutingRule(unit_id=unit.id, category_id=toilets.id, park_id=spot.park_id,
                    role="maintenance"),
        RoutingRule(unit_id=unit.id, category_id=toilets.id, spot_id=spot.id, role="security"),
    ])
    db.session.commit()
    assert responsible_role(toilets, spot.park_id, spot.id) == "security"
    assert responsible_role(toilets, spot.park_id, None) == "maintenance"
    assert responsible_role(toilets, other_park.id, other_spot.id) == "service"
