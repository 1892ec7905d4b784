"""Deadlines of a case, counted in the unit's working hours (urgent: around the clock)."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, or_

from app.models import OPEN_STATUSES, Case, Category, Unit

log = logging.getLogger(__name__)

# a deadline further away than this many calendar days is a configuration error; stop there
MAX_SEARCH_DAYS = 3660


def _clock(value: str, fallback: time) -> time:
    try:
        hours, minutes = value.split(":")
        return time(int(hours), int(minutes))
    except (ValueError, AttributeError):
        return fallback


def working_window(unit: Unit) -> tuple[time, time, set[int]] | None:
    """(start, end, ISO weekdays) of the unit's working hours; None means around the clock."""
    start = _clock(unit.work_start, time(8, 0))
    end = _clock(unit.work_end, time(18, 0))
    days = {int(d) for d in (unit.work_days or "") if d in "1234567"}
    if start >= end or not days:
        return None
    return start, end, days


def add_working_time(unit: Unit, start: datetime, duration: timedelta) -> datetime:
    """The moment `duration` of the unit's working time has passed after `start` (UTC)."""
    window = working_window(unit)
    if window is None:
        return start + duration
    open_at, close_at, days = window
    zone = ZoneInfo(unit.timezone)
    moment = start.astimezone(zone)
    remaining = duration
    day: date = moment.date()
    for _ in range(MAX_SEARCH_DAYS):
        if day.isoweekday() in days:
            day_open = datetime.combine(day, open_at, tzinfo=zone)
            day_close = datetime.combine(day, close_at, tzinfo=zone)
            begin = max(moment, day_open)
            if begin < day_close:
                available = day_close - begin
                if remaining <= available:
                    return (begin + remaining).astimezone(UTC)
                remaining -= available
        day += timedelta(days=1)
        moment = datetime.combine(day, time(0, 0), tzinfo=zone)
    log.warning("no deadline within %d days for unit %s", MAX_SEARCH_DAYS, unit.id)
    return start + duration


def workday_length(unit: Unit) -> timedelta:
    window = working_window(unit)
    if window is None:
        return timedelta(days=1)
    open_at, close_at, _days = window
    return datetime.combine(date.min, close_at) - datetime.combine(date.min, open_at)


def set_deadlines(case: Case, unit: Unit, category: Category, now: datetime) -> None:
    """Fill in the case's claim, first-reply and resolve deadlines from its category's limits,
    counted from `now`: around the clock for an urgent case (its category's urgency, a danger
    its words name, or staff's), else in the unit's working hours."""
    if case.urgent:
        def due(duration: timedelta) -> datetime:
            return now + duration
        day = timedelta(days=1)
    else:
        def due(duration: timedelta) -> datetime:
            return add_working_time(unit, now, duration)
        day = workday_length(unit)
    case.claim_due_at = due(timedelta(minutes=category.claim_minutes))
    case.reply_due_at = due(timedelta(hours=category.first_reply_hours))
    case.resolve_due_at = due(day * category.resolve_days)


def follow_urgency(case: Case, now: datetime) -> None:
    """Staff raised or lowered the case's urgency: a raised case's limits count around the
    clock from now (never later than they were), a lowered one's in working hours from its
    arrival (never earlier than they were). A limit the case does not have stays absent."""
    before = (case.claim_due_at, case.reply_due_at, case.resolve_due_at)
    set_deadlines(case, case.unit, case.category, now if case.urgent else case.created_at)
    pick = min if case.urgent else max
    after = (case.claim_due_at, case.reply_due_at, case.resolve_due_at)
    case.claim_due_at, case.reply_due_at, case.resolve_due_at = (
        None if old is None or new is None else pick(old, new)
        for old, new in zip(before, after, strict=True))


def next_deadline(case: Case) -> tuple[str, datetime] | None:
    """The next limit the case must meet ("claim", "reply", "resolve"), or None if closed."""
    if not case.is_open:
        return None
    if case.claimed_at is None and case.claim_due_at is not None:
        return "claim", case.claim_due_at
    if case.first_response_at is None and case.reply_due_at is not None:
        return "reply", case.reply_due_at
    if case.resolve_due_at is not None:
        return "resolve", case.resolve_due_at
    return None


def overdue_condition(now: datetime) -> ColumnElement[bool]:
    """SQL condition: an open case past any limit it has not met yet."""
    return and_(
        Case.status.in_([s.value for s in OPEN_STATUSES]),
        or_(
            and_(Case.claimed_at.is_(None), Case.claim_due_at <= now),
            and_(Case.first_response_at.is_(None), Case.reply_due_at <= now),
            Case.resolve_due_at <= now,
        ),
    )


def deadline_state(case: Case, now: datetime) -> tuple[str, int, bool] | None:
    """(which limit, minutes left or past, overdue?) of the case's next limit, for display."""
    upcoming = next_deadline(case)
    if upcoming is None:
        return None
    which, due_at = upcoming
    seconds = (due_at - now).total_seconds()
    return which, int(abs(seconds) // 60), seconds < 0
