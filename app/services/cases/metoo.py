""""Me too": a second report of the same problem at the same spot joins the open case.

Only when its words say it is the same problem (`sameness`): a report about something else
at the spot, an urgent one, or one without words is a case of its own.

The visitor who joins gets a tracking link of their own (a `CaseToken`) to the same thread;
staff can split such a report off into a case of its own when it was a different problem, and
merge a case into another one when it was the same problem (the inverse of a split).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from app.database import write_transaction
from app.models import (
    OPEN_STATUSES,
    Case,
    CaseToken,
    Category,
    Message,
    MessageKind,
    Photo,
    Source,
    Spot,
    StaffUser,
    Status,
    Unit,
    VoiceNote,
)
from app.models.types import utcnow
from app.realtime.publish import record_event
from app.security import hash_token, new_tracking_token
from app.services.cases.danger import names_a_danger, urgent_reason
from app.services.cases.deadlines import set_deadlines
from app.services.cases.operations import case_payload, locked_case, publish_change, snapshot
from app.services.cases.references import next_reference
from app.services.cases.routing import responsible_role
from app.services.cases.sameness import has_words, same_problem
from app.services.cases.summaries import excerpt
from app.services.cases.workflow import apply_status
from app.services.errors import DomainError, NotFoundError
from app.services.notify.visitors import queue_received

log = logging.getLogger(__name__)

# the open cases at a spot and category a report is compared with, latest first
MAX_CANDIDATES = 10


def first_report_messages(case: Case) -> dict[int | None, int]:
    """The first visitor message of each report of a case, by its "me too" link (None: the
    case's first report): where a report's voice note shows and where staff may split it."""
    firsts: dict[int | None, int] = {}
    for message in case.messages:
        if message.kind == MessageKind.VISITOR:
            firsts.setdefault(message.case_token_id, message.id)
    return firsts


def find_me_too_case(session: Session, unit: Unit, spot: Spot, category: Category,
                     now: datetime, body: str) -> Case | None:
    """The latest open case about the same spot and category opened within the unit's
    window whose first report's words say it is the problem `body` reports (`sameness`)."""
    if unit.me_too_window_hours <= 0 or not has_words(body):
        return None
    since = now - timedelta(hours=unit.me_too_window_hours)
    candidates = session.scalars(_candidates_statement(), {
        "spot_id": spot.id, "category_id": category.id, "since": since})
    return next((case for case in candidates if same_problem(body, case.body)), None)


@cache  # built once: every report with words runs it (app/database.py, "Statements built once")
def _candidates_statement() -> Select[Case]:
    return (select(Case).where(
        Case.spot_id == bindparam("spot_id"), Case.category_id == bindparam("category_id"),
        Case.status.in_([s.value for s in OPEN_STATUSES]),
        Case.created_at >= bindparam("since"),
    ).order_by(Case.created_at.desc(), Case.id.desc()).limit(MAX_CANDIDATES)
        .with_for_update())


def join_me_too(session: Session, case: Case, *, token_hash: str, body: str,
                contact: str | None, rating: int | None, language: str,
                now: datetime, tracking_link: str | None = None,
                attach: Callable[[CaseToken], object] | None = None) -> CaseToken:
    """Add a visitor's report to an open case; staff are told once more after commit, and
    the visitor, if they left a contact, gets "received" with `tracking_link`.

    `attach` adds the report's photos and voice note under its link, before staff are
    told: the counts they get include them."""
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
    if attach is not None:
        session.flush()  # the link's id, which the attachments carry
        attach(link)
    case.me_too_count += 1
    case.updated_at = now
    # one flush, the event's, writes the link, the message and the count (the audit entry is
    # inserted at once: services.accounts.audit)
    publish_change(session, case, "case.updated", "me_too", user_id=None, before=before,
                   links_kept=True, me_too_excerpt=excerpt(body))
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
        # the report's photos and voice note go with it (the first visitor's of the new case)
        attachments: list[Photo | VoiceNote] = [*case.photos, *case.voice_notes]
        attachments = [a for a in attachments if a.case_token_id == link.id]
        for attachment in attachments:
            attachment.case_token_id = None
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
        for attachment in attachments:  # by id: the relationship would delete it as an orphan
            attachment.case_id = new_case.id
        session.expire(case, ["photos", "voice_notes"])
        session.expire(new_case, ["photos", "voice_notes"])
        record_event("feedback.created", unit_id=new_case.unit_id, park_id=new_case.park_id,
                     case_id=new_case.id,
                     payload={**case_payload(new_case, "split", user.id),
                              "split_from": case.id})
        publish_change(session, case, "case.updated", "split", user_id=user.id,
                       before=before, split_into=new_case.id)
    log.info("report split off case %s into %s by user %s", case.reference,
             new_case.reference, user.id)
    return new_case


# --- merging a case into another: its visitors become "me too" reports of the other -------

def merge_me_too(*, user: StaffUser, case_id: int, into_reference: str) -> Case:
    """Make a case a "me too" report of another open case of its unit (the inverse of a
    split): its visitors, their words and photos go over, and it is closed as a duplicate."""
    reference = into_reference.strip().upper()
    with write_transaction() as session:
        target_id = _case_id_by_reference(session, case_id, reference)
        # both locked, lower id first: two merges of one pair, either way round, never
        # deadlock
        ids = {case_id} if target_id is None else {case_id, target_id}
        locked = {i: locked_case(session, user, i) for i in sorted(ids)}
        if target_id is None:
            raise DomainError(_("There is no case %(reference)s in this unit.",
                                reference=reference))
        source, target = locked[case_id], locked[target_id]
        _check_merge(source, target)
        before_source, before_target = snapshot(source), snapshot(target)
        now = utcnow()
        link = _move_reports(session, source, target)
        _close_as_duplicate(source, target, user.id, now)
        if source.urgent and not target.urgent:  # a danger reported in it stays in sight
            target.urgent, target.urgent_reason = True, source.urgent_reason
        target.messages.append(Message(kind=MessageKind.ACTION.value, action="merged",
                                       author_id=user.id, body=source.reference,
                                       created_at=now))
        target.me_too_count += 1 + before_source["me_too_count"]
        target.updated_at = now
        publish_change(session, source, "case.updated", "merged", user_id=user.id,
                       before=before_source, merged_into=target.id)
        publish_change(session, target, "case.updated", "merged", user_id=user.id,
                       before=before_target, merged_from=source.id, link_id=link.id)
    log.info("case %s merged into %s by user %s", source.reference, target.reference, user.id)
    return target


def _case_id_by_reference(session: Session, case_id: int, reference: str) -> int | None:
    """The id of the case of `case_id`'s unit that has this reference (None: no such case)."""
    unit_id = select(Case.unit_id).where(Case.id == case_id).scalar_subquery()
    return session.scalar(select(Case.id).where(Case.reference == reference,
                                                Case.unit_id == unit_id))


def _check_merge(source: Case, target: Case) -> None:
    """The rules of a merge; a broken one changes nothing."""
    if source.id == target.id:
        raise DomainError(_("A case cannot be merged into itself."))
    if target.unit_id != source.unit_id:  # it left the unit since it was looked up
        raise DomainError(_("There is no case %(reference)s in this unit.",
                            reference=target.reference))
    if not source.is_open:
        raise DomainError(_("Only an open case can be merged into another."))
    if source.source == Source.HOTLINE:
        raise DomainError(_("A 12345 hotline case is answered on its own ticket: it cannot "
                            "be merged into another case."))
    if source.transfers or source.transferred_at is not None:
        raise DomainError(_("A transferred case cannot be merged: its visitor's page shows "
                            "where it went."))
    if not target.is_open:
        raise DomainError(_("%(reference)s is closed: a case can be merged only into an open "
                            "one.", reference=target.reference))


def _move_reports(session: Session, source: Case, target: Case) -> CaseToken:
    """The source's visitors go to the target: its first visitor as a new "me too" report
    (their tracking link now opens the target), its "me too" visitors with their own links;
    their messages and photos go with them. The source keeps the staff's entries."""
    link = CaseToken(case_id=target.id, token_hash=source.token_hash, contact=source.contact,
                     rating=source.rating, language=source.language,
                     created_at=source.created_at)
    session.add(link)
    # the column is unique, and the visitor's link must open the target now: the source
    # takes a hash no link has
    source.token_hash = hash_token(new_tracking_token())
    # the contact went with the visitor: told of the target's replies, not of this closing
    source.contact = None
    for message in list(source.messages):
        if message.kind == MessageKind.VISITOR:
            if message.case_token_id is None:
                message.case_token = link
            message.case = target
    # the visitors' photos and voice notes (the staff's photos stay: they answered the source)
    attachments: list[Photo | VoiceNote] = [
        *(photo for photo in source.photos if photo.uploaded_by_id is None),
        *source.voice_notes]
    for other in list(source.extra_tokens):
        other.case = target
    source.me_too_count = 0
    session.flush()
    for attachment in attachments:  # by id: the relationship would delete it as an orphan
        attachment.case_id = target.id
        attachment.case_token_id = attachment.case_token_id or link.id
    # written before the closing's status message, whose outbox hook reads who is left
    session.flush()
    session.expire(source, ["photos", "voice_notes", "extra_tokens"])
    session.expire(target, ["photos", "voice_notes", "extra_tokens"])
    return link


def _close_as_duplicate(source: Case, target: Case, user_id: int, now: datetime) -> None:
    """Close the source as a duplicate of the target, as the status form does (its thread
    says so), without a reply: its visitors follow the target's thread now."""
    source.messages.append(Message(kind=MessageKind.STATUS.value, author_id=user_id,
                                   status_from=source.status,
                                   status_to=Status.DUPLICATE.value, created_at=now))
    apply_status(source, Status.DUPLICATE, now)
    source.messages.append(Message(kind=MessageKind.ACTION.value, action="merged",
                                   author_id=user_id, body=target.reference, created_at=now))
