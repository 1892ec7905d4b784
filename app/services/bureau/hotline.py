"""12345 hotline tickets: CSV import (all or nothing) and the before/after comparison."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.database import write_transaction
from app.extensions import db
from app.models import Case, HotlineTicket, Park, Source, rollup_daily, rollup_monthly
from app.services.accounts.audit import record_audit
from app.services.bureau.analytics import next_month, period_bounds
from app.services.bureau.csv_import import (
    CsvImportError,
    ParkNames,
    RowError,
    date_problem,
    parse_date,
    parse_rows,
)
from app.services.bureau.rollups import REPORT_TZ
from app.services.cases.summaries import MAX_BODY
from app.services.errors import DomainError

log = logging.getLogger(__name__)

COLUMNS = ("ticket_id", "date", "park", "category", "text")
MAX_TEXT = MAX_BODY  # a ticket's text becomes a case's


def parse_tickets(text: str, parks: list[Park]) -> tuple[list[HotlineTicket], list[RowError]]:
    """Check every row; return the tickets and the errors (line numbers as in the file)."""
    names = ParkNames(parks)
    seen: dict[str, int] = {}

    def parse_row(line: int, values: dict[str, str], problems: list[str]) -> HotlineTicket | None:
        ticket_id = values["ticket_id"]
        if not ticket_id:
            problems.append(_("no ticket id"))
        elif len(ticket_id) > 64:
            problems.append(_("the ticket id is longer than 64 characters"))
        elif ticket_id in seen:
            problems.append(_("ticket %(id)s is also on line %(line)d", id=ticket_id,
                              line=seen[ticket_id]))
        day = parse_date(values["date"])
        if day is None:
            problems.append(date_problem(values["date"]))
        park = names.find(values["park"], problems)
        if not values["category"]:
            problems.append(_("no category"))
        elif len(values["category"]) > 60:
            problems.append(_("the category is longer than 60 characters"))
        if len(values["text"]) > MAX_TEXT:
            problems.append(_("the text is longer than %(max)d characters", max=MAX_TEXT))
        if problems or day is None or park is None:
            return None
        seen[ticket_id] = line
        return HotlineTicket(ticket_id=ticket_id, unit_id=park.unit_id, park_id=park.id, day=day,
                             category=values["category"], body=values["text"])

    return parse_rows(text, COLUMNS, parse_row, _("The file has no tickets."))


def _add_tickets(tickets: list[HotlineTicket], errors: list[RowError],
                 user_id: int | None) -> None:
    """Add the tickets if none was imported before and no row is bad; else raise."""
    with write_transaction() as session:
        if tickets:
            # ticket numbers are unique per unit (a unit's inbox may have taken one in)
            pairs = {(t.unit_id, t.ticket_id) for t in tickets}
            known = {ticket_id for unit_id, ticket_id in session.execute(
                select(HotlineTicket.unit_id, HotlineTicket.ticket_id).where(
                    HotlineTicket.ticket_id.in_([t.ticket_id for t in tickets])))
                if (unit_id, ticket_id) in pairs}
            lines = {t.ticket_id: i for i, t in enumerate(tickets)}
            errors += [RowError(0, _("ticket %(id)s was imported before", id=ticket_id))
                       for ticket_id in sorted(known, key=lambda tid: lines[tid])]
        if errors:
            raise CsvImportError(errors)
        session.add_all(tickets)
        record_audit("hotline.import", user_id=user_id, unit_id=None,
                     target_type="hotline_tickets", target_id=None,
                     after={"tickets": len(tickets)})


def import_hotline_tickets(text: str, parks: list[Park], *, user_id: int | None) -> int:
    """Import every ticket of a CSV text, or none if any row is bad; return the count."""
    tickets, errors = parse_tickets(text, parks)
    try:
        _add_tickets(tickets, errors, user_id)
    except IntegrityError:
        # PostgreSQL: another import added one of these tickets after this one's check
        raise DomainError(_("Another import added some of these tickets at the same moment; "
                            "nothing was imported. Import the file again.")) from None
    log.info("imported %d hotline tickets", len(tickets))
    return len(tickets)


IN_TIME_DEFINITION = _l(
    "Answered by the park itself: 12345 tickets of the month taken into the park's inbox as "
    "cases. Within the hotline's rules: of those, the ones whose first reply to the citizen "
    "came by the contact limit and that were resolved by the finishing limit (the ticket's "
    "own limits, else the unit's). Mailbox cases leave out the cases that came from 12345, "
    "so that no ticket counts twice.")


@dataclass
class BeforeAfter:
    """One park's hotline tickets and mailbox cases per month around its start."""

    park: Park
    started_on: date | None
    months: list[date]
    tickets: list[int]
    cases: list[int]  # mailbox cases, less the 12345 tickets taken in as cases
    # of the month's tickets, those the park took into its inbox and answered itself, and of
    # those the ones answered within the contact limit and resolved within the finishing limit
    answered: list[int] = field(default_factory=list)
    in_time: list[int] = field(default_factory=list)

    def mean(self, values: list[int], after: bool) -> float | None:
        if self.started_on is None:
            return None
        start = self.started_on.replace(day=1)
        chosen = [v for m, v in zip(self.months, values, strict=True)
                  if (m > start if after else m < start)]
        return sum(chosen) / len(chosen) if chosen else None


