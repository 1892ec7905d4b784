"""Submitting feedback, finding cases, replying to visitors and changing status."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import Select, and_, bindparam, select
from sqlalchemy.orm import Session, joinedload, selectinload

from app.database import write_transaction
from app.extensions import db
from app.models import (
    Case,
    CaseChannel,
    CaseToken,
    Category,
    HotlineTicket,
    Message,
    MessageKind,
    Park,
    Source,
    Spot,
    StaffUser,
    Status,
)
from app.models.types import utcnow
from app.realtime.publish import record_event
from app.security import hash_token, new_tracking_token
from app.services.accounts.audit import record_audit
from app.services.cases.abuse import SubmissionRefused, is_blocked
from app.services.cases.danger import names_a_danger, urgent_reason
from app.services.cases.deadlines import set_deadlines
from app.services.cases.metoo import find_me_too_case, join_me_too
from app.services.cases.operations import require_acting
from app.services.cases.photos import MAX_PHOTOS, PreparedPhoto, add_photos
from app.services.cases.references import next_reference
from app.services.cases.routing import responsible_role
from app.services.cases.suggest import OTHER, confident_suggestion
from app.services.cases.summaries import MAX_BODY, case_summary, excerpt, validate_body
from app.services.cases.voice import PreparedVoice, add_voice_note
from app.services.cases.zones import zone_intake
from app.services.errors import DomainError, NotFoundError
from app.services.notify.visitors import queue_received
from app.services.platform.urls import absolute_url

log = logging.getLogger(__name__)

SPOT_CODE = re.compile(r"[A-Za-z0-9_-]{1,16}")

__all__ = ["MAX_BODY", "Receipt", "case_summary", "excerpt", "submit_case",
           "validate_body"]


def tracking_url(token: str) -> str:
    """A visitor's private link to their case: BASE_URL/t/<token>."""
    return absolute_url(f"/t/{token}")


@dataclass(frozen=True)
class TakenDown:
    """A case staff took down: who, and how they heard of it."""

    user: StaffUser
    channel: CaseChannel


def find_spot_by_code(code: str) -> Spot:
    """An active spot by its code (the one on its QR code), or NotFound."""
    code = (code or "").strip()
    if not SPOT_CODE.fullmatch(code):  # never a query with text no spot code can hold
        raise NotFoundError(_("This QR code is not in use."))
    spot = db.session.scalar(select(Spot).where(Spot.code == code))
    if spot is None or not spot.active:
        raise NotFoundError(_("This QR code is not in use."))
    return spot


def take_case_down(*, user: StaffUser, spot_code: str, category_code: str, body: str,
                   channel: str, contact: str | None = None,
                   photos: Sequence[PreparedPhoto] = (), language: str = "zh_CN") -> Case:
    """A case staff take down for a caller, a visitor at the counter or from a patrol: the
    same workflow, routing, alerts and figures as a QR case, with its channel recorded.
    A spot of another unit is not found; a read-only viewer is refused."""
    try:
        how = CaseChannel(channel)
    except ValueError:
        raise DomainError(_("Please choose how you heard of it.")) from None
    spot = find_spot_by_code(spot_code)
    receipt = submit_case(spot_id=spot.id, category_code=category_code, body=body,
                          contact=contact, language=language, photos=photos,
                          taken_down=TakenDown(user=user, channel=how))
    return receipt.case


@dataclass(frozen=True)
class Receipt:
    """What a visitor gets back: the case and the one-time view of their private token."""

    case: Case
    token: str
    joined: bool = False  # the report joined an open case about the same problem ("me too")


@dataclass(frozen=True)
class Tracking:
    """The case behind a tracking link, and which visitor's link it is."""

    case: Case
    link_id: int | None  # None: the first visitor; else the "me too" link (CaseToken)


@cache  # built once: every submission runs it (app/database.py, "Statements built once")
def _spot_and_category_statement() -> Select[Spot, Category]:
    return (select(Spot, Category).join(Park, Park.id == Spot.park_id)
            .outerjoin(Category, and_(Category.unit_id == Park.unit_id,
                                      Category.code == bindparam("category_code"),
                                      Category.active))
            .where(Spot.id == bindparam("spot_id"))
            .options(joinedload(Spot.park).joinedload(Park.unit)))


