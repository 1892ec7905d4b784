"""The escalation ladder: who is alerted, and how, while nobody has claimed a case.

1. A new case goes at once to push (services.notify.push) and the unit's group robots
   (services.notify.channels), by session hooks in the case's own transaction.
2. An urgent case nobody claimed within the unit's `ladder_sms_minutes` (default 5) goes by
   SMS to the on-call holders of its responsible role who have a mobile and SMS on (quiet
   hours never hold back an urgent case): `fire_oncall_step`, run by the job `ladder.tick`.
3. A case nobody claimed by its claim deadline is escalated to the directors (push, by the
   escalation's own event) and, if the unit keeps `ladder_director_sms` on, by SMS to the
   directors with a mobile and SMS on: `fire_directors_step`, in the escalation's own
   transaction (operations.escalate_case, run by `sla.tick` and by `ladder.tick`).

Each step is one `LadderStep` row per case (a unique key on case and step), written with
its `StaffSms` outbox rows and its audit entry in one transaction under the case's row
lock: it fires once, whatever the number of processes. Claiming stops the ladder: no step
fires for a claimed case, and an SMS not sent yet when the case is claimed is not sent
(state "stopped"). The SMS go through the pluggable sender the visitor notifications use
(SMS_SENDER), claimed row by row like every outbox here, retried with backoff.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.database import write_transaction
from app.extensions import db
from app.models import (
    OPEN_STATUSES,
    AlertDelivery,
    Case,
    LadderStep,
    PushDelivery,
    PushSubscription,
    StaffSms,
    StaffUser,
    Unit,
)
from app.models.types import utcnow
from app.services.accounts.audit import record_audit
from app.services.notify.outbox import drain, one_by_one
from app.services.notify.recipients import sms_recipients
from app.services.notify.sms import masked, sms_sender
from app.services.notify.visitors import retry_delay
from app.services.platform.urls import absolute_url

log = logging.getLogger(__name__)

ONCALL_SMS, DIRECTORS = "oncall_sms", "directors"
PENDING, SENT, FAILED, STOPPED = "pending", "sent", "failed", "stopped"
MIN_MINUTES, MAX_MINUTES = 1, 240
# a step more than this late (the job loop was down, or the case is older than the ladder)
# is skipped rather than waking people for a stale case
TOO_LATE = timedelta(hours=24)
CLAIM_TIMEOUT = timedelta(minutes=5)
MAX_ATTEMPTS = 8
BATCH = 100


def _text(case: Case, step: str, minutes: int) -> str:
    """The SMS: reference, place, category and the link; never the visitor's words or
    contact. In Chinese, like the push alerts."""
    with force_locale("zh_CN"):
        place = case.park.name("zh_CN")
        if case.spot is not None:
            place += " · " + case.spot.name("zh_CN")
        link = absolute_url(f"/staff/cases/{case.id}")
        if step == ONCALL_SMS:
            return str(_("[Park Mailbox] Urgent %(reference)s at %(place)s (%(category)s): nobody "
                     "has taken it on in %(minutes)d min. %(link)s", reference=case.reference,
                     place=place, category=case.category.name("zh_CN"), minutes=minutes,
                     link=link))
        return str(_("[Park Mailbox] %(reference)s at %(place)s (%(category)s) passed its claim "
                 "deadline: nobody has taken it on. %(link)s", reference=case.reference,
                 place=place, category=case.category.name("zh_CN"), link=link))


def _fire(session: Session, case: Case, step: str, people: list[StaffUser], pushed: int,
          now: datetime, minutes: int) -> LadderStep:
    row = LadderStep(case_id=case.id, unit_id=case.unit_id, step=step, fired_at=now,
                     pushed=pushed, texted=len(people))
    session.add(row)
    session.flush()
    body = _text(case, step, minutes)
    for person in people:
        assert person.mobile is not None  # noqa: S101 - selected with a mobile
        session.add(StaffSms(step_id=row.id, case_id=case.id, user_id=person.id,
                             phone=person.mobile, body=body, state=PENDING, attempts=0,
                             next_attempt_at=now, created_at=now))
    record_audit(f"case.ladder_{step}", user_id=None, unit_id=case.unit_id,
                 target_type="case", target_id=case.id,
                 after={"step": step, "pushed": pushed, "texted": len(people),
                        "to": [masked(person.mobile or "") for person in people]})
    log.info("ladder step %s for case %s: pushed %d, SMS to %d", step, case.reference,
             pushed, len(people))
    return row


def _already(session: Session, case_id: int, step: str) -> bool:
    return session.scalar(select(LadderStep.id).where(
        LadderStep.case_id == case_id, LadderStep.step == step)) is not None


def fire_directors_step(session: Session, case: Case, now: datetime) -> LadderStep | None:
    """The claim deadline passed with nobody on the case: in the escalation's transaction
    (the case locked), after its event queued the directors' pushes."""
    if case.claimed_at is not None or _already(session, case.id, DIRECTORS):
        return None
    session.flush()  # the escalation's pushes, queued by the session hook
    pushed = session.scalar(
        select(func.count(func.distinct(PushSubscription.user_id)))
        .join(PushDelivery, PushDelivery.subscription_id == PushSubscription.id)
        .where(PushDelivery.case_id == case.id, PushDelivery.event == "case.escalated")) or 0
    unit = session.get(Unit, case.unit_id)
    people = sms_recipients(session, case.unit_id, {"director"}, on_call_only=False)\
        if unit is not None and unit.ladder_director_sms else []
    return _fire(session, case, DIRECTORS, people, int(pushed), now, 0)


