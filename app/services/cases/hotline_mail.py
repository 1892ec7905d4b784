"""12345 tickets by e-mail: the job `hotline.mail` reads the mailbox the hotline's e-mails
are forwarded to (IMAP, the HOTLINE_IMAP_* settings) and takes each unread message's
tickets into the unit's inbox, as an upload of the export would.

A message brings its tickets as attached exports (CSV or XLSX, the platform's columns) or,
without an attachment, as one ticket written in its text ("工单编号：…" lines). A message
whose tickets are taken in is marked read; one with a bad row takes in nothing, is marked
read and flagged in the mailbox, and the 12345 page lists why. Nothing is deleted: the
mailbox keeps every message."""

from __future__ import annotations

import email
import imaplib
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.policy import default as default_policy
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.database import write_transaction
from app.extensions import db
from app.models import AuditLog, Unit
from app.services.accounts.audit import record_audit
from app.services.bureau.csv_import import CsvImportError
from app.services.cases.hotline import (
    COLUMNS,
    HEADER_NAMES,
    Intake,
    TicketRow,
    check_row,
    parse_tickets,
    take_in_rows,
)
from app.services.errors import DomainError

log = logging.getLogger(__name__)

EXPORT_TYPES = ("text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "application/vnd.ms-excel")
FIELD_LINE = re.compile(r"^\s*([^\s:：]{1,12})\s*[:：]\s*(.*)$")
MAX_MESSAGES = 200  # a round reads at most this many unread messages; the next the rest


@dataclass
class MailReport:
    messages: int = 0
    rejected: int = 0
    cases: int = 0
    waiting: int = 0
    known: int = 0

    def add(self, intake: Intake) -> None:
        self.cases += intake.cases
        self.waiting += intake.waiting
        self.known += intake.known


def _is_export(part: EmailMessage) -> bool:
    name = (part.get_filename() or "").lower()
    return name.endswith((".csv", ".xlsx")) or part.get_content_type() in EXPORT_TYPES


def ticket_in_text(text: str, zone: ZoneInfo) -> TicketRow:
    """One ticket written as "工单编号：…" lines (a line of another kind continues the field
    before it: 诉求内容 often runs over several lines)."""
    values: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        match = FIELD_LINE.match(line)
        name = HEADER_NAMES.get(match.group(1)) if match else None
        if match and name:
            current = name
            values[name] = match.group(2).strip()
        elif current is not None and line.strip():
            values[current] = (values[current] + "\n" + line.strip()).strip()
    if "ticket_id" not in values:
        raise DomainError(_("The e-mail has neither an attached export nor a 工单编号 line."))
    problems: list[str] = []
    row = check_row({name: values.get(name, "") for name in COLUMNS}, zone, problems)
    if row is None or problems:
        raise DomainError("; ".join(problems))
    return row


def tickets_of(message: EmailMessage, unit: Unit) -> list[TicketRow]:
    """Every ticket a message brings: all its attached exports' rows, or the one its text
    holds; CsvImportError or DomainError when anything is wrong (then none)."""
    rows: list[TicketRow] = []
    exports = [part for part in message.iter_attachments() if _is_export(part)]
    for part in exports:
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes):
            raise DomainError(_("An attachment could not be read."))
        rows += parse_tickets(data, unit)
    if exports:
        return rows
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    return [ticket_in_text(str(text), ZoneInfo(unit.timezone))]


def _problems(error: Exception) -> list[str]:
    if isinstance(error, CsvImportError):
        return [f"{_('Line %(n)d', n=e.line)}: {e.message}" if e.line else e.message
                for e in error.errors[:20]]
    return [str(error)]


def take_in_message(raw: bytes, unit: Unit) -> Intake:
    """One e-mail's tickets into the unit's inbox, or DomainError/CsvImportError (none)."""
    message = email.message_from_bytes(raw, policy=default_policy)
    assert isinstance(message, EmailMessage)  # noqa: S101 - the default policy makes one
    return take_in_rows(tickets_of(message, unit), unit, user_id=None, via="mail")


def _reject(unit: Unit, raw: bytes, error: Exception) -> None:
    message = email.message_from_bytes(raw, policy=default_policy)
    with write_transaction():
        record_audit("hotline.mail_rejected", user_id=None, unit_id=unit.id,
                     target_type="hotline_tickets", target_id=None,
                     after={"subject": str(message.get("Subject", ""))[:200],
                            "from": str(message.get("From", ""))[:200],
                            "problems": _problems(error)})


def _connect() -> imaplib.IMAP4:
    config = current_app.config
    kind = imaplib.IMAP4_SSL if config["HOTLINE_IMAP_SSL"] else imaplib.IMAP4
    imap = kind(config["HOTLINE_IMAP_HOST"], config["HOTLINE_IMAP_PORT"],
                timeout=config["HOTLINE_IMAP_TIMEOUT"])
    try:
        imap.login(config["HOTLINE_IMAP_USER"], config["HOTLINE_IMAP_PASSWORD"])
        status, _data = imap.select(config["HOTLINE_IMAP_FOLDER"])
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot select {config['HOTLINE_IMAP_FOLDER']}")
    except BaseException:
        imap.shutdown()  # the job records the error; the connection does not linger
        raise
    return imap


def read_hotline_mail(now: datetime | None = None) -> MailReport:
    """The job `hotline.mail`: every unread message of the mailbox, its tickets taken in."""
    config = current_app.config
    report = MailReport()
    if not config["HOTLINE_IMAP_HOST"]:
        return report
    unit = db.session.scalar(select(Unit).where(Unit.code == config["HOTLINE_IMAP_UNIT"]))
    if unit is None:
        log.error("HOTLINE_IMAP_UNIT %r is no unit's code: the mailbox is not read",
                  config["HOTLINE_IMAP_UNIT"])
        return report
    imap = _connect()
    try:
        _status, found = imap.uid("SEARCH", "UNSEEN")
        for uid in (found[0] or b"").decode("ascii").split()[:MAX_MESSAGES]:
            _status, parts = imap.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((part[1] for part in parts if isinstance(part, tuple)), b"")
            report.messages += 1
            flags = r"(\Seen)"
            try:
                report.add(take_in_message(raw, unit))
            except (CsvImportError, DomainError) as error:
                report.rejected += 1
                _reject(unit, raw, error)
                flags = r"(\Seen \Flagged)"
            # marked only once its tickets are stored: a crash before reads it again, and
            # the ticket numbers keep it from being taken in twice
            imap.uid("STORE", uid, "+FLAGS", flags)
    finally:
        try:
            imap.logout()
        except (imaplib.IMAP4.error, OSError):
            pass
    if report.messages:
        log.info("hotline mail: %s", report)
    return report


def mail_rejections(unit_ids: list[int] | set[int], limit: int = 10) -> list[AuditLog]:
    """The latest e-mails whose tickets could not be taken in, for the 12345 page."""
    return list(db.session.scalars(
        select(AuditLog).where(AuditLog.action == "hotline.mail_rejected",
                               AuditLog.unit_id.in_(unit_ids))
        .order_by(AuditLog.id.desc()).limit(limit)))
