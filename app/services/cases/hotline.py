"""12345 tickets into a unit's inbox: the hotline platform's export (CSV in UTF-8 or
GB18030, or XLSX) becomes cases with source "hotline" and the hotline's own time limits; a
ticket whose address names no spot waits for a person to place it; the 回单 (the answer
sent back to the hotline platform) is exported in the platform's columns.

A ticket number is one case per unit: a file taken in twice adds nothing the second time."""

from __future__ import annotations

import csv
import io
import logging
import zipfile
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.database import write_transaction
from app.extensions import db
from app.models import (
    Case,
    Category,
    HotlineTicket,
    ReplyContact,
    ReplyResult,
    Spot,
    StaffUser,
    Unit,
)
from app.services.accounts.audit import record_audit
from app.services.bureau.csv_import import CsvImportError, decode_upload, parse_rows
from app.services.cases.open311 import active_spots, match_address
from app.services.cases.operations import require_acting
from app.services.cases.submission import submit_case
from app.services.cases.summaries import MAX_BODY
from app.services.errors import DomainError, NotFoundError

log = logging.getLogger(__name__)

COLUMNS = ("ticket_id", "received_at", "address", "category", "text", "contact",
           "respond_by", "resolve_by")
REQUIRED = ("ticket_id", "received_at", "text")
# the hotline platform's Chinese headers (and a few spellings seen in exports)
HEADER_NAMES = {
    "工单编号": "ticket_id", "工单号": "ticket_id", "编号": "ticket_id",
    "受理时间": "received_at", "来电时间": "received_at", "派单时间": "received_at",
    "地址": "address", "诉求地址": "address", "事发地址": "address",
    "诉求类别": "category", "问题分类": "category", "类别": "category",
    "诉求内容": "text", "内容": "text", "来电内容": "text",
    "联系电话": "contact", "来电号码": "contact", "联系方式": "contact",
    "联系时限": "respond_by", "响应时限": "respond_by",
    "办结时限": "resolve_by", "处理时限": "resolve_by",
}
# the platform's name of each column, for messages about a row
HEADER_OF = {"ticket_id": "工单编号", "received_at": "受理时间", "address": "地址",
             "category": "诉求类别", "text": "诉求内容", "contact": "联系电话",
             "respond_by": "联系时限", "resolve_by": "办结时限"}
TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
                "%Y-%m-%d", "%Y/%m/%d")
MAX_FILE_ROWS = 5000
XLSX_MAGIC = b"PK\x03\x04"

CONTACT_LABELS = {
    ReplyContact.CONTACTED.value: _l("contacted the citizen"),
    ReplyContact.UNREACHABLE.value: _l("could not reach the citizen"),
    ReplyContact.NOT_NEEDED.value: _l("no contact needed"),
}
RESULT_LABELS = {
    ReplyResult.RESOLVED.value: _l("resolved"),
    ReplyResult.EXPLAINED.value: _l("explained"),
    ReplyResult.UNRESOLVED.value: _l("not resolved"),
}
# the hotline platform's 回单 columns, in its order and words (the file goes back to it)
REPLY_COLUMNS = ("工单编号", "承办单位", "联系情况", "办理结果", "答复内容", "答复时间", "办结时间")
REPLY_WORDS = {
    ReplyContact.CONTACTED.value: "已联系", ReplyContact.UNREACHABLE.value: "联系不上",
    ReplyContact.NOT_NEEDED.value: "无需联系", ReplyResult.RESOLVED.value: "已解决",
    ReplyResult.EXPLAINED.value: "已解释说明", ReplyResult.UNRESOLVED.value: "未解决",
}


@dataclass(frozen=True)
class TicketRow:
    """One checked row of the hotline's export; times in UTC."""

    ticket_id: str
    received_at: datetime
    address: str
    category: str
    text: str
    contact: str
    respond_by: datetime | None
    resolve_by: datetime | None


@dataclass
class Intake:
    """What a file did: new cases, tickets waiting for a place, tickets already known."""

    cases: int = 0
    waiting: int = 0
    known: int = 0


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a ticket number Excel stored as a number
    return str(value)


def _xlsx_rows(data: bytes) -> list[list[str]]:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise DomainError(_("The file is not a readable XLSX workbook.")) from None
    sheet = book.worksheets[0]
    rows = []
    for row in sheet.iter_rows(values_only=True):
        rows.append([_cell_text(value) for value in row])
        if len(rows) > MAX_FILE_ROWS + 1:
            break
    book.close()
    return rows


