"""What directors configure for their unit: routing rules and reply templates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.org import Category, Park, Spot
from app.models.types import UTCDateTime, utcnow


class RoutingRule(Model):
    """Category (optionally narrowed to a park or a spot) -> the role that answers it.

    The most specific matching rule wins (spot, then park, then the whole unit); with no
    rule, the category's own role answers.
    """

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    park_id: Mapped[int | None] = mapped_column(ForeignKey("parks.id"))
    spot_id: Mapped[int | None] = mapped_column("point_id", ForeignKey("points.id"))
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    category: Mapped[Category] = relationship()
    park: Mapped[Park | None] = relationship()
    spot: Mapped[Spot | None] = relationship()

    def __repr__(self) -> str:
        return f"<RoutingRule {self.category_id} park={self.park_id} spot={self.spot_id} "\
               f"-> {self.role}>"


class ReplyTemplate(Model):
    """A ready answer; placeholders {spot}, {park}, {reference}, {category} are filled in."""

    __tablename__ = "reply_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    title: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    category: Mapped[Category | None] = relationship()

    def __repr__(self) -> str:
        return f"<ReplyTemplate {self.id} {self.title}>"
