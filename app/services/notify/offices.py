"""Sending a case to an outside office (转办): its text, place and photos by e-mail, and to
the office's webhook (Standard Webhooks signature) when it has one; never the visitor's
contact (the form asks no consent to pass it on). The rows are written with the transfer;
the job `offices.send` sends them, with retries and backoff, outside any transaction."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook

from app.database import write_transaction
from app.extensions import db
from app.models import CaseTransfer, OfficeDelivery, OutsideOffice, StaffUser
from app.models.types import utcnow
from app.services.accounts.audit import record_audit
from app.services.cases.photos import photo_path
from app.services.cases.public import mask_personal_data
from app.services.errors import DomainError, NotFoundError
from app.services.notify.channels import OutboundRequest, post, validate_url, webhook_secret
from app.services.notify.visitors import EMAIL_PATTERN, new_mail, retry_delay, send_mail

log = logging.getLogger(__name__)

PENDING, SENT, FAILED = "pending", "sent", "failed"
CLAIM_TIMEOUT = timedelta(minutes=5)
MAX_ATTEMPTS = 12
BATCH = 20


@dataclass(frozen=True)
class OfficeFields:
    name: str
    email: str
    webhook_url: str = ""
    webhook_secret: str = ""


def _checked(fields: OfficeFields) -> OfficeFields:
    name, email = fields.name.strip(), fields.email.strip()
    if not name or len(name) > 120:
        raise DomainError(_("Give the office a name (at most 120 characters)."))
    if not EMAIL_PATTERN.match(email) or len(email) > 254:
        raise DomainError(_("Give the office's e-mail address."))
    url = fields.webhook_url.strip()
    if not url:
        return OfficeFields(name, email)
    return OfficeFields(name, email, validate_url("webhook", url),
                        webhook_secret(fields.webhook_secret))


def add_office(*, user: StaffUser, unit_id: int, fields: OfficeFields) -> OutsideOffice:
    """Add an outside office to the unit's list (a director's; audited without its secret)."""
    checked = _checked(fields)
    with write_transaction() as session:
        office = OutsideOffice(unit_id=unit_id, name=checked.name, email=checked.email,
                               webhook_url=checked.webhook_url or None,
                               webhook_secret=checked.webhook_secret or None, active=True)
        session.add(office)
        session.flush()
        record_audit("office.added", user_id=user.id, unit_id=unit_id,
                     target_type="outside_office", target_id=office.id, before=None,
                     after={"name": office.name, "email": office.email,
                            "webhook": bool(office.webhook_url)})
    log.info("outside office %s added by user %s", office.id, user.id)
    return office


def remove_office(*, user: StaffUser, unit_id: int, office_id: int) -> None:
    """Take an office off the unit's list: no case goes to it any more (its past stays)."""
    with write_transaction() as session:
        office = session.get(OutsideOffice, office_id)
        if office is None or office.unit_id != unit_id or not office.active:
            raise NotFoundError(_("No such office."))
        office.active = False
        record_audit("office.removed", user_id=user.id, unit_id=unit_id,
                     target_type="outside_office", target_id=office.id,
                     before={"name": office.name}, after=None)
    log.info("outside office %s removed by user %s", office_id, user.id)


def queue_office_deliveries(session: Session, transfer: CaseTransfer,
                            office: OutsideOffice) -> None:
    """In the transfer's transaction: the e-mail, and the webhook call if the office has one."""
    channels = ["email"] + (["webhook"] if office.webhook_url else [])
    for channel in channels:
        session.add(OfficeDelivery(transfer=transfer, channel=channel, state=PENDING,
                                   attempts=0, next_attempt_at=utcnow()))


def office_payload(transfer: CaseTransfer) -> dict[str, Any]:
    """What the office gets: the case's words (personal data masked), place and photos;
    no contact of the visitor."""
    case = transfer.case
    return {
        "reference": case.reference,
        "category": case.category.name_zh,
        "place": transfer.place,
        "text": mask_personal_data(transfer.body),
        "note": transfer.note,
        "from": transfer.from_unit.name_zh,
        "reported_at": case.created_at.isoformat(),
        "transferred_at": transfer.created_at.isoformat(),
        "photos": [{"content_type": photo.content_type, "sha256": photo.checksum,
                    "size": photo.size} for photo in case.photos],
    }