def _csv_rows(data: bytes) -> list[list[str]]:
    text = decode_upload(data)
    if "\x00" in text:
        raise DomainError(_("The file contains NUL characters: save it as CSV text."))
    try:
        return list(csv.reader(io.StringIO(text)))
    except csv.Error:
        raise DomainError(_("The file is not readable as CSV (a field over 128 KB or an open "
                            "quote).")) from None


def table_text(data: bytes) -> str:
    """The upload (CSV or XLSX, told apart by content) as CSV text with our column names."""
    rows = _xlsx_rows(data) if data.startswith(XLSX_MAGIC) else _csv_rows(data)
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise DomainError(_("The file has no tickets."))
    if len(rows) > MAX_FILE_ROWS + 1:
        raise DomainError(_("A file holds at most %(max)d tickets; split it.", max=MAX_FILE_ROWS))
    header = [HEADER_NAMES.get(name.strip(), name.strip()) for name in rows[0]]
    missing = [name for name in COLUMNS if name not in header]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header + missing)  # optional columns a file leaves out are empty
    for row in rows[1:]:
        writer.writerow(row + [""] * (len(header) - len(row)) + [""] * len(missing))
    return out.getvalue()


def _local_time(text: str, zone: ZoneInfo) -> datetime | None:
    for pattern in TIME_FORMATS:
        try:
            moment = datetime.strptime(text.strip(), pattern)  # noqa: DTZ007 - the unit's time
        except ValueError:
            continue
        return moment.replace(tzinfo=zone).astimezone(UTC)
    return None


def check_row(values: dict[str, str], zone: ZoneInfo, problems: list[str]) -> TicketRow | None:
    """One ticket's fields (the COLUMNS, stripped text) checked; None with the problems."""
    for name in REQUIRED:
        if not values.get(name):
            problems.append(_("no %(column)s", column=HEADER_OF[name]))
    values = {name: values.get(name, "") for name in COLUMNS}
    if len(values["ticket_id"]) > 64:
        problems.append(_("the ticket id is longer than 64 characters"))
    times: dict[str, datetime | None] = {}
    for name in ("received_at", "respond_by", "resolve_by"):
        times[name] = _local_time(values[name], zone) if values[name] else None
        if values[name] and times[name] is None:
            problems.append(_("“%(value)s” is not a time (YYYY-MM-DD HH:MM)",
                              value=values[name]))
    if len(values["text"]) > MAX_BODY:
        problems.append(_("the text is longer than %(max)d characters", max=MAX_BODY))
    for name, limit in (("address", 200), ("category", 60), ("contact", 120)):
        if len(values[name]) > limit:
            problems.append(_("the %(column)s is longer than %(max)d characters",
                              column=HEADER_OF[name], max=limit))
    if any(ord(char) < 32 and char not in "\n\r\t" for text in values.values()
           for char in text):
        problems.append(_("control characters in a field"))
    received = times["received_at"]
    if problems or received is None:
        return None
    return TicketRow(ticket_id=values["ticket_id"], received_at=received,
                     address=values["address"], category=values["category"],
                     text=values["text"], contact=values["contact"],
                     respond_by=times["respond_by"], resolve_by=times["resolve_by"])


def parse_tickets(data: bytes, unit: Unit) -> list[TicketRow]:
    """Every row checked; all good, or CsvImportError listing every bad row (nothing taken)."""
    zone = ZoneInfo(unit.timezone)
    seen: dict[str, int] = {}

    def parse_row(line: int, values: dict[str, str], problems: list[str]) -> TicketRow | None:
        ticket_id = values["ticket_id"]
        if ticket_id in seen:
            problems.append(_("ticket %(id)s is also on line %(line)d", id=ticket_id,
                              line=seen[ticket_id]))
        row = check_row(values, zone, problems)
        if row is not None and not problems:
            seen[ticket_id] = line
        return row

    rows, errors = parse_rows(table_text(data), COLUMNS, parse_row, _("The file has no tickets."))
    if errors:
        raise CsvImportError(errors)
    return rows


def place_of(unit: Unit, address: str) -> Spot | None:
    """The one spot the address names (a park's only spot, or a spot's name), else None."""
    if not address.strip():
        return None
    try:
        return match_address(unit, active_spots(unit), address, None)
    except DomainError:
        return None


def category_of(unit: Unit, name: str) -> Category:
    """The unit's category the hotline's category names, else "other" (staff refile it)."""
    active = [c for c in unit.categories if c.active]
    wanted = name.strip().casefold()
    for category in active:
        if wanted and wanted in {category.code.casefold(), category.name_zh.casefold(),
                                 category.name_en.casefold()}:
            return category
    fallback = next((c for c in active if c.code == "other"), None) or (active[-1] if active
                                                                       else None)
    if fallback is None:
        raise DomainError(_("The unit has no categories to file tickets under."))
    return fallback


