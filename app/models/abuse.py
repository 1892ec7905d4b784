"""Blocked anonymous clients (a director's block on a sender, by its client hash)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.models.types import UTCDateTime, utcnow


class ClientBlock(Model):
    """A director's block on an anonymous client (by its hash) for a period, per unit."""

    __tablename__ = "client_blocks"
    __table_args__ = (Index("ix_client_blocks_unit_client", "unit_id", "client_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    client_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<ClientBlock unit={self.unit_id} {self.client_hash[:8]} until {self.expires_at}>"