def submit_case(
    *,
    spot_id: int,
    category_code: str,
    body: str,
    contact: str | None = None,
    rating: int | None = None,
    language: str = "zh_CN",
    photos: Sequence[PreparedPhoto] = (),
    client_hash: str | None = None,
    source: Source = Source.QR,
    latitude: float | None = None,
    longitude: float | None = None,
    media_url: str | None = None,
    contact_note: str | None = None,
    taken_down: TakenDown | None = None,
    hotline_ticket: HotlineTicket | None = None,
    zone_code: str | None = None,
    voice: PreparedVoice | None = None,
) -> Receipt:
    """Store a visitor's message (and photos) as a new case; tell the staff after commit.

    `taken_down`: staff took the case down themselves (a call, a visitor at the counter, a
    patrol); they must act in the spot's unit, and the thread says who and how.
    `hotline_ticket`: a 12345 ticket becomes this case (stored with it, in the same
    transaction); the case keeps the hotline's time limits and no contact (the citizen's stays
    on the ticket, for the unit's staff).
    `zone_code`: the visitor picked an open seasonal zone's choice instead of a category; the
    case carries the zone, is filed under the zone's category and answered by the role the
    unit mapped the zone to (services.cases.zones); it never joins another as "me too".
    `voice`: the visitor's voice note, re-encoded (services.cases.voice); with one, the words
    may be left out (a report without words never joins another as "me too")."""
    body = validate_body(body, voice=voice is not None)
    if taken_down is not None:
        source = Source.STAFF
    if hotline_ticket is not None:
        source = Source.HOTLINE
    if rating is not None and not 1 <= rating <= 5:
        raise DomainError(_("A rating is a number from 1 to 5."))
    token = new_tracking_token()
    with write_transaction() as session:
        # the spot (with park and unit) and the chosen category, in one statement
        row = session.execute(_spot_and_category_statement(),
                              {"spot_id": spot_id, "category_code": category_code}).first()
        if row is None or not row[0].active or (
                taken_down and row[0].park.unit_id not in taken_down.user.unit_ids):
            raise NotFoundError(_("This QR code is not in use."))
        spot, category = row
        unit = spot.park.unit
        if taken_down is not None:
            require_acting(taken_down.user, unit.id)
        now = utcnow()
        intake = (zone_intake(session, unit, spot.park_id, zone_code, now)
                  if zone_code and source == Source.QR and taken_down is None else None)
        if intake is not None:
            category = intake.category
        if category is None:
            raise DomainError(_("Please choose what the message is about."))
        chosen = category
        if taken_down is None and intake is None:
            category = _suggested_instead_of_other(session, unit.id, category, body)
        if client_hash and is_blocked(session, unit.id, client_hash, now):
            log.info("submission from blocked client %s at point %s refused",
                     client_hash[:8], spot_id)
            raise SubmissionRefused("blocked")
        # danger first: words naming an immediate danger make the case urgent, of its own
        danger = names_a_danger(body, unit.danger_words)
        why_urgent = urgent_reason(danger, category.urgent)
        # "me too" is for visitors at the spot whose words say it is the same problem, never
        # for an urgent report (staff must see it at once, as a case of its own) nor a zone's;
        # other sources keep one case per request
        joined = (find_me_too_case(session, unit, spot, category, now, body)
                  if source == Source.QR and why_urgent is None and intake is None and body
                  else None)
        # a report whose photos the open case has no room for stays a case of its own
        if joined is not None and (not photos
                                   or len(joined.photos) + len(photos) <= MAX_PHOTOS):
            def attach(link: CaseToken) -> None:
                # this visitor's photos and voice note: their tracking page shows them, no
                # other visitor's
                if photos:
                    add_photos(session, joined, photos, case_token_id=link.id)
                if voice is not None:
                    add_voice_note(session, joined, voice, case_token_id=link.id)

            join_me_too(session, joined, token_hash=hash_token(token), body=body,
                        contact=(contact or "").strip() or None, rating=rating,
                        language=language, now=now, tracking_link=tracking_url(token),
                        attach=attach if photos or voice is not None else None)
            return Receipt(case=joined, token=token, joined=True)
        case = Case(
            reference=next_reference(session, unit, now),
            token_hash=hash_token(token),
            unit_id=unit.id,
            park_id=spot.park_id,
            spot_id=spot.id,
            category_id=category.id,
            category_chosen=chosen.code,
            category_reason=("zone" if intake else "visitor") if category is chosen else "text",
            zone_id=intake.zone.id if intake else None,
            body=body,
            rating=rating,
            contact=(contact or "").strip() or None,
            client_hash=client_hash,
            language=language,
            source=source.value,
            channel=taken_down.channel.value if taken_down else None,
            latitude=latitude,
            longitude=longitude,
            media_url=media_url,
            contact_note=contact_note,
            status=Status.NEW.value,
            urgent=why_urgent is not None,
            urgent_reason=why_urgent,
            responsible_role=(intake.role if intake else
                              responsible_role(category, spot.park_id, spot.id)),
            created_at=now,
            updated_at=now,
            voice_notes=[],  # known empty: the alert's summary reads it without a query
        )
        set_deadlines(case, unit, category, now)
        if taken_down is not None and taken_down.channel == CaseChannel.PATROL:
            case.reply_due_at = None  # nobody waits for a word: the fix is the answer
        if hotline_ticket is not None:  # 接诉即办: the hotline's limits, not the unit's
            case.reply_due_at = hotline_ticket.respond_due_at or case.reply_due_at
            case.resolve_due_at = hotline_ticket.resolve_due_at or case.resolve_due_at
        case.messages.append(Message(kind=MessageKind.VISITOR.value, body=body, created_at=now))
        if taken_down is not None:
            case.messages.append(Message(kind=MessageKind.ACTION.value, action="taken_down",
                                         body=taken_down.channel.value,
                                         author_id=taken_down.user.id, created_at=now))
        if hotline_ticket is not None:
            case.messages.append(Message(kind=MessageKind.ACTION.value, action="hotline",
                                         body=hotline_ticket.ticket_id, created_at=now))
        session.add(case)
        session.flush()
        if hotline_ticket is not None:
            hotline_ticket.case_id = case.id
            hotline_ticket.park_id = spot.park_id
            hotline_ticket.needs_place = False
            session.add(hotline_ticket)
        if taken_down is not None:
            record_audit("case.taken_down", user_id=taken_down.user.id, unit_id=unit.id,
                         target_type="case", target_id=case.id,
                         after={"channel": taken_down.channel.value})
        if photos:
            add_photos(session, case, photos)
        if voice is not None:
            add_voice_note(session, case, voice)
        # "received", with the private link, to a visitor who left a contact
        queue_received(session, case, case.messages[0], contact=case.contact,
                       language=language,
                       tracking_link=tracking_url(token))
        record_event(
            "feedback.created",
            unit_id=unit.id,
            park_id=case.park_id,
            case_id=case.id,
            payload=case_summary(case),
        )
        reference = case.reference
    log.info("feedback %s submitted at point %s (%s)%s", reference, spot_id, source.value,
             f", urgent: it names a danger ({danger})" if danger else "")
    return Receipt(case=case, token=token)


