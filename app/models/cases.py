"""Cases, their threads and the per-unit reference counters."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.media import Photo, VoiceNote
from app.models.org import Category, Park, Spot, Unit
from app.models.people import StaffUser
from app.models.transfers import CaseTransfer
from app.models.types import BigId, UTCDateTime, utcnow
from app.models.zones import Zone


class Status(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    DUPLICATE = "duplicate"
    REFERRED = "referred"
    NO_ACTION = "no_action"
    SPAM = "spam"


OPEN_STATUSES = (Status.NEW, Status.ACKNOWLEDGED, Status.IN_PROGRESS)
STATUS_VALUES = ", ".join(f"'{s.value}'" for s in Status)


class MessageKind(StrEnum):
    VISITOR = "visitor"  # the visitor's first message or a follow-up
    REPLY = "reply"  # public reply from staff, shown on the tracking page
    NOTE = "note"  # internal note, never shown to the visitor
    STATUS = "status"  # a status change
    ACTION = "action"  # claim, assignment, hand-back, escalation, me-too: staff only


class Source(StrEnum):
    QR = "qr"
    HOTLINE = "hotline"
    STAFF = "staff"  # taken down by staff (CaseChannel says how they heard of it)
    API = "api"
    OPEN311 = "open311"


class CaseChannel(StrEnum):
    """How staff heard of a case they took down themselves (Source.STAFF)."""

    PHONE = "phone"  # a call to the park office
    COUNTER = "counter"  # a visitor at the gate or the service desk
    PATROL = "patrol"  # a guard or cleaner saw it: no visitor waits for an answer
    OTHER = "other"


class Case(Model):
    """A case: what a visitor reported at a spot, and everything done about it."""

    __tablename__ = "feedback"
    __table_args__ = (
        CheckConstraint(f"status IN ({STATUS_VALUES})", name="status"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating"),
        CheckConstraint("satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5",
                        name="satisfaction"),
        Index("ix_feedback_unit_status_created", "unit_id", "status", "created_at"),
        # the bureau's share within the limit reads the cases whose deadline is still ahead
        Index("ix_feedback_reply_due_at", "reply_due_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    reference: Mapped[str] = mapped_column(String(24), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    park_id: Mapped[int] = mapped_column(ForeignKey("parks.id"), index=True)
    spot_id: Mapped[int | None] = mapped_column("point_id", ForeignKey("points.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    # the category code the visitor (or staff taking it down) picked at intake, and who set
    # the current one: "visitor" (as picked), "text" (suggested from the words: the visitor
    # chose "other") or "staff" (refiled; a label the unit's category model learns from)
    category_chosen: Mapped[str | None] = mapped_column(String(32))
    category_reason: Mapped[str | None] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    # sent through a seasonal zone's choice on the form (services.cases.zones)
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id"), index=True)
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    contact: Mapped[str | None] = mapped_column(String(254))
    # keyed hash of the submitting client (app.security.client_key), never its address
    client_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    language: Mapped[str] = mapped_column(String(8), default="zh_CN")
    status: Mapped[str] = mapped_column(String(20), default=Status.NEW.value)
    source: Mapped[str] = mapped_column(String(16), default=Source.QR.value)
    channel: Mapped[str | None] = mapped_column(String(16))  # CaseChannel, for Source.STAFF
    # the case's own urgency: its category's, raised by its words (a danger named), or set
    # by staff; urgent_reason says which ("category", "words", "staff")
    urgent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    urgent_reason: Mapped[str | None] = mapped_column(String(16))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    # the role that answers it (routing rules at submission time); its members see it as theirs
    responsible_role: Mapped[str | None] = mapped_column(String(20))
    me_too_count: Mapped[int] = mapped_column(Integer, default=0)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    # the visitor's rating of the answer (1-5), distinct from `rating` of the spot
    satisfaction: Mapped[int | None] = mapped_column(SmallInteger)
    # where an API client said it was (WGS84), and a link to its photo or video
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    media_url: Mapped[str | None] = mapped_column(String(500))
    # more about the reporter from an API client (name, a second contact); staff only
    contact_note: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_fixed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # time limits of the category, counted in the unit's working hours (set at submission)
    claim_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reply_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolve_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # the second escalation, when the first reply is overdue
    reply_escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # what public outputs (Open311, public pages) show instead of the visitor's words: a
    # summary staff approved (None: the masked text, app.services.cases.public)
    public_summary: Mapped[str | None] = mapped_column(Text)
    # staff marked the case not public at all: public outputs show no text and no photo
    private: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    # moved out of the parks to an outside office (转办): closed as "referred", counted in
    # the figures apart from resolved cases (services.cases.transfers)
    transferred_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # Read only: a case is filed, moved and assigned by its ids (unit_id, park_id, ...);
    # setting one of these would not be saved. Written relationships put their tables in the
    # unit of work of every flush that changes a case: with these six, a "me too" flush
    # sorted 36 steps; read only, 20 (bench/README.md, "Where a visit's CPU goes").
    unit: Mapped[Unit] = relationship(viewonly=True)
    park: Mapped[Park] = relationship(viewonly=True)
    spot: Mapped[Spot | None] = relationship(viewonly=True)
    category: Mapped[Category] = relationship(viewonly=True)
    zone: Mapped[Zone | None] = relationship(viewonly=True)
    assignee: Mapped[StaffUser | None] = relationship(viewonly=True)
    messages: Mapped[list[Message]] = relationship(
        back_populates="case", order_by="Message.id", cascade="all, delete-orphan"
    )
    photos: Mapped[list[Photo]] = relationship(order_by="Photo.id",
                                               cascade="all, delete-orphan")
    voice_notes: Mapped[list[VoiceNote]] = relationship(order_by="VoiceNote.id",
                                                        cascade="all, delete-orphan")
    extra_tokens: Mapped[list[CaseToken]] = relationship(
        back_populates="case", order_by="CaseToken.id"
    )
    transfers: Mapped[list[CaseTransfer]] = relationship(order_by="CaseTransfer.id",
                                                         cascade="all, delete-orphan")

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def zone_code(self) -> str | None:
        """The code of the zone it was sent through (None: not through a zone)."""
        return self.zone.code if self.zone is not None else None

    def __repr__(self) -> str:
        return f"<Case {self.reference} {self.status}>"


class Message(Model):
    """One entry in a case's thread."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column("feedback_id", ForeignKey("feedback.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    status_from: Mapped[str | None] = mapped_column(String(20))
    status_to: Mapped[str | None] = mapped_column(String(20))
    # for kind "action": claimed, assigned, handed_back, escalated, me_too, split
    action: Mapped[str | None] = mapped_column(String(20))
    # a visitor message written through a "me too" tracking link (None: the first visitor)
    case_token_id: Mapped[int | None] = mapped_column(
        ForeignKey("case_tokens.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    case: Mapped[Case] = relationship(back_populates="messages")
    author: Mapped[StaffUser | None] = relationship()
    # the "me too" report this message belongs to (set it, not only the id, to insert both
    # in one flush)
    case_token: Mapped[CaseToken | None] = relationship()

    @property
    def is_public(self) -> bool:
        return self.kind not in (MessageKind.NOTE, MessageKind.ACTION)

    def __repr__(self) -> str:
        return f"<Message {self.id} {self.kind}>"


class CaseToken(Model):
    """An extra tracking link to a case: a visitor who joined it with "me too"."""

    __tablename__ = "case_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column("feedback_id", ForeignKey("feedback.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    contact: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(8), default="zh_CN")
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    case: Mapped[Case] = relationship(back_populates="extra_tokens")

    def __repr__(self) -> str:
        return f"<CaseToken {self.id} of case {self.case_id}>"


class ReferenceCounter(Model):
    """The last reference number given per unit and year (RT-2026-000123)."""

    __tablename__ = "reference_counters"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<ReferenceCounter unit={self.unit_id} {self.year}={self.value}>"
