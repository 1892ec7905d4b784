"""Every change staff (and the clock) make to a case: claim, assign, hand back, reply, note,
add photos, set the status, write a 12345 ticket's 回单, escalate, auto-close.

Each staff change starts with `locked_case`, the one place that checks the acting role:
a read-only viewer is refused here, whatever page, API or client called. Every change is a
thread `Message`, an `Event` for staff phones and an audit entry, all in one write
transaction; the event is emitted after the commit. The visitor's own changes
(`tracking`) and "me too" joins use `publish_change` from here too.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.database import write_transaction
from app.extensions import db
from app.models import (
    Case,
    Category,
    HotlineTicket,
    Membership,
    Message,
    MessageKind,
    ReplyContact,
    ReplyResult,
    StaffUser,
    Status,
    Unit,
)
from app.models.types import utcnow
from app.realtime.publish import record_event
from app.services.accounts.audit import record_audit
from app.services.cases.deadlines import follow_urgency
from app.services.cases.photos import PreparedPhoto, add_photos, find_photo_of_case
from app.services.cases.public import mask_personal_data
from app.services.cases.routing import responsible_role
from app.services.cases.suggest import mark_model_stale
from app.services.cases.summaries import case_summary, validate_body
from app.services.cases.workflow import apply_status, can_move, needs_reply
from app.services.errors import DomainError, ForbiddenError, NotFoundError
from app.services.notify.ladder import fire_directors_step

log = logging.getLogger(__name__)

MAX_REFERRED_TO = 200
# roles that may act on cases (a "viewer" only reads)
ACTING_ROLES = frozenset({"director", "security", "cleaning", "maintenance", "service"})


def case_payload(case: Case, change: str, by: int | None, **extra: Any) -> dict[str, Any]:
    """The event payload: the case summary, who holds it, and what changed."""
    return {
        **case_summary(case),
        "assignee_id": case.assignee_id,
        "assignee_name": case.assignee.name if case.assignee else "",
        "change": change,
        "by": by,
        **extra,
    }


def snapshot(case: Case) -> dict[str, Any]:
    """The fields an audit entry records before and after a change."""
    return {"status": case.status, "assignee_id": case.assignee_id,
            "me_too_count": case.me_too_count, "reopen_count": case.reopen_count}


def publish_change(session: Session, case: Case, kind: str, change: str, *,
                   user_id: int | None, before: dict[str, Any], links_kept: bool = False,
                   **extra: Any) -> None:
    """Record the event and the audit entry of a change, in the current transaction.

    `links_kept`: the change set no foreign key of the case (its assignee, category, spot),
    so the payload can be read before the change is flushed, and the event's flush writes
    the change and the event at once (the audit entry is an insert of its own:
    services.accounts.audit)."""
    if links_kept:
        with session.no_autoflush:
            payload = case_payload(case, change, user_id, **extra)
    else:
        session.flush()
        # the assignee may have changed by id: expired, it is loaded again by that id when
        # the payload reads it (from the identity map when already here; no query when
        # unassigned)
        session.expire(case, ["assignee"])
        payload = case_payload(case, change, user_id, **extra)
    record_audit(f"case.{change}", user_id=user_id, unit_id=case.unit_id, target_type="feedback",
                 target_id=case.id, before=before, after={**snapshot(case), **extra})
    record_event(kind, unit_id=case.unit_id, park_id=case.park_id, case_id=case.id,
                 payload=payload)


def require_acting(user: StaffUser, unit_id: int) -> None:
    """The one check of the acting role: a viewer (or a stranger) changes nothing."""
    if not user.roles_in(unit_id) & ACTING_ROLES:
        raise ForbiddenError(_("Your account may read cases but not change them."))


def acting_unit_ids(user: StaffUser) -> list[int]:
    """The units in which the user may act (take cases down, change them): not as a viewer."""
    return sorted(unit_id for unit_id in user.unit_ids if user.roles_in(unit_id) & ACTING_ROLES)


def can_act_anywhere(user: StaffUser) -> bool:
    """Whether the user may act in some unit (a viewer or a bureau account may not)."""
    return bool(acting_unit_ids(user))


def locked_case(session: Session, user: StaffUser, case_id: int) -> Case:
    """The case, locked for update, if the user may act on it (else NotFound/Forbidden)."""
    case = session.get(Case, case_id, with_for_update=True)
    if case is None or case.unit_id not in user.unit_ids:
        raise NotFoundError(_("No such case."))
    require_acting(user, case.unit_id)
    return case


def can_act(user: StaffUser, case: Case) -> bool:
    return bool(user.roles_in(case.unit_id) & ACTING_ROLES)


def _action_message(case: Case, action: str, user_id: int | None, now: datetime,
                    body: str = "") -> None:
    case.messages.append(Message(kind=MessageKind.ACTION.value, action=action, body=body,
                                 author_id=user_id, created_at=now))


def _acknowledge(case: Case, user_id: int | None, now: datetime) -> None:
    """Taking a new case on acknowledges it (a status step in the thread)."""
    if case.status == Status.NEW:
        case.messages.append(Message(kind=MessageKind.STATUS.value, author_id=user_id,
                                     status_from=case.status,
                                     status_to=Status.ACKNOWLEDGED.value, created_at=now))
        apply_status(case, Status.ACKNOWLEDGED, now)


def colleagues(unit_id: int) -> list[StaffUser]:
    """Active staff of the unit who may take a case, by name."""
    users = db.session.scalars(
        select(StaffUser).join(Membership).where(
            Membership.unit_id == unit_id, Membership.role.in_(ACTING_ROLES),
            StaffUser.active.is_(True))
        .order_by(StaffUser.name, StaffUser.id).distinct()
    ).all()
    return list(users)


def claim_case(*, user: StaffUser, case_id: int) -> Case:
    """Take the case on: the user becomes its assignee (a new case is acknowledged)."""
    with write_transaction() as session:
        case = locked_case(session, user, case_id)
        if not case.is_open:
            raise DomainError(_("This case is closed."))
        if case.assignee_id == user.id:
            raise DomainError(_("You already have this case."))
        before = snapshot(case)
        now = case.updated_at = utcnow()
        case.assignee_id = user.id
        if case.claimed_at is None:
            case.claimed_at = now
        _action_message(case, "claimed", user.id, now)
        _acknowledge(case, user.id, now)
        publish_change(session, case, "case.claimed", "claimed", user_id=user.id, before=before)
    log.info("case %s claimed by user %s", case_id, user.id)
    return case


def assign_case(*, user: StaffUser, case_id: int, assignee_id: int) -> Case:
    """Give the case to a colleague of the same unit."""
    with write_transaction() as session:
        case = locked_case(session, user, case_id)
        if not case.is_open:
            raise DomainError(_("This case is closed."))
        assignee = session.get(StaffUser, assignee_id)
        if assignee is None or not assignee.active or\
                not assignee.roles_in(case.unit_id) & ACTING_ROLES:
            raise DomainError(_("Choose a colleague of this park."))
        if case.assignee_id == assignee.id:
            raise DomainError(_("%(name)s already has this case.", name=assignee.name))
        before = snapshot(case)
        now = case.updated_at = utcnow()
        case.assignee_id = assignee.id
        if case.claimed_at is None:
            case.claimed_at = now
        _action_message(case, "assigned", user.id, now, body=assignee.name)
        _acknowledge(case, user.id, now)
        publish_change(session, case, "case.assigned", "assigned", user_id=user.id,
                       before=before)
    log.info("case %s assigned to user %s by user %s", case_id, assignee_id, user.id)
    return case


def hand_back_case(*, user: StaffUser, case_id: int) -> Case:
    """Give the case back to the park's team (its holder or a director may)."""
    with write_transaction() as session:
        case = locked_case(session, user, case_id)
        if case.assignee_id is None:
            raise DomainError(_("Nobody has this case."))
        if case.assignee_id != user.id and "director" not in user.roles_in(case.unit_id):
            raise ForbiddenError(_("Only the person who has the case, or a director, can hand it "
                              "back."))
        before = snapshot(case)
        now = case.updated_at = utcnow()
        case.assignee_id = None
        _action_message(case, "handed_back", user.id, now)
        publish_change(session, case, "case.handed_back", "handed_back", user_id=user.id,
                       before=before)
    log.info("case %s handed back by user %s", case_id, user.id)
    return case


