"""Exports of cases for the bureau: CSV and XLSX, never with the visitor's contact."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from sqlalchemy import select

from app.extensions import db
from app.i18n import current_language
from app.models import Case, Category, Park, Spot
from app.models.org import local_name
from app.models.types import utcnow
from app.services.bureau.analytics import (
    Comparison,
    answered_within_limit,
    counts_as_resolved,
    counts_as_satisfied,
    period_bounds,
)
from app.services.bureau.rollups import REPORT_TZ
from app.services.cases.workflow import INTAKE_CHANNELS, SOURCE_LABELS, STATUS_LABELS

log = logging.getLogger(__name__)

# (column, header); the contact is deliberately absent, whoever exports
EXPORT_COLUMNS = (
    ("reference", _l("Reference")),
    ("park", _l("Park")),
    ("spot", _l("Spot")),
    ("category", _l("Category")),
    ("status", _l("Status")),
    ("source", _l("Source")),
    ("created_at", _l("Created")),
    ("first_response_at", _l("First response")),
    ("reply_due_at", _l("Reply due")),
    ("within_limit", _l("Answered within the limit (response rate)")),
    ("resolved_at", _l("Resolved")),
    ("closed_at", _l("Closed")),
    ("satisfaction", _l("Satisfaction")),
    ("resolved_counted", _l("Resolved (resolution rate)")),
    ("satisfied", _l("Satisfied (satisfaction rate)")),
    ("reopen_count", _l("Reopened")),
    ("me_too_count", _l("Me too")),
    ("text", _l("Text")),
)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_MAX_ROWS = 200_000
BATCH = 5_000


DATE_FORMAT = "%Y-%m-%d %H:%M"  # CSV text; XLSX cells hold the date itself (XLSX_DATE_FORMAT)
XLSX_DATE_FORMAT = "yyyy-mm-dd hh:mm"


def _local(moment: datetime | None) -> datetime | None:
    """The moment in the city's time, without a zone (a spreadsheet's dates have none)."""
    return None if moment is None else moment.astimezone(REPORT_TZ).replace(tzinfo=None)


def _label(labels: Mapping[Any, Any], code: str) -> str:
    """A code as the reader's language names it (the code itself if it has no label)."""
    label = labels.get(code)
    return code if label is None else str(label)


def case_rows(parks: Sequence[Park], start: date, end: date) -> Iterator[list[Any]]:
    """The cases of these parks created in [start, end) (city calendar), as export rows."""
    low, high = period_bounds(start, end)
    now = utcnow()
    language = current_language()
    park_names = {park.id: park.name(language) for park in parks}
    categories = {c.id: local_name(c.name_zh, c.name_en, language)
                  for c in db.session.scalars(select(Category))}
    f = Case
    query = (
        select(f.reference, f.park_id, Spot.name_zh, Spot.name_en, f.category_id, f.status,
               f.source,
               f.created_at, f.first_response_at, f.reply_due_at, f.resolved_at, f.closed_at,
               f.satisfaction, f.reopen_count, f.me_too_count, f.body)
        .outerjoin(Spot, Spot.id == f.spot_id)
        .where(f.park_id.in_(list(park_names)), f.created_at >= low, f.created_at < high)
        .order_by(f.created_at, f.id)
        .execution_options(yield_per=BATCH)
    )
    for (reference, park_id, spot_zh, spot_en, category_id, status, source, created, responded,
         due, resolved, closed, satisfaction, reopened, me_too, body) in db.session.execute(
            query):
        spot = local_name(spot_zh, spot_en or "", language) if spot_zh else ""
        yield [reference, park_names[park_id], spot, categories.get(category_id, ""),
               _label(STATUS_LABELS, status), _label(SOURCE_LABELS, source), _local(created),
               _local(responded), _local(due),
               _yes_no(answered_within_limit(responded, due, now, status)),
               _local(resolved), _local(closed), satisfaction if satisfaction else "",
               _yes_no(counts_as_resolved(status, resolved)),
               _yes_no(counts_as_satisfied(satisfaction)), reopened, me_too, body]


def _yes_no(part: bool | None) -> str:
    """A case's part in a rate: yes, no, or blank when it does not count."""
    return "" if part is None else str(_l("yes") if part else _l("no"))


# the league table as exported (XLSX summary sheet, parks CSV): (header, value of a row)
SUMMARY_COLUMNS = (
    _l("Rank"), _l("Park"), _l("Score"), _l("Response rate"), _l("Resolution rate"),
    _l("Satisfaction rate"), _l("Cases"), _l("Reports"), _l("Counted for the response rate"),
    _l("Rated"), _l("Sent elsewhere (转办)"),
)