def _limits(unit: Unit, row: TicketRow) -> tuple[datetime, datetime]:
    """The hotline's time limits: as the ticket says, else the unit's (Beijing's defaults:
    contact within 24 hours, finish within 7 days)."""
    respond = row.respond_by or row.received_at + timedelta(hours=unit.hotline_respond_hours)
    resolve = row.resolve_by or row.received_at + timedelta(days=unit.hotline_resolve_days)
    return respond, resolve


def _new_ticket(unit: Unit, row: TicketRow) -> HotlineTicket:
    respond, resolve = _limits(unit, row)
    local_day = row.received_at.astimezone(ZoneInfo(unit.timezone)).date()
    return HotlineTicket(
        ticket_id=row.ticket_id, unit_id=unit.id, day=local_day, category=row.category,
        body=row.text, address=row.address or None, contact=row.contact or None,
        received_at=row.received_at, respond_due_at=respond, resolve_due_at=resolve)


def _open_case(ticket: HotlineTicket, spot: Spot, category: Category) -> None:
    """The ticket becomes a case at the spot (its own transaction, with the ticket)."""
    submit_case(spot_id=spot.id, category_code=category.code, body=ticket.body or ticket.category,
                language="zh_CN", hotline_ticket=ticket)


def take_in_tickets(data: bytes, *, user: StaffUser, unit_id: int) -> Intake:
    """Take a hotline export into the unit's inbox: every row checked first (all or
    nothing), then each new ticket becomes a case, or waits for a place; known tickets are
    counted, never added twice."""
    require_acting(user, unit_id)
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise NotFoundError(_("No such unit."))
    return take_in_rows(parse_tickets(data, unit), unit, user_id=user.id, via="upload")


def take_in_rows(rows: Sequence[TicketRow], unit: Unit, *, user_id: int | None,
                 via: str) -> Intake:
    """Checked tickets into the unit's inbox (an upload, the API or an e-mail: `via`)."""
    known = {ticket_id: ticket for ticket_id, ticket in db.session.execute(
        select(HotlineTicket.ticket_id, HotlineTicket).where(
            HotlineTicket.unit_id == unit.id,
            HotlineTicket.ticket_id.in_([row.ticket_id for row in rows])))}
    intake = Intake()
    for row in rows:
        existing = known.get(row.ticket_id)
        if existing is not None and (existing.case_id is not None or existing.needs_place):
            intake.known += 1
            continue
        ticket = _new_ticket(unit, row)
        if existing is not None:  # the bureau imported it as a figure: it becomes the case
            for name in ("body", "address", "contact", "received_at", "respond_due_at",
                         "resolve_due_at", "category"):
                setattr(existing, name, getattr(ticket, name))
            ticket = existing
        spot = place_of(unit, row.address)
        try:
            if spot is None:
                _wait_for_place(ticket, unit)
                intake.waiting += 1
            else:
                _open_case(ticket, spot, category_of(unit, row.category))
                intake.cases += 1
        except IntegrityError:  # another intake took this ticket in at the same moment
            db.session.rollback()
            intake.known += 1
    with write_transaction():
        record_audit("hotline.intake", user_id=user_id, unit_id=unit.id,
                     target_type="hotline_tickets", target_id=None,
                     after={"cases": intake.cases, "waiting": intake.waiting,
                            "known": intake.known, "via": via})
    log.info("hotline intake for unit %s via %s: %s", unit.id, via, intake)
    return intake


def _field_text(value: object, zone: ZoneInfo) -> str:
    if isinstance(value, datetime):  # an instant with an offset, else the unit's local time
        local = value.astimezone(zone) if value.tzinfo else value
        return local.strftime("%Y-%m-%d %H:%M:%S")
    return "" if value is None else str(value).strip()


def take_in_ticket(fields: dict[str, object], *, unit_id: int, user_id: int | None,
                   via: str) -> dict[str, object]:
    """One ticket (from the JSON API or an e-mail) into the unit's inbox, checked as a row of
    a file is; what became of it. The caller has checked who may send it."""
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise NotFoundError(_("No such unit."))
    zone = ZoneInfo(unit.timezone)
    problems: list[str] = []
    row = check_row({name: _field_text(fields.get(name), zone) for name in COLUMNS}, zone,
                    problems)
    if row is None or problems:
        raise DomainError("; ".join(problems))
    intake = take_in_rows([row], unit, user_id=user_id, via=via)
    ticket = db.session.scalar(select(HotlineTicket).where(
        HotlineTicket.unit_id == unit.id, HotlineTicket.ticket_id == row.ticket_id))
    if ticket is None:  # take_in_rows stores every ticket it is given
        raise DomainError(_("The ticket could not become a case."))
    case = db.session.get(Case, ticket.case_id) if ticket.case_id is not None else None
    return {"ticket_id": ticket.ticket_id, "unit_id": unit.id, "taken_in": intake.known == 0,
            "needs_place": ticket.needs_place, "case_id": ticket.case_id,
            "reference": case.reference if case is not None else None}


