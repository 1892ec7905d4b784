"""Seasonal zones (专区): a message and one prominent choice heading the visitor forms of
some parks for a few weeks (防汛 flood season, 降雪 snow, 供热 heating)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Date, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.org import Park, local_name
from app.models.types import UTCDateTime, utcnow

zone_parks = Table(
    "zone_parks",
    Model.metadata,
    Column("zone_id", ForeignKey("zones.id"), primary_key=True),
    Column("park_id", ForeignKey("parks.id"), primary_key=True, index=True),
)


class Zone(Model):
    """A zone opened by the bureau (unit_id None) or by a unit's director, for some dates."""

    __tablename__ = "zones"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    # None: the bureau's (every unit's parks in reach); else the unit whose director opened it
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    name_zh: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(60), default="")
    message_zh: Mapped[str] = mapped_column(String(300))
    message_en: Mapped[str] = mapped_column(String(300), default="")
    # the choice's own name on the form ("" : the zone's name)
    category_zh: Mapped[str] = mapped_column(String(60), default="")
    category_en: Mapped[str] = mapped_column(String(60), default="")
    # both inclusive, in the local calendar of the unit whose form it heads
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # ended early
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    # the parks it covers; none: every park in reach (the bureau's all, a unit's own)
    parks: Mapped[list[Park]] = relationship(secondary=zone_parks, order_by="Park.id")
    roles: Mapped[list[ZoneRole]] = relationship(cascade="all, delete-orphan")

    def name(self, locale: str) -> str:
        return local_name(self.name_zh, self.name_en, locale)

    def message(self, locale: str) -> str:
        return local_name(self.message_zh, self.message_en, locale)

    def choice(self, locale: str) -> str:
        """The label of the zone's choice on the form."""
        if self.category_zh:
            return local_name(self.category_zh, self.category_en, locale)
        return self.name(locale)

    def is_open_on(self, day: date) -> bool:
        return self.ended_at is None and self.starts_on <= day <= self.ends_on

    def covers(self, unit_id: int, park_id: int) -> bool:
        return (self.unit_id is None or self.unit_id == unit_id) and (
            not self.parks or any(park.id == park_id for park in self.parks))

    def role_in(self, unit_id: int) -> str:
        """The role that answers the zone's cases in a unit (the director unless mapped)."""
        return next((row.role for row in self.roles if row.unit_id == unit_id), "director")

    def __repr__(self) -> str:
        return f"<Zone {self.code} {self.starts_on}..{self.ends_on}>"


class ZoneRole(Model):
    """Who answers a zone's cases in one unit (each unit maps the zone to one of its roles)."""

    __tablename__ = "zone_roles"

    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))

    def __repr__(self) -> str:
        return f"<ZoneRole zone={self.zone_id} unit={self.unit_id} {self.role}>"