def summary_rows(comparison: Comparison) -> Iterator[list[Any]]:
    """One row per park in the league table's order (its rank, from `rank_parks`); rates
    as fractions (0..1), blank when nothing counts."""
    # then the cases by where they came in (they add up to Cases), then by seasonal zone
    language = current_language()
    yield [str(header) for header in SUMMARY_COLUMNS] + [
        str(_l("Cases: %(channel)s", channel=label)) for label in INTAKE_CHANNELS.values()] + [
        str(_l("Cases: zone %(zone)s", zone=en if language == "en" and en else zh))
        for _code, zh, en in comparison.zones]
    for row in comparison.rows:
        figures = row.figures
        yield [row.rank if row.rank is not None else "", row.park.name(language),
               _blank(None if row.score is None else round(row.score, 1)),
               _blank(figures.response_rate), _blank(figures.resolution_rate),
               _blank(figures.satisfaction_rate), figures.cases, figures.reports,
               figures.response_counted, figures.rated, row.transferred] + [
            row.by_channel.get(code, 0) for code in INTAKE_CHANNELS] + [
            row.by_zone.get(code, 0) for code, _zh, _en in comparison.zones]


def _blank(value: float | None) -> float | str:
    return "" if value is None else value


def export_summary_csv(comparison: Comparison) -> str:
    """The league table as CSV (the parks, their rank and rates)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in summary_rows(comparison):
        writer.writerow([neutralised(value) for value in row])
    return buffer.getvalue()


# OWASP, CSV injection: a cell starting with one of these is a formula to a spreadsheet
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as text: one starting like a formula gets a leading
    single quote (OWASP's advice; the csv module quotes the cell when needed)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(DATE_FORMAT)
    return neutralised(value)


def text_cells(sheet: Any, row: Sequence[Any]) -> list[Any]:
    """XLSX cells: a string that starts like a formula is a text cell (openpyxl would make
    one starting with = a formula), with a quote prefix so that editing it in Excel does not
    turn it into one either. Other strings are text cells already."""
    cells = []
    for value in row:
        if isinstance(value, datetime):  # a date cell, shown as the CSV shows it
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = XLSX_DATE_FORMAT
            cells.append(cell)
        elif isinstance(value, str) and value.startswith(FORMULA_STARTS):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            cell.quotePrefix = True
            cells.append(cell)
        else:
            cells.append(value)
    return cells


def headers() -> list[str]:
    return [str(header) for _name, header in EXPORT_COLUMNS]


def export_csv(parks: Sequence[Park], start: date, end: date) -> Iterator[str]:
    """CSV text in pieces (UTF-8 with a BOM when encoded, so that Excel reads Chinese)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers())
    count = 0
    for row in case_rows(parks, start, end):
        writer.writerow([csv_text(value) for value in row])
        count += 1
        if count % 1000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
    log.info("exported %d cases as CSV", count)


RATE_COLUMNS = (3, 4, 5)  # response, resolution, satisfaction: shown as percentages


def _summary_sheet(workbook: Workbook, comparison: Comparison) -> None:
    sheet = workbook.create_sheet(str(_l("Summary")))
    for number, row in enumerate(summary_rows(comparison)):
        cells = text_cells(sheet, row)
        if number:
            for index in RATE_COLUMNS:
                if row[index] != "":
                    cell = WriteOnlyCell(sheet, value=row[index])
                    cell.number_format = "0.0%"
                    cells[index] = cell
        sheet.append(cells)


def export_xlsx(parks: Sequence[Park], start: date, end: date,
                comparison: Comparison) -> bytes:
    """An XLSX workbook: the league table of `comparison` (a summary sheet first), then the
    cases (at most XLSX_MAX_ROWS; a last row says if cut)."""
    workbook = Workbook(write_only=True)
    _summary_sheet(workbook, comparison)
    sheet = workbook.create_sheet(f"{start.isoformat()}")
    sheet.append(headers())
    count = 0
    for row in case_rows(parks, start, end):
        if count == XLSX_MAX_ROWS:
            sheet.append([str(_l("More cases than fit: export CSV for all of them."))])
            break
        sheet.append(text_cells(sheet, row))
        count += 1
    output = io.BytesIO()
    workbook.save(output)
    log.info("exported %d cases as XLSX", count)
    return output.getvalue()


def table_xlsx(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A one-sheet workbook: the header, then the rows (dates as date cells, formula-like
    text as text)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.append(list(header))
    for row in rows:
        sheet.append(text_cells(sheet, row))
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
