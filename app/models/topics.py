"""每月一题 as a loop: a problem the bureau adopts for a month, the units it assigns, and
the measures those units record (with photos)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Date, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.org import Unit
from app.models.types import BigId, StoredFile, UTCDateTime, utcnow

topic_units = Table(
    "topic_units",
    Model.metadata,
    Column("topic_id", ForeignKey("adopted_topics.id"), primary_key=True),
    Column("unit_id", ForeignKey("units.id"), primary_key=True, index=True),
)


class AdoptedTopic(Model):
    """A problem the bureau chose to work on from a month on (每月一题)."""

    __tablename__ = "adopted_topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date, index=True)  # the first day of the month
    title: Mapped[str] = mapped_column(String(120))
    # the words a matching case's text contains (at least one), space-separated; "" = any
    keywords: Mapped[str] = mapped_column(String(200), default="")
    # the category a matching case has (by code, in every unit); None = any category
    category_code: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    units: Mapped[list[Unit]] = relationship(secondary=topic_units, order_by="Unit.id")
    measures: Mapped[list[TopicMeasure]] = relationship(
        back_populates="topic", order_by="(TopicMeasure.taken_on.desc(), TopicMeasure.id.desc())")

    @property
    def keyword_list(self) -> list[str]:
        return self.keywords.split()

    @property
    def unit_ids(self) -> list[int]:
        return [unit.id for unit in self.units]

    def __repr__(self) -> str:
        return f"<AdoptedTopic {self.id} {self.month:%Y-%m} {self.title!r}>"


class TopicMeasure(Model):
    """What one unit did about an adopted topic, on a day."""

    __tablename__ = "topic_measures"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("adopted_topics.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    taken_on: Mapped[date] = mapped_column(Date)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    topic: Mapped[AdoptedTopic] = relationship(back_populates="measures")
    unit: Mapped[Unit] = relationship()
    photos: Mapped[list[MeasurePhoto]] = relationship(order_by="MeasurePhoto.id")

    def __repr__(self) -> str:
        return f"<TopicMeasure {self.id} topic={self.topic_id} unit={self.unit_id}>"


class MeasurePhoto(StoredFile, Model):
    """A photo of a measure, stored like a case's photo (re-encoded, random name)."""

    __tablename__ = "measure_photos"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("topic_measures.id"), index=True)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))

    def __repr__(self) -> str:
        return f"<MeasurePhoto {self.id} measure={self.measure_id}>"
