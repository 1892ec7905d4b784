"""Management units, parks, spots (with their QR codes) and case categories."""

from __future__ import annotations

import re
import secrets
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.types import UTCDateTime, utcnow

# the numbers a new unit's forms show: number, Chinese label, English label (one a line)
DEFAULT_EMERGENCY_NUMBERS = "110 报警 Police\n119 火警 Fire\n120 急救 Ambulance"

if TYPE_CHECKING:
    from app.models.people import Membership


PARK_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # as spot codes: nothing to misread
PARK_CODE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?")  # what /p/<park_code> takes


def new_park_code() -> str:
    """A park's code when nobody chose one: 8 letters/digits, never sequential."""
    return "".join(secrets.choice(PARK_CODE_ALPHABET) for _ in range(8))


def local_name(name_zh: str, name_en: str, locale: str) -> str:
    """A name in the reader's language: the English one when there is one, else Chinese."""
    return name_en if locale == "en" and name_en else name_zh


class Unit(Model):
    """A management office (e.g. the Ritan Park office); owns parks, staff and settings."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    # prefix of case references: RT -> RT-2026-000123
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    # a resolved case closes by itself this many days later unless the visitor says "not fixed"
    autoclose_days: Mapped[int] = mapped_column(Integer, default=7)
    # a new message about the same spot and category within this window joins the open case
    me_too_window_hours: Mapped[int] = mapped_column(Integer, default=24)
    # working hours in the unit's time zone ("HH:MM"), and working days as ISO weekday digits
    work_start: Mapped[str] = mapped_column(String(5), default="08:00")
    work_end: Mapped[str] = mapped_column(String(5), default="18:00")
    work_days: Mapped[str] = mapped_column(String(7), default="1234567")
    # danger first (services.cases.danger): the numbers every form shows ("110 报警 Police" a
    # line), and the words that raise a message to urgent (empty: the starter list)
    emergency_numbers: Mapped[str] = mapped_column(
        Text, default=DEFAULT_EMERGENCY_NUMBERS, server_default=DEFAULT_EMERGENCY_NUMBERS)
    danger_words: Mapped[str] = mapped_column(Text, default="", server_default="")
    # 12345 tickets (接诉即办): contact the citizen within hours, finish within days
    hotline_respond_hours: Mapped[int] = mapped_column(Integer, default=24, server_default="24")
    hotline_resolve_days: Mapped[int] = mapped_column(Integer, default=7, server_default="7")
    # the escalation ladder: an urgent case nobody claimed in this many minutes goes by SMS
    # to the on-call holders of its role; at its claim deadline, SMS to the directors too
    ladder_sms_minutes: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    ladder_director_sms: Mapped[bool] = mapped_column(Boolean, default=True,
                                                      server_default=sa_true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    parks: Mapped[list[Park]] = relationship(back_populates="unit", order_by="Park.id")
    categories: Mapped[list[Category]] = relationship(
        back_populates="unit", order_by="Category.sort_order"
    )
    memberships: Mapped[list[Membership]] = relationship(back_populates="unit")

    def __repr__(self) -> str:
        return f"<Unit {self.code} {self.name_en or self.name_zh}>"


class Park(Model):
    __tablename__ = "parks"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    # the park's public address, /p/<park_code> (the board): stable, never renamed with the
    # park; nullable in the schema only (SQLite cannot add NOT NULL without copying the table
    # the spots and cases hang from): every row has one (the default, migration 0018)
    park_code: Mapped[str] = mapped_column(String(32), nullable=True, unique=True, index=True,
                                           default=new_park_code)
    # the day its QR codes went up: hotline tickets are compared before and after it
    mailbox_started_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    unit: Mapped[Unit] = relationship(back_populates="parks")
    spots: Mapped[list[Spot]] = relationship(back_populates="park", order_by="Spot.id")

    def name(self, locale: str) -> str:
        return local_name(self.name_zh, self.name_en, locale)

    def __repr__(self) -> str:
        return f"<Park {self.id} {self.name_en or self.name_zh}>"


class Spot(Model):
    """A spot in a park with its own QR code."""

    __tablename__ = "points"

    id: Mapped[int] = mapped_column(primary_key=True)
    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id"), index=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    park: Mapped[Park] = relationship(back_populates="spots")

    def name(self, locale: str) -> str:
        return local_name(self.name_zh, self.name_en, locale)

    def __repr__(self) -> str:
        return f"<Spot {self.code} {self.name_en or self.name_zh}>"


class Category(Model):
    """What a message is about, who answers it and how fast."""

    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("unit_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name_zh: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(60), default="")
    icon: Mapped[str] = mapped_column(String(16), default="")
    # the staff role that answers it (security, cleaning, maintenance, service, director)
    role: Mapped[str] = mapped_column(String(20), default="service")
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    claim_minutes: Mapped[int] = mapped_column(Integer, default=30)
    first_reply_hours: Mapped[int] = mapped_column(Integer, default=4)
    resolve_days: Mapped[int] = mapped_column(Integer, default=3)

    unit: Mapped[Unit] = relationship(back_populates="categories")

    def name(self, locale: str) -> str:
        return local_name(self.name_zh, self.name_en, locale)

    def __repr__(self) -> str:
        return f"<Category {self.code}>"


class CategoryTraining(Model):
    """A unit's own category model (services.cases.suggest): word counts per category from
    its filed cases, added to the starter set shipped with the app."""

    __tablename__ = "category_models"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True,
                                         autoincrement=False)
    # {category code: {"documents": n, "features": {feature: count}}}
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    cases: Mapped[int] = mapped_column(Integer, default=0)  # labelled cases counted
    last_case_id: Mapped[int] = mapped_column(BigInteger, default=0)
    # a refiling since: train again at the next round
    stale: Mapped[bool] = mapped_column(Boolean, default=False)
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<CategoryTraining unit={self.unit_id} cases={self.cases}>"