def build_email(transfer: CaseTransfer, office: OutsideOffice) -> EmailMessage:
    """The e-mail to the office, in Chinese, with the case's photos attached."""
    payload = office_payload(transfer)
    with force_locale("zh_CN"):
        subject = _("Case %(reference)s transferred to you by %(unit)s",
                    reference=payload["reference"], unit=payload["from"])
        lines = [subject, "",
                 f"{_('Place')}: {payload['place']}",
                 f"{_('About')}: {payload['category']}",
                 "", payload["text"], "",
                 f"{_('Note for the visitor')}: {payload['note']}"]
    mail = new_mail(office.email, subject)
    mail.set_content("\n".join(lines))
    for number, photo in enumerate(transfer.case.photos, start=1):
        maintype, _slash, subtype = photo.content_type.partition("/")
        mail.add_attachment(photo_path(photo).read_bytes(), maintype=maintype,
                            subtype=subtype, filename=f"{payload['reference']}-{number}.{subtype}")
    return mail


def build_webhook(delivery_id: int, transfer: CaseTransfer, office: OutsideOffice,
                  now: datetime) -> OutboundRequest:
    """The signed webhook call (Standard Webhooks); the id is the outbox row's, the same on
    every retry, so that the office can drop a repeat."""
    message_id = f"msg_transfer_{delivery_id}"
    data = json.dumps({"type": "case.transferred", "timestamp": now.isoformat(),
                       "data": office_payload(transfer)}, ensure_ascii=False,
                      separators=(",", ":")).encode()
    signature = Webhook(office.webhook_secret or "").sign(message_id, now, data.decode())
    headers = {"Content-Type": "application/json; charset=utf-8",
               "User-Agent": "ParkMailbox-Transfers/1", "webhook-id": message_id,
               "webhook-timestamp": str(int(now.timestamp())),
               "webhook-signature": signature}
    return OutboundRequest(office.webhook_url or "", headers, data)


def _claim(delivery_id: int, now: datetime) -> bool:
    with write_transaction() as session:
        result = session.execute(
            update(OfficeDelivery)
            .where(OfficeDelivery.id == delivery_id, OfficeDelivery.state == PENDING,
                   OfficeDelivery.next_attempt_at <= now)
            .values(attempts=OfficeDelivery.attempts + 1,
                    next_attempt_at=now + CLAIM_TIMEOUT))
        return bool(result.rowcount)  # type: ignore[attr-defined]


def _record(delivery_id: int, now: datetime, error: str | None) -> str:
    with write_transaction() as session:
        delivery = session.get(OfficeDelivery, delivery_id)
        assert delivery is not None  # noqa: S101 - deliveries are never deleted
        if error is None:
            delivery.state, delivery.sent_at, delivery.last_error = SENT, now, None
        else:
            delivery.last_error = error[:500]
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.state = FAILED
            else:
                delivery.next_attempt_at = now + retry_delay(delivery.attempts)
        return delivery.state


def _send(delivery: OfficeDelivery, now: datetime) -> None:
    transfer = delivery.transfer
    office = transfer.to_office
    assert office is not None  # noqa: S101 - an office delivery belongs to an office transfer
    if delivery.channel == "webhook":
        request = build_webhook(delivery.id, transfer, office, now)
        db.session.commit()  # no transaction held while the network answers
        post(request)
        return
    mail = build_email(transfer, office)
    db.session.commit()
    send_mail(mail)


def deliver_to_office(delivery_id: int, now: datetime) -> str | None:
    """One attempt at one due delivery; its state after, None if another process has it."""
    db.session.rollback()
    if not _claim(delivery_id, now):
        return None
    delivery = db.session.get(OfficeDelivery, delivery_id)
    assert delivery is not None  # noqa: S101 - just claimed
    error = None
    try:
        _send(delivery, now)
    except Exception as exc:  # any failure of any receiver is retried later
        error = f"{type(exc).__name__}: {exc}"
        db.session.rollback()
    state = _record(delivery_id, now, error)
    if error is None:
        log.info("transfer delivery %s sent", delivery_id)
    else:
        log.warning("transfer delivery %s failed (%s), now %s", delivery_id, error, state)
    return state


@dataclass(frozen=True)
class OfficeReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def send_due_office_deliveries(now: datetime | None = None, limit: int = BATCH) -> OfficeReport:
    """Try every due delivery to an outside office (the job `offices.send`)."""
    now = now or utcnow()
    ids = list(db.session.scalars(
        select(OfficeDelivery.id)
        .where(OfficeDelivery.state == PENDING, OfficeDelivery.next_attempt_at <= now)
        .order_by(OfficeDelivery.next_attempt_at, OfficeDelivery.id).limit(limit)))
    db.session.commit()
    states = [deliver_to_office(delivery_id, now) for delivery_id in ids]
    return OfficeReport(sent=states.count(SENT), retrying=states.count(PENDING),
                        failed=states.count(FAILED))
