"""Cases moved to whoever owns them (转办): the transfers and the unit's outside offices."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.org import Park, Unit
from app.models.people import StaffUser
from app.models.types import BigId, OutboxRow, UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.models.cases import Case


class TransferKind(StrEnum):
    PARK = "park"  # to another park of the unit
    UNIT = "unit"  # to a park of another unit: the case leaves this unit
    OFFICE = "office"  # to an outside office of the unit's list: the case leaves the parks


class OutsideOffice(Model):
    """An office outside the parks a unit sends cases to (street office, district bureau,
    police non-emergency, a contractor): it gets them by e-mail and optionally a webhook."""

    __tablename__ = "outside_offices"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    # the Standard Webhooks secret (whsec_...) the office checks our signature with
    webhook_secret: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<OutsideOffice {self.id} {self.name}>"


class CaseTransfer(Model):
    """One move of a case: who moved it, from where, to which park or office, the note
    written for the visitor, and what the sending unit keeps of it (words and place, never
    the visitor's contact)."""

    __tablename__ = "case_transfers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column("feedback_id", ForeignKey("feedback.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    from_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    from_park_id: Mapped[int] = mapped_column(ForeignKey("parks.id"))
    to_park_id: Mapped[int | None] = mapped_column(ForeignKey("parks.id"))
    to_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    to_office_id: Mapped[int | None] = mapped_column(ForeignKey("outside_offices.id"))
    note: Mapped[str] = mapped_column(Text)
    # the sending unit's read-only record: the visitor's words and the place, as sent
    body: Mapped[str] = mapped_column(Text, default="")
    place: Mapped[str] = mapped_column(String(300), default="")
    by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    from_unit: Mapped[Unit] = relationship(foreign_keys=[from_unit_id])
    from_park: Mapped[Park] = relationship(foreign_keys=[from_park_id])
    to_park: Mapped[Park | None] = relationship(foreign_keys=[to_park_id])
    to_unit: Mapped[Unit | None] = relationship(foreign_keys=[to_unit_id])
    to_office: Mapped[OutsideOffice | None] = relationship()
    by: Mapped[StaffUser | None] = relationship()
    case: Mapped[Case] = relationship(viewonly=True)

    def __repr__(self) -> str:
        return f"<CaseTransfer {self.id} of case {self.case_id} ({self.kind})>"


class OfficeDelivery(OutboxRow, Model):
    """The outbox of a transfer to an outside office: one e-mail, and one webhook call when
    the office has one, each retried with backoff by the job `offices.send`."""

    __tablename__ = "office_deliveries"
    __table_args__ = (Index("ix_office_deliveries_state_next", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    transfer_id: Mapped[int] = mapped_column(ForeignKey("case_transfers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(8))  # "email" or "webhook"

    transfer: Mapped[CaseTransfer] = relationship()

    def __repr__(self) -> str:
        return f"<OfficeDelivery {self.id} {self.channel} {self.state}>"
