"""Staff alerts outside the browser: the unit's channels (group robots, signed webhooks)
and the durable outbox of deliveries to them (services.notify.channels)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.org import Park
from app.models.types import BigId, OutboxRow, UTCDateTime, utcnow


class ChannelKind(StrEnum):
    WECOM = "wecom"  # 企业微信群机器人
    DINGTALK = "dingtalk"  # 钉钉自定义机器人 ("加签")
    FEISHU = "feishu"  # 飞书 / Lark custom bot (signature check)
    WEBHOOK = "webhook"  # any https endpoint, signed as Standard Webhooks says


class AlertChannel(Model):
    """Where a unit's alerts go: a group robot or a webhook, for the unit or one park."""

    __tablename__ = "alert_channels"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    park_id: Mapped[int | None] = mapped_column(ForeignKey("parks.id"))  # None: every park
    kind: Mapped[str] = mapped_column(String(12))
    url: Mapped[str] = mapped_column(String(500))
    # DingTalk's "SEC..." secret, Feishu's signing secret, a webhook's "whsec_..." secret
    secret: Mapped[str | None] = mapped_column(String(200))
    # the event kinds it receives, space-separated (feedback.created case.reopened ...)
    events: Mapped[str] = mapped_column(String(200), default="feedback.created")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))

    park: Mapped[Park | None] = relationship()

    @property
    def failing(self) -> bool:
        """Its last attempt failed (a later success clears it)."""
        return self.last_failure_at is not None and (
            self.last_success_at is None or self.last_failure_at > self.last_success_at)

    def receives(self, kind: str) -> bool:
        return kind in self.events.split()

    def __repr__(self) -> str:
        return f"<AlertChannel {self.id} {self.kind}>"


class AlertDelivery(OutboxRow, Model):
    """One message to one channel, written in the transaction of its event."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (Index("ix_alert_deliveries_state_next", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("alert_channels.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(BigId)  # None: a test message
    event: Mapped[str] = mapped_column(String(40))
    # what the message says, fixed when it was queued: type, case_id, reference, url,
    # title, body (never a visitor's contact)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # when it was handed to the channel: set by the claim (a robot's per-minute count sees
    # the sends under way), kept once sent, cleared when the receiver refused it

    channel: Mapped[AlertChannel] = relationship()

    def __repr__(self) -> str:
        return f"<AlertDelivery {self.id} {self.event} {self.state}>"


class PushSubscription(Model):
    """One phone (browser) of a staff member that receives Web Push alerts: the browser's
    PushSubscription (its push service endpoint and the keys the payload is encrypted to)."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(120))  # the browser's P-256 key, base64url
    auth: Mapped[str] = mapped_column(String(60))  # its 16-byte auth secret, base64url
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))
    # SHA-256 of the secret the phone's service worker keeps to replace this subscription
    # when the browser rotates it (pushsubscriptionchange), with no session or CSRF token
    renew_token_hash: Mapped[str | None] = mapped_column(String(64))

    def __repr__(self) -> str:
        return f"<PushSubscription {self.id} of user {self.user_id}>"


class PushDelivery(OutboxRow, Model):
    """One Web Push message to one subscription, written in the transaction of its event
    (the same outbox pattern as AlertDelivery; removed with its subscription)."""

    __tablename__ = "push_deliveries"
    __table_args__ = (Index("ix_push_deliveries_state_next", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("push_subscriptions.id"),
                                                 index=True)
    case_id: Mapped[int | None] = mapped_column(BigId)  # None: a test alert
    event: Mapped[str] = mapped_column(String(40))
    # type, case_id, reference, url, title, body, urgent (never a visitor's contact)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)

    subscription: Mapped[PushSubscription] = relationship()

    def __repr__(self) -> str:
        return f"<PushDelivery {self.id} {self.event} {self.state}>"


class LadderStep(Model):
    """One step of the escalation ladder fired for one case (services.notify.ladder): at
    most one row per case and step, written in the transaction that queues its messages."""

    __tablename__ = "ladder_steps"
    __table_args__ = (UniqueConstraint("case_id", "step", name="uq_ladder_steps_case_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(BigId, ForeignKey("feedback.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    step: Mapped[str] = mapped_column(String(20))  # "oncall_sms", "directors"
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime())
    pushed: Mapped[int] = mapped_column(Integer, default=0)  # people pushed by this step
    texted: Mapped[int] = mapped_column(Integer, default=0)  # people sent an SMS

    messages: Mapped[list[StaffSms]] = relationship(order_by="StaffSms.id",
                                                    back_populates="step_row")

    def __repr__(self) -> str:
        return f"<LadderStep {self.step} of case {self.case_id}>"


class StaffSms(OutboxRow, Model):
    """One SMS of the ladder to one staff member: the outbox row, sent once by the job."""

    __tablename__ = "staff_sms"
    __table_args__ = (Index("ix_staff_sms_state_next", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    step_id: Mapped[int] = mapped_column(BigId, ForeignKey("ladder_steps.id"),
                                         index=True)
    case_id: Mapped[int] = mapped_column(BigId)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"))
    phone: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)

    step_row: Mapped[LadderStep] = relationship(back_populates="messages")

    def __repr__(self) -> str:
        return f"<StaffSms {self.id} {self.state}>"
