"""Who answers a case: the most specific routing rule, else the category's own role."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import Category, RoutingRule


def responsible_role(category: Category, park_id: int, spot_id: int | None) -> str:
    """Spot rule, then park rule, then unit-wide rule for the category, then category.role."""
    rules = db.session.scalars(
        select(RoutingRule).where(RoutingRule.category_id == category.id)
    ).all()

    def specificity(rule: RoutingRule) -> int:
        if rule.spot_id is not None:
            return 2 if rule.spot_id == spot_id else -1
        if rule.park_id is not None:
            return 1 if rule.park_id == park_id else -1
        return 0

    matching = [rule for rule in rules if specificity(rule) >= 0]
    if not matching:
        return category.role
    return max(matching, key=specificity).role
