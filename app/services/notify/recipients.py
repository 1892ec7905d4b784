"""Who an alert reaches now: push takers out of quiet hours, SMS holders of a role.

The settings themselves (mobile, push, SMS, quiet hours, on call) are each person's own,
set in services.accounts.reach; this module only reads them, so that the alert senders
(push, the escalation ladder) need nothing from the accounts package.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Membership, StaffUser


def in_quiet_hours(user: StaffUser, now: datetime, timezone: str) -> bool:
    """Whether `now` is in the user's quiet hours (their unit's clock; may span midnight)."""
    if not user.quiet_start or not user.quiet_end:
        return False
    clock = now.astimezone(ZoneInfo(timezone)).strftime("%H:%M")
    if user.quiet_start < user.quiet_end:
        return user.quiet_start <= clock < user.quiet_end
    return clock >= user.quiet_start or clock < user.quiet_end


def push_recipients(session: Session, user_ids: set[int], *, urgent: bool, now: datetime,
                    timezone: str) -> set[int]:
    """Those of `user_ids` who take pushes now: push on, and out of quiet hours unless the
    alert is urgent (quiet hours never hold back an urgent one)."""
    if not user_ids:
        return set()
    people = session.scalars(select(StaffUser).where(StaffUser.id.in_(user_ids)))
    return {person.id for person in people if person.alert_push
            and (urgent or not in_quiet_hours(person, now, timezone))}


def sms_recipients(session: Session, unit_id: int, roles: set[str], *, on_call_only: bool
                   ) -> list[StaffUser]:
    """The active holders of `roles` in the unit with SMS on and a mobile (and on call)."""
    query = (select(StaffUser).join(Membership, Membership.user_id == StaffUser.id)
             .where(Membership.unit_id == unit_id, Membership.role.in_(roles),
                    StaffUser.active, StaffUser.alert_sms, StaffUser.mobile.is_not(None))
             .distinct().order_by(StaffUser.id))
    if on_call_only:
        query = query.where(StaffUser.on_call)
    return list(session.scalars(query))