def _target(status: str | None) -> Status | None:
    """The status asked for; empty means "keep the status"."""
    # a form's Optional() lets whitespace through unchecked: it means "keep the status"
    value = (status or "").strip()
    if not value:
        return None
    try:
        return Status(value)
    except ValueError as error:
        raise DomainError(_("Please choose a status from the list.")) from error


def _referral(target: Status | None, referred_to: str | None) -> str:
    """To whom a referred case went (required for "referred", kept for no other status)."""
    referred_to = (referred_to or "").strip()
    if target != Status.REFERRED:
        return ""
    if not referred_to:
        raise DomainError(_("Say to whom the case was referred."))
    if len(referred_to) > MAX_REFERRED_TO:
        raise DomainError(_("Please keep it under %(max)d characters.", max=MAX_REFERRED_TO))
    return referred_to


def _check_move(case: Case, target: Status, *, replying: bool) -> None:
    """The state machine, and "every message answered": no close without a reply."""
    if not can_move(case.status, target):
        raise DomainError(_("A case that is %(status)s cannot be moved there.",
                            status=case.status))
    if needs_reply(case, target) and not replying:
        raise DomainError(_("Write the visitor a reply first: a case is closed only with "
                              "a word to them."))


def _add_reply(case: Case, body: str, user_id: int, now: datetime) -> Message:
    reply = Message(kind=MessageKind.REPLY.value, body=body, author_id=user_id,
                    created_at=now)
    case.messages.append(reply)
    if case.first_response_at is None:
        case.first_response_at = now
    case.updated_at = now
    return reply