def fire_oncall_step(case_id: int, now: datetime) -> int:
    """An urgent case nobody claimed in time: SMS to the on-call holders of its role (once)."""
    with write_transaction() as session:
        case = session.get(Case, case_id, with_for_update=True)
        if case is None or not case.is_open or case.claimed_at is not None or not case.urgent:
            return 0
        minutes = case.unit.ladder_sms_minutes
        if now < case.created_at + timedelta(minutes=minutes):
            return 0
        if _already(session, case.id, ONCALL_SMS):
            return 0
        role = case.responsible_role or "director"
        people = sms_recipients(session, case.unit_id, {role}, on_call_only=True)
        _fire(session, case, ONCALL_SMS, people, 0, now, minutes)
    return 1


def due_oncall_cases(now: datetime) -> list[int]:
    """Urgent open cases nobody claimed, past their unit's minutes and not yet texted."""
    open_values = [s.value for s in OPEN_STATUSES]
    fired = select(LadderStep.id).where(LadderStep.case_id == Case.id,
                                        LadderStep.step == ONCALL_SMS)
    rows = db.session.execute(
        select(Case.id, Case.created_at, Unit.ladder_sms_minutes)
        .join(Unit, Unit.id == Case.unit_id)
        .where(Case.status.in_(open_values), Case.urgent, Case.claimed_at.is_(None),
               Case.created_at > now - TOO_LATE - timedelta(minutes=MAX_MINUTES),
               ~fired.exists())
        .order_by(Case.id)).all()
    return [case_id for case_id, created_at, minutes in rows
            if created_at + timedelta(minutes=minutes) <= now < created_at + TOO_LATE]


# --- the SMS outbox -------------------------------------------------------------------

def _claim(sms_id: int, now: datetime) -> bool:
    with write_transaction() as session:
        result = session.execute(
            update(StaffSms)
            .where(StaffSms.id == sms_id, StaffSms.state == PENDING,
                   StaffSms.next_attempt_at <= now)
            .values(attempts=StaffSms.attempts + 1, next_attempt_at=now + CLAIM_TIMEOUT))
        return bool(result.rowcount)  # type: ignore[attr-defined]


def _record(sms_id: int, now: datetime, state: str | None, error: str | None) -> str:
    with write_transaction() as session:
        sms = session.get(StaffSms, sms_id)
        assert sms is not None  # noqa: S101 - outbox rows are never deleted
        if state is not None:
            sms.state, sms.last_error = state, error
        elif error is None:
            sms.state, sms.sent_at, sms.last_error = SENT, now, None
        else:
            sms.last_error = error[:500]
            if sms.attempts >= MAX_ATTEMPTS:
                sms.state = FAILED
            else:
                sms.next_attempt_at = now + retry_delay(sms.attempts)
        return sms.state


