"""Daily visits per park: CSV import (all or nothing; a day imported again is replaced)."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from app.database import write_transaction
from app.extensions import db
from app.models import Park, ParkVisits
from app.services.accounts.audit import record_audit
from app.services.bureau.csv_import import (
    CsvImportError,
    ParkNames,
    RowError,
    date_problem,
    parse_date,
    parse_rows,
)
from app.services.errors import DomainError

log = logging.getLogger(__name__)

COLUMNS = ("park", "date", "visits")
MAX_VISITS = 10_000_000  # a day's gate count; more is a typo
CHUNK = 500  # days per DELETE ... IN (...), well under SQLite's variable limit


@dataclass(frozen=True)
class DayVisits:
    park_id: int
    day: date
    visits: int


def _parse_count(text: str, problems: list[str]) -> int | None:
    digits = text.replace(",", "").replace(" ", "")  # Excel's "12,345"
    if not digits.isdigit() or not digits.isascii():
        problems.append(_("“%(value)s” is not a whole number of visits", value=text))
        return None
    count = int(digits)
    if count > MAX_VISITS:
        problems.append(_("%(n)d visits in one day is more than %(max)d", n=count,
                          max=MAX_VISITS))
        return None
    return count


def parse_visits(text: str, parks: list[Park]) -> tuple[list[DayVisits], list[RowError]]:
    """Check every row; return the days and the errors (line numbers as in the file)."""
    names = ParkNames(parks)
    seen: dict[tuple[int, date], int] = {}

    def parse_row(line: int, values: dict[str, str], problems: list[str]) -> DayVisits | None:
        park = names.find(values["park"], problems)
        day = parse_date(values["date"])
        if day is None:
            problems.append(date_problem(values["date"]))
        count = _parse_count(values["visits"], problems)
        if park is not None and day is not None and (park.id, day) in seen:
            problems.append(_("%(park)s on %(day)s is also on line %(line)d",
                              park=values["park"], day=day.isoformat(),
                              line=seen[(park.id, day)]))
        if problems or park is None or day is None or count is None:
            return None
        seen[(park.id, day)] = line
        return DayVisits(park.id, day, count)

    return parse_rows(text, COLUMNS, parse_row, _("The file has no visits."))


def _replace_days(days: list[DayVisits], by_park: dict[int, list[date]],
                  user_id: int | None) -> int:
    """Delete the stored days of the file and insert its rows; return how many were replaced."""
    with write_transaction() as session:
        replaced = 0
        for park_id, park_days in by_park.items():
            for first in range(0, len(park_days), CHUNK):
                result = session.execute(delete(ParkVisits).where(
                    ParkVisits.park_id == park_id,
                    ParkVisits.day.in_(park_days[first:first + CHUNK])))
                replaced += result.rowcount  # type: ignore[attr-defined]
        session.execute(insert(ParkVisits), [
            {"park_id": row.park_id, "day": row.day, "visits": row.visits} for row in days])
        record_audit("visits.import", user_id=user_id, unit_id=None, target_type="park_visits",
                     target_id=None, after={"days": len(days), "replaced": replaced,
                                            "parks": len(by_park)})
    return replaced


def import_park_visits(text: str, parks: list[Park], *, user_id: int | None) -> int:
    """Import every row of a CSV text, or none if any is bad; return the number of days.

    A park and day imported before gets the new count.
    """
    days, errors = parse_visits(text, parks)
    if errors:
        raise CsvImportError(errors)
    by_park: dict[int, list[date]] = defaultdict(list)
    for row in days:
        by_park[row.park_id].append(row.day)
    try:
        replaced = _replace_days(days, by_park, user_id)
    except IntegrityError:
        # PostgreSQL: another import added one of these days after this one's delete
        raise DomainError(_("Another import wrote some of these days at the same moment; "
                            "nothing was imported. Import the file again.")) from None
    log.info("imported %d days of park visits (%d replaced)", len(days), replaced)
    return len(days)


@dataclass(frozen=True)
class VisitsKnown:
    """What is known of one park's visits: how many days, from when to when, how many."""

    park: Park
    days: int
    first: date | None
    last: date | None
    visits: int


def visits_known(parks: list[Park]) -> list[VisitsKnown]:
    rows = {park_id: (days, first, last, total) for park_id, days, first, last, total in
            db.session.execute(
                select(ParkVisits.park_id, func.count(), func.min(ParkVisits.day),
                       func.max(ParkVisits.day), func.sum(ParkVisits.visits))
                .where(ParkVisits.park_id.in_([park.id for park in parks]))
                .group_by(ParkVisits.park_id))}
    result = []
    for park in parks:
        days, first, last, total = rows.get(park.id, (0, None, None, 0))
        result.append(VisitsKnown(park, int(days), first, last, int(total or 0)))
    return result
