"""Moving a case to whoever owns it (转办): to another park of the unit, to a park of
another unit, or to an outside office of the unit's list.

The note written for the visitor is a public reply: it answers the case (its first response,
the "every message is answered" promise) and the visitor is told as of any reply. The case
takes the receiving park's routing and its staff are alerted as of a new case; a case that
leaves the unit leaves its inbox, and the sending unit keeps a read-only record of what it
sent (the words and the place, never the visitor's contact).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.database import write_transaction
from app.extensions import db
from app.models import (
    Case,
    CaseTransfer,
    Category,
    Message,
    MessageKind,
    OutsideOffice,
    Park,
    StaffUser,
    Status,
    TransferKind,
    Unit,
)
from app.models.types import utcnow
from app.realtime.publish import record_event
from app.services.accounts.audit import record_audit
from app.services.cases.deadlines import set_deadlines
from app.services.cases.operations import locked_case, snapshot
from app.services.cases.routing import responsible_role
from app.services.cases.summaries import case_summary, validate_body
from app.services.cases.workflow import apply_status
from app.services.errors import DomainError
from app.services.notify.offices import queue_office_deliveries

log = logging.getLogger(__name__)

OTHER = "other"


@dataclass(frozen=True)
class Destination:
    """Where a case goes: a park (of this unit or another) or an outside office."""

    park: Park | None = None
    office: OutsideOffice | None = None


def place_of(case: Case) -> str:
    """The case's place as people read it: park and spot, in both languages."""
    parts = [case.park.name_zh, case.spot.name_zh if case.spot else ""]
    english = [case.park.name_en, case.spot.name_en if case.spot else ""]
    text = " · ".join(part for part in parts if part)
    if any(english):
        text += " (" + " · ".join(part for part in english if part) + ")"
    return text[:300]


def _destination(session: Session, case: Case, park_code: str, office_id: str) -> Destination:
    park_code, office_id = (park_code or "").strip(), (office_id or "").strip()
    if bool(park_code) == bool(office_id):
        raise DomainError(_("Choose one park or one outside office to send the case to."))
    if park_code:
        park = session.scalar(select(Park).where(Park.park_code == park_code))
        if park is None:
            raise DomainError(_("There is no park with this code."))
        if park.id == case.park_id:
            raise DomainError(_("The case is already at this park."))
        return Destination(park=park)
    office = session.get(OutsideOffice, int(office_id)) if office_id.isdigit() else None
    if office is None or office.unit_id != case.unit_id or not office.active:
        raise DomainError(_("Choose one of the unit's outside offices."))
    return Destination(office=office)


def _category_in(session: Session, unit_id: int, code: str) -> Category:
    """The receiving unit's category of the same code, else its "other"."""
    for wanted in (code, OTHER):
        category = session.scalar(select(Category).where(
            Category.unit_id == unit_id, Category.code == wanted, Category.active))
        if category is not None:
            return category
    category = session.scalar(select(Category).where(Category.unit_id == unit_id,
                                                     Category.active).order_by(Category.id))
    if category is None:
        raise DomainError(_("The receiving unit has no categories yet."))
    return category


def _answer(case: Case, note: str, user_id: int, now: datetime) -> None:
    """The note is the case's answer: a public reply (a new case is acknowledged by it)."""
    case.messages.append(Message(kind=MessageKind.REPLY.value, body=note, author_id=user_id,
                                 created_at=now))
    if case.first_response_at is None:
        case.first_response_at = now
    if case.status == Status.NEW:
        _status(case, Status.ACKNOWLEDGED, user_id, now, "")


def _status(case: Case, target: Status, user_id: int, now: datetime, body: str) -> None:
    case.messages.append(Message(kind=MessageKind.STATUS.value, author_id=user_id,
                                 status_from=case.status, status_to=target.value,
                                 created_at=now, body=body))
    apply_status(case, target, now)


def _move_to_park(session: Session, case: Case, park: Park, now: datetime) -> None:
    """The case takes the park (and its unit, category, routing and limits)."""
    if park.unit_id != case.unit_id:
        unit = session.get(Unit, park.unit_id)
        assert unit is not None  # noqa: S101 - a park's unit exists (foreign key)
        category = _category_in(session, unit.id, case.category.code)
        case.unit_id, case.unit = unit.id, unit
        case.category_id, case.category = category.id, category
        set_deadlines(case, unit, category, now)
        case.reply_due_at = None  # answered by the note
    case.park_id, case.park = park.id, park
    case.spot_id, case.spot = None, None  # the spot is the old park's: the record keeps it
    case.assignee_id = None
    case.zone_id = None
    case.responsible_role = responsible_role(case.category, park.id, None)


