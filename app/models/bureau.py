"""City-level figures: daily and monthly case rollups, park visits, hotline tickets, warnings.

The rollups are plain tables (no ORM class): rows are only ever added to with upserts
(`app.services.bureau.rollups`), and read with aggregate queries (`app.services.bureau.analytics`).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.cases import CaseChannel, Source
from app.models.org import Park, Unit
from app.models.people import StaffUser
from app.models.types import BigId, UTCDateTime, utcnow

# Time to first response and to resolution are kept as histograms so that medians and
# the 90th percentile can be read from sums of rollup rows. Upper edges in minutes; the
# last bucket of each is open-ended.
RESPONSE_EDGES = (5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 360, 480, 720, 1440, 2880,
                  4320, 10080)
RESOLVE_EDGES = (60, 120, 240, 480, 720, 1440, 2880, 4320, 7200, 10080, 20160, 43200)
RESPONSE_BUCKETS = tuple(f"rsp_{i}" for i in range(len(RESPONSE_EDGES) + 1))
RESOLVE_BUCKETS = tuple(f"res_{i}" for i in range(len(RESOLVE_EDGES) + 1))
HOURS = tuple(f"h_{hour}" for hour in range(24))
# where cases came in: the codes of `services.cases.workflow.intake_channel()` (the QR code,
# the 12345 hotline, each way staff hear of a case, other systems), one count each
INTAKE_CODES = (Source.QR.value, Source.HOTLINE.value, *(c.value for c in CaseChannel), "api")
CHANNELS = tuple(f"ch_{code}" for code in INTAKE_CODES)

# what each rollup row sums (see services.rollups.contribution for their meaning)
SCALARS = (
    "cases",         # cases created that day
    "open_cases",    # of which still open
    "me_too",        # sum of "me too" counts
    "responded",     # with a first response
    "with_limit",    # with a first-reply deadline (spam aside: it needs no reply)
    "within_limit",  # first response at or before the deadline
    "resolved",      # with a resolution time
    "resolved_ever",  # resolved at least once (resolved now, or reopened)
    "reopened",      # reopened at least once
    "sat_count",     # rated by the visitor
    "sat_sum",       # sum of those ratings (1-5)
    "unanswered",    # no public reply yet, however closed (spam aside: it needs none)
    "satisfied",     # rated 4 or 5 by the visitor (满意率's numerator)
    "reopens",       # sum of reopen counts: each "not fixed" is one more report
    "not_counted",   # spam or duplicate: not a case of its own for 解决率
)
MEASURES = SCALARS + RESPONSE_BUCKETS + RESOLVE_BUCKETS + HOURS + CHANNELS


def _measure_columns() -> list[Column[int]]:
    return [Column(name, Integer, nullable=False, server_default="0") for name in MEASURES]


# park x spot x category x local day (Asia/Shanghai); point_id 0 = no spot (hotline, staff)
rollup_daily = Table(
    "rollup_daily",
    Model.metadata,
    Column("park_id", Integer, primary_key=True),
    Column("point_id", Integer, primary_key=True),
    Column("category_id", Integer, primary_key=True),
    Column("day", Date, primary_key=True),
    *_measure_columns(),
    Index("ix_rollup_daily_day", "day"),
)

# park x category x month (the first day of the month): what the league table reads
rollup_monthly = Table(
    "rollup_monthly",
    Model.metadata,
    Column("park_id", Integer, primary_key=True),
    Column("category_id", Integer, primary_key=True),
    Column("month", Date, primary_key=True),
    *_measure_columns(),
    Index("ix_rollup_monthly_month", "month"),
)

# park x seasonal zone x local day: the cases sent through a zone's choice. Daily only: a
# zone is open a few weeks, so its rows are at most parks x open days, whatever the cases
rollup_zone_daily = Table(
    "rollup_zone_daily",
    Model.metadata,
    Column("park_id", Integer, primary_key=True),
    Column("zone_id", Integer, primary_key=True),
    Column("day", Date, primary_key=True),
    Column("cases", Integer, nullable=False, server_default="0"),
    Index("ix_rollup_zone_daily_day", "day"),
)


class ParkVisits(Model):
    """How many people visited a park on a day (imported from the park's gate counts)."""

    __tablename__ = "park_visits"

    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    visits: Mapped[int] = mapped_column(Integer)

    def __repr__(self) -> str:
        return f"<ParkVisits {self.park_id} {self.day} {self.visits}>"


class ReplyContact(StrEnum):
    """联系情况 of a 回单: how the park reached the citizen."""

    CONTACTED = "contacted"  # 已联系
    UNREACHABLE = "unreachable"  # 联系不上
    NOT_NEEDED = "not_needed"  # 无需联系 (e.g. an anonymous ticket)


class ReplyResult(StrEnum):
    """办理结果 of a 回单."""

    RESOLVED = "resolved"  # 已解决
    EXPLAINED = "explained"  # 已解释说明
    UNRESOLVED = "unresolved"  # 未解决 (with the reason in the text)


class HotlineTicket(Model):
    """A ticket (工单) of the city's 12345 hotline about a park.

    Imported by the bureau as a figure (a park and a day), or taken into a unit's inbox as
    a case (source "hotline") with the hotline's own time limits and a 回单: the answer sent
    back to the hotline platform. A ticket whose address names no spot waits for a person to
    place it (`needs_place`); it is never dropped."""

    __tablename__ = "hotline_tickets"
    __table_args__ = (UniqueConstraint("unit_id", "ticket_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ticket_id: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    park_id: Mapped[int | None] = mapped_column(ForeignKey("parks.id"), index=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    category: Mapped[str] = mapped_column(String(60))
    body: Mapped[str] = mapped_column(Text, default="")
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # taken into the inbox: the case it became (None while it waits for a place)
    case_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("feedback.id"), unique=True)
    needs_place: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    address: Mapped[str | None] = mapped_column(String(200))
    contact: Mapped[str | None] = mapped_column(String(120))  # the citizen's: unit staff only
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    respond_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # 联系时限
    resolve_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # 办结时限
    # the 回单
    reply_contact: Mapped[str | None] = mapped_column(String(16))  # ReplyContact
    reply_result: Mapped[str | None] = mapped_column(String(16))  # ReplyResult
    reply_text: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))

    park: Mapped[Park | None] = relationship()
    unit: Mapped[Unit] = relationship()

    def __repr__(self) -> str:
        return f"<HotlineTicket {self.ticket_id}>"


class EarlyWarning(Model):
    """An early warning: a spot x category far above its own baseline in the last hours."""

    __tablename__ = "early_warnings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id"))
    spot_id: Mapped[int | None] = mapped_column("point_id", ForeignKey("points.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    window_end: Mapped[datetime] = mapped_column(UTCDateTime())
    observed: Mapped[int] = mapped_column(Integer)
    expected: Mapped[float] = mapped_column(Float)
    p_value: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # "spike": far above the spot x category's baseline; "burst": many reports at one spot
    # within minutes (then `observed` is the reports, `expected` and `p_value` are 0)
    kind: Mapped[str] = mapped_column(String(10), default="spike", server_default="spike")
    # the case most of a burst's reports went to (a "me too" joins them to one)
    case_id: Mapped[int | None] = mapped_column(BigInteger)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    acknowledgement_note: Mapped[str] = mapped_column(Text, default="", server_default="")

    park: Mapped[Park] = relationship()
    acknowledged_by: Mapped[StaffUser | None] = relationship()

    def __repr__(self) -> str:
        return f"<EarlyWarning {self.id} park={self.park_id} spot={self.spot_id} "\
               f"{self.observed} vs {self.expected:.2f}>"
