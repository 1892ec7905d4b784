"""Visitor notifications: the outbox of e-mails/SMS to send, and the default SMS outbox."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.cases import Case, Message
from app.models.types import BigId, OutboxRow, UTCDateTime, utcnow


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


class DeliveryState(StrEnum):
    PENDING = "pending"  # waiting for its next attempt
    SENT = "sent"
    FAILED = "failed"  # gave up after the last attempt; kept, and can be retried by hand


class Notification(OutboxRow, Model):
    """One message to a visitor about their case, written with the reply or status change."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_state_next", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column("feedback_id", ForeignKey("feedback.id"), index=True)
    # the public reply, or the status change when there is no reply
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"))
    # the status the case moved to with this message, if it moved
    status_to: Mapped[str | None] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(8))
    recipient: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(8), default="zh_CN")
    # the visitor's private link, in the first message after their submission ("received")
    # only, and only until it is sent: then it is erased (services.notify.visitors)
    tracking_link: Mapped[str | None] = mapped_column(String(300))

    case: Mapped[Case] = relationship()
    message: Mapped[Message] = relationship()

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.channel} {self.state}>"


class SmsMessage(Model):
    """The default SMS sender's outbox: a gateway (or a person) picks these up."""

    __tablename__ = "sms_outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    phone: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<SmsMessage {self.id} to {self.phone[-4:]}>"
