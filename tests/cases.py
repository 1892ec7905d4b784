"""Factory for cases with chosen timestamps (the bureau's figures depend on them)."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from app.extensions import db
from app.models import Case, Category, Spot
from app.security import hash_token


def add_case(spot: Spot, category: Category, created_at: datetime, **fields: Any) -> Case:
    """Insert one case through the ORM (so the rollup hooks see it) and commit."""
    case = Case(
        reference=fields.pop("reference", f"T-{secrets.token_hex(6)}"),
        token_hash=hash_token(secrets.token_urlsafe(16)),
        unit_id=spot.park.unit_id,
        park_id=spot.park_id,
        spot_id=spot.id,
        category_id=category.id,
        body=fields.pop("body", "厕所没有纸了"),
        contact=fields.pop("contact", None),
        status=fields.pop("status", "new"),
        created_at=created_at,
        updated_at=created_at,
        **fields,
    )
    db.session.add(case)
    db.session.commit()
    return case