def _suggested_instead_of_other(session: Session, unit_id: int, chosen: Category,
                                body: str) -> Category:
    """A visitor unsure of the category picked "other": when the words say confidently which
    of the unit's categories it is, the case is filed and routed under it (staff see why and
    undo it in one tap). Any other choice is the visitor's and stays."""
    if chosen.code != OTHER:
        return chosen
    best = confident_suggestion(unit_id, body)
    if best is None:
        return chosen
    suggested = session.scalar(select(Category).where(
        Category.unit_id == unit_id, Category.code == best.category, Category.active))
    return suggested or chosen


def find_case_by_token(token: str) -> Case:
    """The case behind a tracking link; a wrong token looks exactly like a missing one."""
    return find_tracking(token).case


def find_tracking(token: str) -> Tracking:
    """The case behind a visitor's own link or a "me too" link to it."""
    token_hash = hash_token(token)
    case = db.session.scalar(
        select(Case)
        .where(Case.token_hash == token_hash)
        .options(selectinload(Case.messages))
    )
    if case is not None:
        return Tracking(case=case, link_id=None)
    link = db.session.scalar(select(CaseToken).where(CaseToken.token_hash == token_hash))
    if link is None:
        raise NotFoundError(_("This tracking link does not exist."))
    return Tracking(case=link.case, link_id=link.id)


def get_case_for_staff(user: StaffUser, case_id: int) -> Case:
    """A case the user may see; another unit's case is simply not found."""
    case = db.session.get(Case, case_id)
    if case is None or case.unit_id not in user.unit_ids:
        raise NotFoundError(_("No such case."))
    return case
