"""Spot codes that were replaced, and how often each spot's code is scanned per day."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.org import Spot
from app.models.types import UTCDateTime, utcnow


class RetiredCode(Model):
    """A code a spot no longer answers to: /q/<code> says it was replaced (410)."""

    __tablename__ = "retired_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    spot_id: Mapped[int] = mapped_column("point_id", ForeignKey("points.id"), index=True)
    retired_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    spot: Mapped[Spot] = relationship()

    def __repr__(self) -> str:
        return f"<RetiredCode {self.code} of spot {self.spot_id}>"


class ScanCount(Model):
    """Scans of one spot's code on one day (the unit's local day); no personal data."""

    __tablename__ = "scan_counts"

    spot_id: Mapped[int] = mapped_column("point_id", ForeignKey("points.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    def __repr__(self) -> str:
        return f"<ScanCount spot {self.spot_id} {self.day}: {self.count}>"
