""""Me too": a second report of the same problem at the same spot joins the open case.

Only when its words say it is the same problem (`sameness`): a report about something else
at the spot, an urgent one, or one without words is a case of its own.

The visitor who joins gets a tracking link of their own (a `CaseToken`) to the same thread;
staff can split such a report off into a case of its own when it was a different problem.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.database import write_transaction
from app.models import (
    OPEN_STATUSES,
    Case,
    CaseToken,
    Category,
    Message,
    MessageKind,
    Spot,
    StaffUser,
    Status,
    Unit,
)
from app.models.types import utcnow
from app.realtime.publish import record_event
from app.services.cases.danger import names_a_danger, urgent_reason
from app.services.cases.deadlines import set_deadlines
from app.services.cases.operations import case_payload, locked_case, publish_change, snapshot
from app.services.cases.references import next_reference
from app.services.cases.routing import responsible_role
from app.services.cases.sameness import has_words, same_problem
from app.services.cases.summaries import excerpt
from app.services.errors import DomainError, NotFoundError
from app.services.notify.visitors import queue_received

log = logging.getLogger(__name__)

# the open cases at a spot and category a report is compared with, latest first
MAX_CANDIDATES = 10


def find_me_too_case(session: Session, unit: Unit, spot: Spot, category: Category,
                     now: datetime, body: str) -> Case | None:
    """The latest open case about the same spot and category opened within the unit's
    window whose first report's words say it is the problem `body` reports (`sameness`)."""
    if unit.me_too_window_hours <= 0 or not has_words(body):
        return None
    since = now - timedelta(hours=unit.me_too_window_hours)
    candidates = session.scalars(
        select(Case).where(
            Case.spot_id == spot.id, Case.category_id == category.id,
            Case.status.in_([s.value for s in OPEN_STATUSES]),
            Case.created_at >= since,
        ).order_by(Case.created_at.desc(), Case.id.desc()).limit(MAX_CANDIDATES)
        .with_for_update()
    )
    return next((case for case in candidates if same_problem(body, case.body)), None)


def join_me_too(session: Session, case: Case, *, token_hash: str, body: str,
                contact: str | None, rating: int | None, language: str,
                now: datetime, tracking_link: str | None = None) -> CaseToken:
    """Add a visitor's report to an open case; staff are told once more after commit, and
    the visitor, if they left a contact, gets "received" with `tracking_link`."""
    before = snapshot(case)
    # rows added by foreign key, not through case.extra_tokens / case.messages: appending to
    # those would load every earlier report of a popular case on each new one
    link = CaseToken(case_id=case.id, token_hash=token_hash, contact=contact,
                     rating=rating, language=language, created_at=now)
    session.add(link)
    message = Message(case_id=case.id, kind=MessageKind.VISITOR.value, body=body,
                      created_at=now, case_token=link)
    session.add(message)
    if tracking_link is not None:
        queue_received(session, case, message, contact=contact, language=language,
                       tracking_link=tracking_link)
    case.me_too_count += 1
    case.updated_at = now
    # one flush, in publish_change, writes the link, the message and the count together
    publish_change(session, case, "case.updated", "me_too", user_id=None, before=before,
                   me_too_excerpt=excerpt(body))
    log.info("report joined case %s as me-too #%d", case.reference, case.me_too_count)
    return link


def split_me_too(*, user: StaffUser, case_id: int, link_id: int) -> Case:
    """Make a joined report a case of its own; its visitor's link follows it."""
    with write_transaction() as session:
        case = locked_case(session, user, case_id)
        link = session.get(CaseToken, link_id)
        if link is None or link.case_id != case.id:
            raise NotFoundError(_("No such report in this case."))
        reports = [m for m in case.messages if m.case_token_id == link.id]
        first = next((m for m in reports if m.kind == MessageKind.VISITOR), None)
        if first is None:
            raise DomainError(_("This report has no message to split off."))
        before = snapshot(case)
        now = utcnow()
        unit = case.unit
        new_case = Case(
            reference=next_reference(session, unit, now),
            token_hash=link.token_hash,
            unit_id=case.unit_id, park_id=case.park_id, spot_id=case.spot_id,
            category_id=case.category_id, category_chosen=case.category_chosen,
            category_reason=case.category_reason, body=first.body, rating=link.rating,
            contact=link.contact, language=link.language, status=Status.NEW.value,
            source=case.source,
            responsible_role=responsible_role(case.category, case.park_id, case.spot_id),
            created_at=first.created_at, updated_at=now,
        )
        # the report's own urgency: its words or its category (never the case it leaves)
        new_case.urgent_reason = urgent_reason(names_a_danger(first.body or "", unit.danger_words),
                                               case.category.urgent)
        new_case.urgent = new_case.urgent_reason is not None
        set_deadlines(new_case, unit, case.category, now)
        session.add(new_case)
        for message in reports:
            message.case_token_id = None
            message.case = new_case
        # the report's photos go with it (the first visitor's of the new case now)
        photos = [p for p in case.photos if p.case_token_id == link.id]
        for photo in photos:
            photo.case_token_id = None
        new_case.messages.append(Message(kind=MessageKind.ACTION.value, action="split",
                                         author_id=user.id, body=case.reference,
                                         created_at=now))
        case.messages.append(Message(kind=MessageKind.ACTION.value, action="split",
                                     author_id=user.id, body=new_case.reference,
                                     created_at=now))
        case.me_too_count = max(0, case.me_too_count - 1)
        case.updated_at = now
        session.delete(link)
        session.flush()
        for photo in photos:  # by id: the relationship would delete it as an orphan
            photo.case_id = new_case.id
        session.expire(case, ["photos"])
        session.expire(new_case, ["photos"])
        record_event("feedback.created", unit_id=new_case.unit_id, park_id=new_case.park_id,
                     case_id=new_case.id,
                     payload={**case_payload(new_case, "split", user.id),
                              "split_from": case.id})
        publish_change(session, case, "case.updated", "split", user_id=user.id,
                       before=before, split_into=new_case.id)
    log.info("report split off case %s into %s by user %s", case.reference,
             new_case.reference, user.id)
    return new_case
