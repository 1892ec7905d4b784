"""Keys that other systems (the 12345 hotline, city tools) use to call the API."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.org import Unit
from app.models.people import StaffUser
from app.models.types import UTCDateTime, utcnow


class ApiKey(Model):
    """An API key, stored only as a SHA-256 hash; `prefix` lets people tell keys apart.

    A key belongs to one unit, or to none: a bureau-wide key (issued by a bureau admin)
    may file and read cases of every unit.
    """

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(12))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    unit: Mapped[Unit | None] = relationship()
    created_by: Mapped[StaffUser | None] = relationship()

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def __repr__(self) -> str:
        return f"<ApiKey {self.prefix} unit={self.unit_id}>"