def mailbox_start(park: Park) -> date | None:
    """The day the park's mailbox started: as set, else the day of its first case."""
    if park.mailbox_started_on is not None:
        return park.mailbox_started_on
    first: date | None = db.session.scalar(
        select(func.min(rollup_daily.c.day)).where(rollup_daily.c.park_id == park.id))
    return first


def latest_month(park: Park) -> date | None:
    """The last month with a hotline ticket or a mailbox case of the park."""
    ticket: date | None = db.session.scalar(
        select(func.max(HotlineTicket.day)).where(HotlineTicket.park_id == park.id))
    case: date | None = db.session.scalar(
        select(func.max(rollup_monthly.c.month)).where(rollup_monthly.c.park_id == park.id,
                                                      rollup_monthly.c.cases > 0))
    known = [day.replace(day=1) for day in (ticket, case) if day is not None]
    return max(known) if known else None


def before_after(parks: list[Park], months_around: int = 6) -> list[BeforeAfter]:
    """Per park: hotline tickets and cases per month, from `months_around` months before
    the mailbox started to the latest month with data (tickets or cases)."""
    result = []
    for park in parks:
        started = mailbox_start(park)
        anchor = (started or date.today()).replace(day=1)
        first = anchor
        for _step in range(months_around):
            first = (first - timedelta(days=1)).replace(day=1)
        last = max(latest_month(park) or anchor, anchor)
        months = [first]
        while months[-1] < last:
            months.append(next_month(months[-1]))
        end = next_month(months[-1])
        tickets = dict.fromkeys(months, 0)
        for (day,) in db.session.execute(select(HotlineTicket.day).where(
                HotlineTicket.park_id == park.id, HotlineTicket.day >= first,
                HotlineTicket.day < end)):
            tickets[day.replace(day=1)] += 1
        cases = dict.fromkeys(months, 0)
        for month, count in db.session.execute(
                select(rollup_monthly.c.month, func.sum(rollup_monthly.c.cases))
                .where(rollup_monthly.c.park_id == park.id, rollup_monthly.c.month >= first,
                       rollup_monthly.c.month < end).group_by(rollup_monthly.c.month)):
            cases[month] += int(count)
        for month, count in _hotline_cases(park, first, end).items():
            if month in cases:
                cases[month] = max(0, cases[month] - count)
        answered, in_time = _answered(park, months, first, end)
        result.append(BeforeAfter(park=park, started_on=started, months=months,
                                  tickets=list(tickets.values()), cases=list(cases.values()),
                                  answered=answered, in_time=in_time))
    return result


def _hotline_cases(park: Park, first: date, end: date) -> dict[date, int]:
    """Per month (local, as the rollups count), the park's cases that came from 12345."""
    low, high = period_bounds(first, end)
    counts: dict[date, int] = defaultdict(int)
    for (created_at,) in db.session.execute(select(Case.created_at).where(
            Case.park_id == park.id, Case.source == Source.HOTLINE.value,
            Case.created_at >= low, Case.created_at < high)):
        counts[created_at.astimezone(REPORT_TZ).date().replace(day=1)] += 1
    return counts


def _answered(park: Park, months: list[date], first: date,
              end: date) -> tuple[list[int], list[int]]:
    """Per month of the tickets' day: the tickets that became cases of the park's inbox, and
    those of them closed within the hotline's rules (IN_TIME_DEFINITION)."""
    answered = dict.fromkeys(months, 0)
    in_time = dict.fromkeys(months, 0)
    for day, replied, resolved, respond_due, resolve_due in db.session.execute(
            select(HotlineTicket.day, Case.first_response_at, Case.resolved_at,
                   HotlineTicket.respond_due_at, HotlineTicket.resolve_due_at)
            .join(Case, Case.id == HotlineTicket.case_id)
            .where(HotlineTicket.park_id == park.id, HotlineTicket.day >= first,
                   HotlineTicket.day < end)):
        month = day.replace(day=1)
        answered[month] += 1
        if (replied is not None and resolved is not None and respond_due is not None
                and resolve_due is not None and replied <= respond_due
                and resolved <= resolve_due):
            in_time[month] += 1
    return list(answered.values()), list(in_time.values())