def _record(case: Case, destination: Destination, note: str, user: StaffUser,
            now: datetime) -> CaseTransfer:
    park, office = destination.park, destination.office
    if office is not None:
        kind = TransferKind.OFFICE
    elif park is not None and park.unit_id != case.unit_id:
        kind = TransferKind.UNIT
    else:
        kind = TransferKind.PARK
    transfer = CaseTransfer(
        kind=kind.value, from_unit_id=case.unit_id, from_park_id=case.park_id,
        to_park_id=park.id if park else None, to_unit_id=park.unit_id if park else None,
        to_office_id=office.id if office else None, note=note, body=case.body,
        place=place_of(case), by_id=user.id, created_at=now)
    case.transfers.append(transfer)
    return transfer


def destination_name(transfer: CaseTransfer, locale: str) -> str:
    """Where the case went, as people read it."""
    if transfer.to_office is not None:
        return transfer.to_office.name
    if transfer.to_park is not None:
        return transfer.to_park.name(locale)
    return ""


def transfer_case(*, user: StaffUser, case_id: int, note: str, park_code: str = "",
                  office_id: str = "") -> CaseTransfer:
    """Move an open case to a park (of this unit or another) or to an outside office, with
    a note for the visitor that answers the case."""
    note = validate_body(note)
    with write_transaction() as session:
        case = locked_case(session, user, case_id)
        if not case.is_open:
            raise DomainError(_("This case is closed."))
        destination = _destination(session, case, park_code, office_id)
        before = {**snapshot(case), "park_id": case.park_id, "unit_id": case.unit_id}
        from_unit_id, from_park_id = case.unit_id, case.park_id
        now = case.updated_at = utcnow()
        transfer = _record(case, destination, note, user, now)
        _answer(case, note, user.id, now)
        case.messages.append(Message(kind=MessageKind.ACTION.value, action="transferred",
                                     body=destination_name(transfer, "zh_CN"),
                                     author_id=user.id, created_at=now))
        if destination.park is not None:
            _move_to_park(session, case, destination.park, now)
        else:
            case.transferred_at = now
            assert destination.office is not None  # noqa: S101 - a park or an office
            queue_office_deliveries(session, transfer, destination.office)
            _status(case, Status.REFERRED, user.id, now, destination_name(transfer, "zh_CN"))
        _publish(session, case, transfer, user, before, from_unit_id, from_park_id)
        reference = case.reference
    log.info("case %s transferred (%s) by user %s", reference, transfer.kind, user.id)
    return transfer


def _publish(session: Session, case: Case, transfer: CaseTransfer, user: StaffUser,
             before: dict[str, object], from_unit_id: int, from_park_id: int) -> None:
    """The audit entry; the sending park's phones are told it went, the receiving park's
    staff are alerted as of a new case."""
    session.flush()
    record_audit("case.transferred", user_id=user.id, unit_id=from_unit_id,
                 target_type="feedback", target_id=case.id, before=before,
                 after={**snapshot(case), "kind": transfer.kind, "park_id": case.park_id,
                        "unit_id": case.unit_id, "office_id": transfer.to_office_id})
    summary = case_summary(case)
    record_event("case.updated", unit_id=from_unit_id, park_id=from_park_id, case_id=case.id,
                 payload={**summary, "change": "transferred", "by": user.id,
                          "assignee_id": None, "left_unit": case.unit_id != from_unit_id})
    if transfer.to_park_id is not None:
        record_event("feedback.created", unit_id=case.unit_id, park_id=case.park_id,
                     case_id=case.id,
                     payload={**summary, "transferred_from": transfer.from_park.name_zh})


def transfer_targets(case: Case) -> list[Park]:
    """The parks a case may go to: every other park, this unit's first."""
    parks = db.session.scalars(select(Park).where(Park.id != case.park_id)
                               .order_by(Park.unit_id != case.unit_id, Park.unit_id, Park.id))
    return list(parks)


def unit_offices(unit_id: int) -> list[OutsideOffice]:
    """The unit's outside offices, by name."""
    return list(db.session.scalars(select(OutsideOffice).where(
        OutsideOffice.unit_id == unit_id, OutsideOffice.active)
        .order_by(OutsideOffice.name, OutsideOffice.id)))


def transfer_json(transfer: CaseTransfer) -> dict[str, object]:
    """One transfer as the API shows it: where to, when, and the note for the visitor."""
    return {
        "to": {"kind": transfer.kind,
               "park": transfer.to_park.park_code if transfer.to_park else None,
               "office": transfer.to_office_id,
               "name": destination_name(transfer, "zh_CN")},
        "at": transfer.created_at,
        "note": transfer.note,
    }


def sent_away(user: StaffUser, limit: int = 200) -> list[CaseTransfer]:
    """What the user's units sent to another unit or an outside office, newest first: the
    read-only record (words and place as sent; the visitor's contact is not in it)."""
    return list(db.session.scalars(
        select(CaseTransfer).where(CaseTransfer.from_unit_id.in_(user.unit_ids),
                                   CaseTransfer.kind != TransferKind.PARK.value)
        .order_by(CaseTransfer.id.desc()).limit(limit)))