def _move(case: Case, target: Status, user_id: int, now: datetime, referred_to: str) -> None:
    case.messages.append(Message(
        kind=MessageKind.STATUS.value, author_id=user_id, status_from=case.status,
        status_to=target.value, created_at=now, body=referred_to))
    apply_status(case, target, now)


def reply_to_visitor(
    *, user: StaffUser, case_id: int, body: str, new_status: str | None = None,
    referred_to: str | None = None,
) -> Message:
    """Add a public reply (and optionally move the status); staff are told after commit."""
    body = validate_body(body)
    target = _target(new_status)
    referral = _referral(target, referred_to)
    with write_transaction() as session:
        case = locked_case(session, user, case_id)
        reply = _reply(session, case, user, body, target, referral)
        reference = case.reference
    log.info("reply to %s by user %s", reference, user.id)
    return reply


def _reply(session: Session, case: Case, user: StaffUser, body: str, target: Status | None,
           referral: str) -> Message:
    """The reply, the move it asks for (answering a new case acknowledges it), the event
    and the audit record, in the caller's transaction."""
    if target is not None and target != case.status:
        _check_move(case, target, replying=True)
    now = utcnow()
    status_before = case.status
    reply = _add_reply(case, body, user.id, now)
    if target is None and case.status == Status.NEW:
        target = Status.ACKNOWLEDGED  # answering a case acknowledges it
    if target is not None and target != case.status:
        _move(case, target, user.id, now, referral)
    session.flush()
    record_event("case.updated", unit_id=case.unit_id, park_id=case.park_id,
                 case_id=case.id,
                 payload={**case_summary(case), "change": "reply", "by": user.id})
    record_audit("case.replied", user_id=user.id, unit_id=case.unit_id,
                 target_type="feedback", target_id=case.id,
                 before={"status": status_before}, after={"status": case.status})
    return reply


def answer_ticket(*, user: StaffUser, case_id: int, contact: str, result: str, body: str,
                  resolve: bool = False) -> Message:
    """The 回单 of a 12345 case: how the citizen was contacted, the result and the answer
    (also the case's reply, so the case is answered); optionally resolving it."""
    body = validate_body(body)
    try:
        contact_made, outcome = ReplyContact(contact), ReplyResult(result)
    except ValueError:
        raise DomainError(_("Please choose the contact made and the result.")) from None
    with write_transaction() as session:
        case = locked_case(session, user, case_id)
        ticket = session.scalar(select(HotlineTicket).where(HotlineTicket.case_id == case.id))
        if ticket is None:
            raise NotFoundError(_("This case did not come from the 12345 hotline."))
        reply = _reply(session, case, user, body, Status.RESOLVED if resolve else None, "")
        ticket.reply_contact, ticket.reply_result = contact_made.value, outcome.value
        ticket.reply_text, ticket.replied_at, ticket.replied_by_id = body, reply.created_at, user.id
        record_audit("hotline.replied", user_id=user.id, unit_id=case.unit_id,
                     target_type="hotline_ticket", target_id=ticket.id,
                     after={"contact": contact_made.value, "result": outcome.value})
    return reply


def add_staff_photos(*, user: StaffUser, case_id: int, photos: Sequence[PreparedPhoto]) -> None:
    """Staff add photos to a case of their unit (audited; other staff are told)."""
    with write_transaction() as session:
        case = locked_case(session, user, case_id)
        rows = add_photos(session, case, photos, uploaded_by_id=user.id)
        case.updated_at = utcnow()
        record_audit("case.photos_added", user_id=user.id, unit_id=case.unit_id,
                     target_type="feedback", target_id=case.id,
                     after={"photo_ids": [row.id for row in rows]})
        record_event("case.updated", unit_id=case.unit_id, park_id=case.park_id,
                     case_id=case.id, payload={"change": "photos", "by": user.id,
                                               "reference": case.reference,
                                               "status": case.status})
    log.info("user %s added %d photo(s) to case %s", user.id, len(photos), case_id)


