"""Factory for cases with chosen timestamps (the bureau's figures depend on them)."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any

from app.extensions import db
from app.models import Case, Category, Spot, Zone
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


def received_sent() -> None:
    """Mark every "received" message (the first one after a submission, with the link) as
    sent already: for tests about the notifications that come after it."""
    from sqlalchemy import select, update

    from app.database import write_transaction
    from app.models import Message, MessageKind, Notification
    from app.models.notifications import DeliveryState
    from app.models.types import utcnow

    with write_transaction() as session:
        session.execute(
            update(Notification)
            .where(Notification.message_id.in_(
                select(Message.id).where(Message.kind == MessageKind.VISITOR.value)))
            .values(state=DeliveryState.SENT.value, sent_at=utcnow(), tracking_link=None))


def flood_and_snow_zones() -> tuple[Zone, Zone]:
    """Two seasonal zones open all of 2026 (stored)."""
    flood = Zone(code="flood", name_zh="防汛专区", name_en="Flood season", message_zh="汛期",
                 starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
    snow = Zone(code="snow", name_zh="降雪专区", name_en="Snow", message_zh="降雪",
                starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
    db.session.add_all([flood, snow])
    db.session.commit()
    return flood, snow
