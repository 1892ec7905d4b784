"""Staff accounts and their memberships (user x unit x role)."""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.org import Unit
from app.models.types import UTCDateTime, utcnow

ROLES = ("director", "security", "cleaning", "maintenance", "service", "viewer")
BUREAU_ROLES = ("viewer", "admin")


def _new_session_nonce() -> str:
    return secrets.token_hex(16)


class StaffUser(UserMixin, Model):
    """A person who logs in: park staff (through memberships) or bureau staff."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # None for park staff; "viewer" or "admin" for the city parks bureau
    bureau_role: Mapped[str | None] = mapped_column(String(20))
    # part of the login cookie: changing it logs out every session of the user
    session_nonce: Mapped[str] = mapped_column(String(32), default=_new_session_nonce)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # a temporary password someone else chose and handed over: the first thing after
    # logging in is choosing one's own
    password_change_required: Mapped[bool] = mapped_column(Boolean, default=False,
                                                           server_default=sa_false())
    # how alerts reach the person off the page (services.accounts.reach): a Chinese mobile
    # normalised to +86..., also a login name; push to their phones and SMS to the mobile
    # each on or off; quiet hours ("HH:MM", the unit's time) hold back all but urgent
    # alerts; on call: the ladder's SMS for an urgent case nobody claimed reaches them
    mobile: Mapped[str | None] = mapped_column(String(20), index=True, unique=True)
    alert_push: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    alert_sms: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    quiet_start: Mapped[str | None] = mapped_column(String(5))
    quiet_end: Mapped[str | None] = mapped_column(String(5))
    on_call: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_nonce}"

    def rotate_session_nonce(self) -> None:
        self.session_nonce = _new_session_nonce()

    @property
    def unit_ids(self) -> set[int]:
        return {m.unit_id for m in self.memberships}

    def roles_in(self, unit_id: int) -> set[str]:
        return {m.role for m in self.memberships if m.unit_id == unit_id}

    def __repr__(self) -> str:
        return f"<StaffUser {self.email}>"


class Membership(Model):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "unit_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))

    user: Mapped[StaffUser] = relationship(back_populates="memberships")
    unit: Mapped[Unit] = relationship(back_populates="memberships")

    def __repr__(self) -> str:
        return f"<Membership user={self.user_id} unit={self.unit_id} {self.role}>"