def deliver_sms(sms_id: int, now: datetime) -> str | None:
    """One attempt at one due SMS; its state after, None if another process has it."""
    db.session.rollback()
    if not _claim(sms_id, now):
        return None
    sms = db.session.get(StaffSms, sms_id)
    assert sms is not None  # noqa: S101 - just claimed
    case = db.session.get(Case, sms.case_id)
    person = db.session.get(StaffUser, sms.user_id)
    phone, body = sms.phone, sms.body
    db.session.commit()  # no transaction held while the gateway answers
    if case is None or case.claimed_at is not None or not case.is_open:
        return _record(sms_id, now, STOPPED, "claimed before it was sent")
    if person is None or not person.active:
        return _record(sms_id, now, FAILED, "account deactivated")
    error = None
    try:
        sms_sender().send(phone, body, None)
    except Exception as exc:  # any failure of any gateway is retried later
        error = f"{type(exc).__name__}: {exc}"
        db.session.rollback()
    state = _record(sms_id, now, None, error)
    if error is None:
        log.info("ladder SMS %s sent to %s", sms_id, masked(phone))
    else:
        log.warning("ladder SMS %s to %s failed (%s), now %s", sms_id, masked(phone), error,
                    state)
    return state


def due_sms_ids(now: datetime, limit: int) -> list[int]:
    ids = list(db.session.scalars(
        select(StaffSms.id).where(StaffSms.state == PENDING, StaffSms.next_attempt_at <= now)
        .order_by(StaffSms.next_attempt_at, StaffSms.id).limit(limit)))
    db.session.commit()
    return ids


@dataclass(frozen=True)
class LadderReport:
    fired: int = 0
    sent: int = 0


def run_ladder(now: datetime | None = None) -> LadderReport:
    """The job `ladder.tick`: fire the steps that are due, then send the due SMS."""
    from app.services.cases.operations import escalate_case  # noqa: PLC0415 - it calls us

    now = now or utcnow()
    urgent = due_oncall_cases(now)
    open_values = [s.value for s in OPEN_STATUSES]
    claim_late = list(db.session.scalars(select(Case.id).where(
        Case.status.in_(open_values), Case.claimed_at.is_(None), Case.escalated_at.is_(None),
        Case.claim_due_at <= now).order_by(Case.id)))
    db.session.commit()
    fired = sum(fire_oncall_step(case_id, now) for case_id in urgent)
    fired += sum(escalate_case(case_id, "claim", now) for case_id in claim_late)
    states = drain(due_sms_ids, one_by_one(deliver_sms), now, BATCH)
    return LadderReport(fired=fired, sent=states.count(SENT))


# --- what the case page shows ---------------------------------------------------------

@dataclass(frozen=True)
class LadderView:
    pushed: int  # people pushed when the case came
    phones: int
    channels: int  # group robots and webhooks it went to
    steps: list[LadderStep]


def case_ladder(case: Case) -> LadderView:
    """The ladder so far for the case page: the first alert, then each step fired."""
    pushed, phones = db.session.execute(
        select(func.count(func.distinct(PushSubscription.user_id)), func.count())
        .select_from(PushDelivery)
        .join(PushSubscription, PushSubscription.id == PushDelivery.subscription_id)
        .where(PushDelivery.case_id == case.id, PushDelivery.event == "feedback.created")).one()
    channels = db.session.scalar(select(func.count(func.distinct(AlertDelivery.channel_id)))
                                 .where(AlertDelivery.case_id == case.id,
                                        AlertDelivery.event == "feedback.created")) or 0
    steps = list(db.session.scalars(select(LadderStep).where(LadderStep.case_id == case.id)
                                    .order_by(LadderStep.fired_at, LadderStep.id)))
    return LadderView(int(pushed or 0), int(phones or 0), int(channels), steps)
