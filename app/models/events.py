"""The durable log of what staff must be told; the realtime layer sends and replays it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.models.types import BigId, UTCDateTime, utcnow


class Event(Model):
    """One thing that happened; ids increase in commit order (see services.events)."""

    __tablename__ = "events"
    # by time: the early warning counts the last half hour's reports
    __table_args__ = (Index("ix_events_park_id_id", "park_id", "id"),
                      Index("ix_events_created_at", "created_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    park_id: Mapped[int | None] = mapped_column(ForeignKey("parks.id"))
    case_id: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def message(self) -> dict[str, Any]:
        """What a client is sent: the payload plus the ids every event carries."""
        return {
            **self.payload,
            "event_id": self.id,
            "kind": self.kind,
            "unit_id": self.unit_id,
            "park_id": self.park_id,
            "case_id": self.case_id,
            "at": self.created_at.isoformat(),
        }

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.kind}>"
