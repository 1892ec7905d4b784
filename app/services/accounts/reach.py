"""How alerts reach each person off the page, and who in a unit can be reached at all.

Each person sets their own channels on /staff/alerts: push to their phones, SMS to their
mobile (a Chinese mobile, normalised to +86...; it is also a login name), quiet hours in
which only urgent alerts come, and whether they are on call (the escalation ladder's SMS
for an urgent case nobody claimed reaches those on call). Directors see the table of who
is reachable by what, and a warning when a category routes to a role that nobody active
holds, or that nobody holding it can be reached with the page closed. Who an alert reaches
now, by these settings, is services.notify.recipients (the alert senders read it there).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.database import write_transaction
from app.extensions import db
from app.models import Category, Membership, PushSubscription, RoutingRule, StaffUser
from app.services.accounts.audit import record_audit
from app.services.cases.operations import acting_unit_ids, require_acting
from app.services.errors import DomainError, NotFoundError

log = logging.getLogger(__name__)

TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
# a mainland mobile: 11 digits starting 13-19 (MIIT numbering plan)
CHINESE_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
REACH_FIELDS = ("mobile", "alert_push", "alert_sms", "quiet_start", "quiet_end", "on_call")


def normalise_mobile(raw: str) -> str:
    """A Chinese mobile as stored: +86 and its 11 digits (DomainError with the reason)."""
    digits = re.sub(r"[\s\-()]", "", raw.strip())
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if not CHINESE_MOBILE.match(digits):
        raise DomainError(_("A mobile number is 11 digits starting with 1 (for example "
                            "138 0013 8000), with or without +86."))
    return f"+86{digits}"


def masked_mobile(mobile: str | None) -> str:
    """A mobile as pages for others and the audit log show it: +86 and the last four."""
    return f"+86 ••• {mobile[-4:]}" if mobile else ""


def find_user_by_mobile(raw: str) -> StaffUser | None:
    """The account whose mobile this is, if it is a mobile at all."""
    try:
        mobile = normalise_mobile(raw)
    except DomainError:
        return None
    return db.session.scalar(select(StaffUser).where(StaffUser.mobile == mobile))


# --- a person's own settings ----------------------------------------------------------

@dataclass(frozen=True)
class ReachSettings:
    mobile: str
    alert_push: bool
    alert_sms: bool
    quiet_start: str
    quiet_end: str
    on_call: bool


def _validated(settings: ReachSettings) -> dict[str, object]:
    mobile = normalise_mobile(settings.mobile) if settings.mobile.strip() else None
    if settings.alert_sms and mobile is None:
        raise DomainError(_("SMS alerts need your mobile number."))
    start, end = settings.quiet_start.strip(), settings.quiet_end.strip()
    if bool(start) != bool(end):
        raise DomainError(_("Quiet hours need a start and an end, or neither."))
    if start and not (TIME.match(start) and TIME.match(end)):
        raise DomainError(_("Quiet hours are times like 22:00."))
    if start and start == end:
        raise DomainError(_("Quiet hours must end at another time than they start."))
    return {"mobile": mobile, "alert_push": settings.alert_push,
            "alert_sms": settings.alert_sms, "quiet_start": start or None,
            "quiet_end": end or None, "on_call": settings.on_call}


def _audited(user: StaffUser) -> dict[str, object]:
    values: dict[str, object] = {field: getattr(user, field) for field in REACH_FIELDS}
    values["mobile"] = masked_mobile(user.mobile)  # the log keeps no one's whole number
    return values


def update_own_reach(*, user: StaffUser, settings: ReachSettings) -> StaffUser:
    """Set how alerts reach the user: mobile, push and SMS, quiet hours, on call."""
    unit_ids = acting_unit_ids(user) or sorted(user.unit_ids) or [0]
    require_acting(user, unit_ids[0])  # a viewer is told nothing, and sets nothing
    values = _validated(settings)
    with write_transaction() as session:
        if values["mobile"] is not None:
            taken = session.scalar(select(StaffUser.id).where(
                StaffUser.mobile == values["mobile"], StaffUser.id != user.id))
            if taken is not None:
                raise DomainError(_("Another account already has this mobile number."))
        person = session.get(StaffUser, user.id)
        if person is None:
            raise NotFoundError(_("No such account."))
        before = _audited(person)
        for field, value in values.items():
            setattr(person, field, value)
        record_audit("account.reach_updated", user_id=person.id, unit_id=unit_ids[0] or None,
                     target_type="staff_user", target_id=person.id, before=before,
                     after=_audited(person))
    log.info("user %s changed how alerts reach them", user.id)
    return person


# --- what directors see ---------------------------------------------------------------

@dataclass(frozen=True)
class PersonReach:
    user: StaffUser
    roles: list[str]
    phones: int  # phones with push, counted only when push is on

    @property
    def sms(self) -> bool:
        return bool(self.user.alert_sms and self.user.mobile)

    @property
    def reachable(self) -> bool:
        """Reached with the page closed: a phone with push, or SMS."""
        return self.phones > 0 or self.sms


def unit_reach(unit_id: int) -> list[PersonReach]:
    """Every active person of the unit and how alerts reach them off the page."""
    memberships = db.session.execute(
        select(StaffUser, Membership.role).join(Membership, Membership.user_id == StaffUser.id)
        .where(Membership.unit_id == unit_id, StaffUser.active)
        .order_by(StaffUser.name, StaffUser.email, Membership.role)).all()
    phones = dict(db.session.execute(
        select(PushSubscription.user_id, func.count()).group_by(PushSubscription.user_id)
        .where(PushSubscription.user_id.in_({user.id for user, _role in memberships}))).all())
    people: dict[int, PersonReach] = {}
    for user, role in memberships:
        if user.id not in people:
            people[user.id] = PersonReach(user, [], phones.get(user.id, 0) if user.alert_push
                                          else 0)
        people[user.id].roles.append(role)
    return list(people.values())


@dataclass(frozen=True)
class RoleGap:
    role: str
    categories: list[Category]
    nobody: bool  # no active person holds the role; else nobody holding it is reachable


def routing_gaps(unit_id: int) -> list[RoleGap]:
    """The roles active categories route to (their own role and routing rules) that no
    active person holds, or that nobody holding them can be reached off the page."""
    categories = list(db.session.scalars(select(Category).where(
        Category.unit_id == unit_id, Category.active).order_by(Category.sort_order)))
    routed: dict[str, list[Category]] = {}
    rules = db.session.execute(select(RoutingRule.role, RoutingRule.category_id)
                               .where(RoutingRule.unit_id == unit_id)).all()
    for category in categories:
        roles = {category.role} | {role for role, category_id in rules
                                   if category_id == category.id}
        for role in sorted(roles):
            routed.setdefault(role, []).append(category)
    people = unit_reach(unit_id)
    gaps = []
    for role, routed_categories in routed.items():
        holders = [person for person in people if role in person.roles]
        if not holders or not any(person.reachable for person in holders):
            gaps.append(RoleGap(role, routed_categories, nobody=not holders))
    return gaps


def director_routing_gaps(user: StaffUser) -> list[RoleGap]:
    """The gaps of the units the user directs (their inbox warns them)."""
    unit_ids = sorted({m.unit_id for m in user.memberships if m.role == "director"})
    return [gap for unit_id in unit_ids for gap in routing_gaps(unit_id)]