def _wait_for_place(ticket: HotlineTicket, unit: Unit) -> None:
    with write_transaction() as session:
        ticket.needs_place = True
        ticket.park_id = None
        session.add(ticket)
    log.info("hotline ticket %s of unit %s needs a place", ticket.ticket_id, unit.id)


def waiting_tickets(unit_ids: Collection[int]) -> list[HotlineTicket]:
    """Tickets that wait for a person to place them, oldest first."""
    return list(db.session.scalars(
        select(HotlineTicket).where(HotlineTicket.unit_id.in_(unit_ids),
                                    HotlineTicket.needs_place)
        .order_by(HotlineTicket.received_at, HotlineTicket.id)))


def place_ticket(*, user: StaffUser, ticket_pk: int, spot_code: str) -> int:
    """A person places a waiting ticket at a spot of its unit: it becomes a case; its id."""
    ticket = db.session.get(HotlineTicket, ticket_pk)
    if ticket is None or ticket.unit_id not in user.unit_ids or not ticket.needs_place:
        raise NotFoundError(_("No such ticket waits for a place."))
    require_acting(user, ticket.unit_id)
    spot = db.session.scalar(select(Spot).where(Spot.code == (spot_code or "").strip()))
    unit = db.session.get(Unit, ticket.unit_id)
    if spot is None or not spot.active or unit is None or spot.park.unit_id != unit.id:
        raise DomainError(_("Please choose a spot of this unit."))
    _open_case(ticket, spot, category_of(unit, ticket.category))
    with write_transaction():
        record_audit("hotline.placed", user_id=user.id, unit_id=unit.id,
                     target_type="hotline_ticket", target_id=ticket.id,
                     after={"spot": spot.code, "case_id": ticket.case_id})
    if ticket.case_id is None:  # submit_case sets it, in the same transaction
        raise DomainError(_("The ticket could not become a case."))
    return ticket.case_id


def ticket_of(case_id: int) -> HotlineTicket | None:
    return db.session.scalar(select(HotlineTicket).where(HotlineTicket.case_id == case_id))


def hotline_cases(unit_ids: Collection[int], limit: int = 50) -> list[HotlineTicket]:
    """The latest tickets that are cases, newest first."""
    return list(db.session.scalars(
        select(HotlineTicket).where(HotlineTicket.unit_id.in_(unit_ids),
                                    HotlineTicket.case_id.is_not(None))
        .order_by(HotlineTicket.received_at.desc(), HotlineTicket.id.desc()).limit(limit)))


def day_window(first: date, last: date, zone: str) -> tuple[datetime, datetime]:
    """From the start of `first` to the end of `last`, local days, as UTC instants."""
    if last < first:
        raise DomainError(_("The end date is before the start date."))
    tz = ZoneInfo(zone)
    start = datetime.combine(first, datetime.min.time(), tz).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), tz).astimezone(UTC)
    return start, end


def reply_rows(unit_ids: Collection[int], start: datetime, end: datetime,
               zone: str) -> list[list[object]]:
    """The 回单 of the tickets answered in [start, end): one row per ticket in the hotline
    platform's columns (REPLY_COLUMNS); times in the unit's local time."""
    tz = ZoneInfo(zone)
    rows: list[list[object]] = []
    query = (select(HotlineTicket, Unit, Case)
             .join(Unit, Unit.id == HotlineTicket.unit_id)
             .join(Case, Case.id == HotlineTicket.case_id)
             .where(HotlineTicket.unit_id.in_(unit_ids), HotlineTicket.replied_at >= start,
                    HotlineTicket.replied_at < end)
             .order_by(HotlineTicket.replied_at, HotlineTicket.id))
    for ticket, unit, case in db.session.execute(query):
        replied = ticket.replied_at.astimezone(tz).replace(tzinfo=None) if ticket.replied_at \
            else None
        resolved = case.resolved_at.astimezone(tz).replace(tzinfo=None) if case.resolved_at \
            else None
        rows.append([ticket.ticket_id, unit.name_zh, REPLY_WORDS.get(ticket.reply_contact or "",
                                                                     ""),
                     REPLY_WORDS.get(ticket.reply_result or "", ""), ticket.reply_text or "",
                     replied, resolved])
    return rows
