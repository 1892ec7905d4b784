"""The time-limit timer: escalate cases not claimed in time, and again when a reply is late."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from app.extensions import db
from app.models import OPEN_STATUSES, Case
from app.services.cases.operations import escalate_case

log = logging.getLogger(__name__)


def escalate_overdue_cases(now: datetime) -> int:
    """Raise `case.escalated` for every limit missed since the last round; return how many."""
    open_values = [s.value for s in OPEN_STATUSES]
    claim_late = db.session.scalars(select(Case.id).where(
        Case.status.in_(open_values), Case.claimed_at.is_(None),
        Case.escalated_at.is_(None), Case.claim_due_at <= now,
    ).order_by(Case.id)).all()
    reply_late = db.session.scalars(select(Case.id).where(
        Case.status.in_(open_values), Case.first_response_at.is_(None),
        Case.reply_escalated_at.is_(None), Case.reply_due_at <= now,
    ).order_by(Case.id)).all()
    db.session.commit()  # end the read before the writes
    raised = sum(escalate_case(case_id, "claim", now) for case_id in claim_late)
    raised += sum(escalate_case(case_id, "reply", now) for case_id in reply_late)
    if raised:
        log.info("sla tick: %d escalations", raised)
    return raised