def add_internal_note(*, user: StaffUser, case_id: int, body: str) -> Message:
    """A note for colleagues; the visitor never sees it."""
    body = validate_body(body)
    with write_transaction() as session:
        case = locked_case(session, user, case_id)
        before = snapshot(case)
        now = case.updated_at = utcnow()
        note = Message(kind=MessageKind.NOTE.value, body=body, author_id=user.id,
                       created_at=now)
        case.messages.append(note)
        publish_change(session, case, "case.noted", "noted", user_id=user.id, before=before)
    log.info("internal note on case %s by user %s", case_id, user.id)
    return note


def change_status(*, user: StaffUser, case_id: int, status: str,
                  referred_to: str | None = None, reply: str | None = None) -> Case:
    """Move the case through the state machine; "referred" says to whom. Closing a case
    that has no public reply yet needs one (`reply`, sent in the same step); spam needs none.
    """
    try:
        target = Status(status)
    except ValueError as error:
        raise DomainError(_("Unknown status.")) from error
    referral = _referral(target, referred_to)
    reply_body = validate_body(reply) if reply and reply.strip() else None
    with write_transaction() as session:
        case = locked_case(session, user, case_id)
        _check_move(case, target, replying=reply_body is not None)
        before = snapshot(case)
        now = utcnow()
        if reply_body is not None:
            _add_reply(case, reply_body, user.id, now)
        _move(case, target, user.id, now, referral)
        publish_change(session, case, "case.updated", "status", user_id=user.id, before=before,
                       replied=reply_body is not None)
    log.info("case %s moved to %s by user %s%s", case_id, target.value, user.id,
             " with a reply" if reply_body is not None else "")
    return case


# --- what the public sees (services/cases/public.py) --------------------------------------

def publish_summary(*, user: StaffUser, case_id: int, summary: str | None) -> Case:
    """Approve the text public outputs show for the case; empty withdraws it (the masked
    text is shown again). A summary may not hold what masking would hide."""
    text = (summary or "").strip()
    if text:
        text = validate_body(text)
        if mask_personal_data(text) != text:
            raise DomainError(_("The summary still holds a phone number, ID number, e-mail "
                                "address or licence plate: leave it out."))
    with write_transaction() as session:
        case = locked_case(session, user, case_id)
        before = {**snapshot(case), "public_summary": case.public_summary}
        case.public_summary = text or None
        case.updated_at = utcnow()
        publish_change(session, case, "case.updated",
                       "published" if text else "unpublished", user_id=user.id,
                       before=before, public_summary=case.public_summary)
    log.info("public summary of case %s %s by user %s", case_id,
             "approved" if text else "withdrawn", user.id)
    return case


def set_case_private(*, user: StaffUser, case_id: int, private: bool) -> Case:
    """Mark the case not public at all (no text, no photo in public outputs), or public."""
    with write_transaction() as session:
        case = locked_case(session, user, case_id)
        before = {**snapshot(case), "private": case.private}
        case.private = private
        case.updated_at = utcnow()
        publish_change(session, case, "case.updated", "private", user_id=user.id,
                       before=before, private=private)
    log.info("case %s made %s by user %s", case_id, "private" if private else "public",
             user.id)
    return case


def set_case_urgent(*, user: StaffUser, case_id: int, urgent: bool) -> Case:
    """Staff raise a case to urgent, or lower one (its words named a danger that is not one)."""
    with write_transaction() as session:
        case = locked_case(session, user, case_id)
        if case.urgent == urgent:
            return case
        before = {**snapshot(case), "urgent": case.urgent, "urgent_reason": case.urgent_reason}
        case.urgent, case.urgent_reason = urgent, "staff"
        now = case.updated_at = utcnow()
        follow_urgency(case, now)
        _action_message(case, "urgency", user.id, now, body="raised" if urgent else "lowered")
        publish_change(session, case, "case.updated", "urgency", user_id=user.id,
                       before=before, urgent=urgent)
    log.info("case %s %s by user %s", case_id, "raised to urgent" if urgent else
             "lowered from urgent", user.id)
    return case


