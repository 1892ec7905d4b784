"""The visitor's side of the loop on the tracking page: follow up, "fixed", "not fixed", rate."""

from __future__ import annotations

import logging

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from app.database import write_transaction
from app.models import Case, Message, MessageKind, Status
from app.models.types import utcnow
from app.services.cases.operations import publish_change, snapshot
from app.services.cases.submission import Tracking, find_tracking
from app.services.cases.summaries import excerpt, validate_body
from app.services.cases.workflow import apply_status
from app.services.errors import DomainError, NotFoundError
from app.services.notify.visitors import mark_visitor_action

log = logging.getLogger(__name__)


def _locked(session: Session, token: str) -> tuple[Case, int | None]:
    tracking: Tracking = find_tracking(token)
    case = session.get(Case, tracking.case.id, with_for_update=True)
    if case is None:
        raise NotFoundError(_("This tracking link does not exist."))
    return case, tracking.link_id


def add_follow_up(*, token: str, body: str) -> Message:
    """The visitor adds to the thread; staff are told at once."""
    body = validate_body(body)
    with write_transaction() as session:
        case, link_id = _locked(session, token)
        if case.status not in (Status.NEW, Status.ACKNOWLEDGED, Status.IN_PROGRESS,
                               Status.RESOLVED):
            raise DomainError(_("This case is closed. Please send a new message from the "
                                "QR code if the problem is back."))
        before = snapshot(case)
        now = case.updated_at = utcnow()
        message = Message(kind=MessageKind.VISITOR.value, body=body, created_at=now,
                          case_token_id=link_id)
        case.messages.append(message)
        publish_change(session, case, "case.updated", "follow_up", user_id=None,
                       before=before, follow_up_excerpt=excerpt(body))
    log.info("visitor follow-up on case %s", case.reference)
    return message


def confirm_fixed(*, token: str) -> Case:
    """The visitor confirms that a resolved problem is fixed: the case closes."""
    with write_transaction() as session:
        case, link_id = _locked(session, token)
        if case.status != Status.RESOLVED:
            raise DomainError(_("Only a resolved case can be confirmed as fixed."))
        mark_visitor_action(session, link_id)
        before = snapshot(case)
        now = utcnow()
        case.confirmed_fixed_at = now
        case.messages.append(Message(kind=MessageKind.STATUS.value, status_from=case.status,
                                     status_to=Status.CLOSED.value, created_at=now))
        apply_status(case, Status.CLOSED, now)
        publish_change(session, case, "case.updated", "confirmed_fixed", user_id=None,
                       before=before)
    log.info("visitor confirmed case %s fixed", case.reference)
    return case


def report_not_fixed(*, token: str, body: str = "") -> Case:
    """The visitor says a resolved problem is still there: the case reopens."""
    body = (body or "").strip()
    if body:
        body = validate_body(body)
    with write_transaction() as session:
        case, link_id = _locked(session, token)
        if case.status != Status.RESOLVED:
            raise DomainError(_("Only a resolved case can be reopened."))
        mark_visitor_action(session, link_id)
        before = snapshot(case)
        now = utcnow()
        if body:
            case.messages.append(Message(kind=MessageKind.VISITOR.value, body=body,
                                         created_at=now, case_token_id=link_id))
        case.messages.append(Message(kind=MessageKind.STATUS.value, status_from=case.status,
                                     status_to=Status.IN_PROGRESS.value, created_at=now))
        apply_status(case, Status.IN_PROGRESS, now)  # counts the reopen
        publish_change(session, case, "case.updated", "reopened", user_id=None, before=before)
    log.info("visitor reopened case %s (reopen #%d)", case.reference, case.reopen_count)
    return case


def rate_answer(*, token: str, score: int) -> Case:
    """The visitor's 1-5 rating of how the case was answered (may be changed)."""
    if not 1 <= score <= 5:
        raise DomainError(_("A rating is a number from 1 to 5."))
    with write_transaction() as session:
        case, _link_id = _locked(session, token)
        if case.first_response_at is None:
            raise DomainError(_("You can rate the answer once the park has replied."))
        before = {**snapshot(case), "satisfaction": case.satisfaction}
        case.satisfaction = score
        case.updated_at = utcnow()
        publish_change(session, case, "case.updated", "rated", user_id=None, before=before,
                       satisfaction=score)
    log.info("visitor rated the answer to case %s: %d", case.reference, score)
    return case
