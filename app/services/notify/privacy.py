"""Visitors' contacts: kept only as long as needed to answer, then erased.

A contact (phone or e-mail) is shown only to staff of the case's unit. Once a case has
been closed for CONTACT_RETENTION_DAYS, the periodic job `privacy.erase_contacts` erases
it from the case, from the "me too" links that joined it, from the reporter note an API
client may have sent, and from the notifications and SMS outbox rows that carried it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from app.database import write_transaction
from app.models import Case, CaseToken, DeliveryState, Notification, SmsMessage
from app.models.types import utcnow

log = logging.getLogger(__name__)

BATCH = 500


def erase_expired_contacts(now: datetime | None = None) -> int:
    """Erase the contacts of cases closed more than CONTACT_RETENTION_DAYS ago."""
    now = now or utcnow()
    cutoff = now - timedelta(days=int(current_app.config["CONTACT_RETENTION_DAYS"]))
    erased = 0
    while True:
        with write_transaction() as session:
            case_ids = list(session.scalars(
                select(Case.id)
                .where(Case.closed_at.is_not(None), Case.closed_at <= cutoff,
                       or_(Case.contact.is_not(None), Case.contact_note.is_not(None),
                           Case.extra_tokens.any(CaseToken.contact.is_not(None))))
                .order_by(Case.id).limit(BATCH)))
            if not case_ids:
                break
            session.execute(update(Case).where(Case.id.in_(case_ids))
                            .values(contact=None, contact_note=None))
            session.execute(update(CaseToken).where(CaseToken.case_id.in_(case_ids))
                            .values(contact=None))
            notification_ids = select(Notification.id).where(
                Notification.case_id.in_(case_ids))
            session.execute(update(SmsMessage)
                            .where(SmsMessage.notification_id.in_(notification_ids))
                            .values(phone=""))
            session.execute(update(Notification)
                            .where(Notification.case_id.in_(case_ids),
                                   Notification.state == DeliveryState.PENDING.value)
                            .values(state=DeliveryState.FAILED.value,
                                    last_error="contact erased (retention)"))
            session.execute(update(Notification)
                            .where(Notification.case_id.in_(case_ids))
                            .values(recipient=""))
            erased += len(case_ids)
    if erased:
        log.info("erased the contacts of %d closed case(s) (retention %s days)", erased,
                 current_app.config["CONTACT_RETENTION_DAYS"])
    return erased

