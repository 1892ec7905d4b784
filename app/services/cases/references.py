"""Human-readable case references such as RT-2026-000123, unique per unit and year."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.models import ReferenceCounter, Unit


def next_reference(session: Session, unit: Unit, now: datetime) -> str:
    """Take the next number of the unit's year atomically (an upsert with RETURNING)."""
    year = now.astimezone(ZoneInfo(unit.timezone)).year
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(ReferenceCounter)
        .values(unit_id=unit.id, year=year, value=1)
        .on_conflict_do_update(
            index_elements=["unit_id", "year"], set_={"value": ReferenceCounter.value + 1}
        )
        .returning(ReferenceCounter.value)
    )
    number = session.execute(statement).scalar_one()
    return f"{unit.code}-{year}-{number:06d}"