def change_category(*, user: StaffUser, case_id: int, category_code: str) -> Case:
    """Refile the case under another of its unit's categories: its role and routing follow,
    an urgency that came from the category follows the new one, and the refiling is a label
    the unit's category model learns from."""
    with write_transaction() as session:
        case = locked_case(session, user, case_id)
        category = session.scalar(select(Category).where(
            Category.unit_id == case.unit_id, Category.code == (category_code or "").strip(),
            Category.active))
        if category is None:
            raise DomainError(_("Please choose one of the unit's categories."))
        if category.id == case.category_id:
            return case
        before = {**snapshot(case), "category": case.category.code,
                  "category_reason": case.category_reason}
        now = case.updated_at = utcnow()
        case.category_id, case.category = category.id, category
        case.category_reason = "staff"
        case.responsible_role = responsible_role(category, case.park_id, case.spot_id)
        if case.urgent_reason in (None, "category") and case.urgent != category.urgent:
            case.urgent = category.urgent
            case.urgent_reason = "category" if category.urgent else None
            follow_urgency(case, now)
        _action_message(case, "category", user.id, now, body=category.code)
        mark_model_stale(session, case.unit_id)
        publish_change(session, case, "case.updated", "category", user_id=user.id,
                       before=before, category=category.code)
    log.info("case %s refiled under %s by user %s", case_id, category_code, user.id)
    return case


def set_photo_public(*, user: StaffUser, case_id: int, photo_id: int, public: bool) -> Case:
    """Make one photo of the case public (Open311's media_url), or not public again."""
    with write_transaction() as session:
        case = locked_case(session, user, case_id)
        photo = find_photo_of_case(case, photo_id)
        before = {**snapshot(case), "photo_id": photo.id, "public": photo.public}
        photo.public = public
        case.updated_at = utcnow()
        publish_change(session, case, "case.updated", "photo_public", user_id=user.id,
                       before=before, photo_id=photo.id, public=public)
    log.info("photo %s of case %s made %s by user %s", photo_id, case_id,
             "public" if public else "not public", user.id)
    return case


# --- done by the clock -------------------------------------------------------------------

def _director_ids(unit_id: int) -> list[int]:
    return sorted(set(db.session.scalars(
        select(Membership.user_id).where(Membership.unit_id == unit_id,
                                         Membership.role == "director"))))


def escalate_case(case_id: int, reason: str, now: datetime) -> int:
    """Tell the unit's directors that a case missed its claim or reply limit (once each)."""
    with write_transaction() as session:
        case = session.get(Case, case_id, with_for_update=True)
        if case is None or not case.is_open:
            return 0
        if reason == "claim":
            if case.claimed_at is not None or case.escalated_at is not None:
                return 0
            case.escalated_at = now
        else:
            if case.first_response_at is not None or case.reply_escalated_at is not None:
                return 0
            case.reply_escalated_at = now
        before = snapshot(case)
        _action_message(case, "escalated", None, now, body=reason)
        due = case.claim_due_at if reason == "claim" else case.reply_due_at
        publish_change(session, case, "case.escalated", "escalated", user_id=None,
                       before=before, reason=reason,
                       due_at=due.isoformat() if due else None,
                       director_ids=_director_ids(case.unit_id))
        if reason == "claim":  # the ladder's last step: SMS to the directors as well
            fire_directors_step(session, case, now)
        reference = case.reference
    log.info("case %s escalated to the directors: %s overdue", reference, reason)
    return 1


def close_resolved_cases(now: datetime) -> int:
    """Close cases resolved longer ago than their unit's auto-close delay."""
    candidates = db.session.execute(
        select(Case.id, Case.resolved_at, Unit.autoclose_days)
        .join(Unit, Unit.id == Case.unit_id)
        .where(Case.status == Status.RESOLVED.value, Case.resolved_at.is_not(None))
        .order_by(Case.id)
    ).all()
    db.session.commit()  # end the read before the writes
    due = [case_id for case_id, resolved_at, days in candidates
           if resolved_at and resolved_at + timedelta(days=days) <= now]
    closed = 0
    for case_id in due:
        with write_transaction() as session:
            case = session.get(Case, case_id, with_for_update=True)
            if case is None or case.status != Status.RESOLVED:
                continue
            before = snapshot(case)
            case.messages.append(Message(
                kind=MessageKind.STATUS.value, status_from=case.status,
                status_to=Status.CLOSED.value, created_at=now))
            apply_status(case, Status.CLOSED, now)
            publish_change(session, case, "case.updated", "autoclosed", user_id=None,
                           before=before)
            closed += 1
    if closed:
        log.info("auto-close: %d resolved cases closed", closed)
    return closed

