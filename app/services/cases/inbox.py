"""The staff inbox: which cases a user sees, filtered, with theirs sorted first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, false, func, or_, select

from app.extensions import db
from app.ids import parse_id
from app.models import OPEN_STATUSES, Case, CaseChannel, Category, Park, StaffUser, Status
from app.services.cases.deadlines import overdue_condition
from app.services.cases.workflow import INTAKE_CHANNELS, intake_channel

FILTERS = ("all", "mine", "new", "overdue", "unanswered")
OPEN_VALUES = [s.value for s in OPEN_STATUSES]


@dataclass(frozen=True)
class InboxFilter:
    show: str = "all"
    park_id: int | None = None
    category_id: int | None = None
    channel: str | None = None  # a key of INTAKE_CHANNELS

    @classmethod
    def from_args(cls, args: Any) -> InboxFilter:
        show = args.get("show", "all")
        return cls(show=show if show in FILTERS else "all",
                   park_id=args.get("park", type=parse_id),
                   category_id=args.get("category", type=parse_id),
                   channel=channel if (channel := args.get("channel")) in INTAKE_CHANNELS
                   else None)


def yours_condition(user: StaffUser) -> ColumnElement[bool]:
    """Cases the user holds, or whose responsible role is one of the user's in that unit."""
    by_role = [
        and_(Case.unit_id == unit_id, Case.responsible_role.in_(user.roles_in(unit_id)))
        for unit_id in sorted(user.unit_ids)
    ]
    return or_(Case.assignee_id == user.id, *by_role) if by_role else false()


def unanswered_condition() -> ColumnElement[bool]:
    """Cases with no public reply yet, open or closed (spam is never answered, and a
    patrol's own finding is answered by its fix)."""
    return and_(Case.first_response_at.is_(None), Case.status != Status.SPAM.value,
                or_(Case.channel.is_(None), Case.channel != CaseChannel.PATROL.value))


def urgent_open_condition() -> ColumnElement[bool]:
    """Open urgent cases (their category's, raised by their words, or set by staff): safety
    first, they head every list."""
    return and_(Case.urgent.is_(True), Case.status.in_(OPEN_VALUES))


def inbox_query(user: StaffUser, selected: InboxFilter, now: datetime) -> Any:
    """Open urgent cases first, then the user's open ones, then everything; newest first."""
    yours_and_open = and_(yours_condition(user), Case.status.in_(OPEN_VALUES))
    query = select(Case).where(Case.unit_id.in_(user.unit_ids))
    if selected.show == "mine":
        query = query.where(yours_and_open)
    elif selected.show == "new":
        query = query.where(Case.status == Status.NEW.value)
    elif selected.show == "overdue":
        query = query.where(overdue_condition(now))
    elif selected.show == "unanswered":
        query = query.where(unanswered_condition())
    if selected.park_id is not None:
        query = query.where(Case.park_id == selected.park_id)
    if selected.category_id is not None:
        query = query.where(Case.category_id == selected.category_id)
    if selected.channel is not None:
        query = query.where(intake_channel() == selected.channel)
    return query.order_by(
        case((urgent_open_condition(), 0), else_=1),
        case((yours_and_open, 0), else_=1),
        Case.created_at.desc(),
        Case.id.desc(),
    )


def count_open(user: StaffUser) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Case).where(
            Case.unit_id.in_(user.unit_ids), Case.status.in_(OPEN_VALUES))
    ) or 0


def count_unanswered(user: StaffUser) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Case).where(
            Case.unit_id.in_(user.unit_ids), unanswered_condition())
    ) or 0


def is_yours(user: StaffUser, case_: Case) -> bool:
    return case_.assignee_id == user.id or (
        case_.is_open and (case_.responsible_role or "") in user.roles_in(case_.unit_id))


def filter_choices(user: StaffUser) -> tuple[list[Park], list[Category]]:
    """The parks and categories of the user's units, for the filter menus."""
    unit_ids = user.unit_ids
    parks = db.session.scalars(
        select(Park).where(Park.unit_id.in_(unit_ids)).order_by(Park.unit_id, Park.id)).all()
    categories = db.session.scalars(
        select(Category).where(Category.unit_id.in_(unit_ids))
        .order_by(Category.unit_id, Category.sort_order, Category.id)).all()
    return list(parks), list(categories)
