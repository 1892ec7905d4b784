"""What staff phones are told about a case, and the checks on a message's text."""

from __future__ import annotations

from functools import cache
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Integer, Select, bindparam, func, inspect, select

from app.extensions import db
from app.models import Case, Photo, VoiceNote
from app.services.cases.deadlines import next_deadline
from app.services.errors import DomainError

MAX_BODY = 4000
EXCERPT_CHARS = 80


def excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def voice_label(case: Case) -> str:
    """What stands for a case's words when it has only a voice note: "🎤 0:12"."""
    if not case.voice_notes:
        return ""
    seconds = round(case.voice_notes[0].duration_ms / 1000)
    return f"🎤 {seconds // 60}:{seconds % 60:02d}"


@cache  # built once: every "me too" runs it (app/database.py, "Statements built once")
def _attachments_statement() -> Select[int, int]:
    case_id = bindparam("case_id", type_=Integer)
    return select(select(func.count()).where(Photo.case_id == case_id).scalar_subquery(),
                  select(func.count()).where(VoiceNote.case_id == case_id).scalar_subquery())


def attachment_counts(case: Case) -> tuple[int, int]:
    """How many photos and voice notes a case has: from its collections when the session
    holds them, else counted in one statement (loading the two collections takes two, and
    builds every photo and note). A pending photo or note is counted only when the session
    flushes before the count, as it does unless the caller turned that off."""
    unloaded = inspect(case).unloaded
    if "photos" not in unloaded and "voice_notes" not in unloaded:
        return len(case.photos), len(case.voice_notes)
    counted = db.session.execute(_attachments_statement(), {"case_id": case.id}).one()
    return (len(case.photos) if "photos" not in unloaded else counted[0],
            len(case.voice_notes) if "voice_notes" not in unloaded else counted[1])


def case_summary(case: Case) -> dict[str, Any]:
    """The small payload staff phones get about a case (never the visitor's contact)."""
    spot = case.spot
    photo_count, voice_count = attachment_counts(case)
    return {
        "reference": case.reference,
        "status": case.status,
        "park_name": case.park.name_zh,
        "park_name_en": case.park.name_en,
        "point_name": spot.name_zh if spot else "",
        "point_name_en": spot.name_en if spot else "",
        "category": case.category.code,
        "category_name": case.category.name_zh,
        "category_name_en": case.category.name_en,
        "category_icon": case.category.icon,
        "role": case.responsible_role or case.category.role,
        "urgent": case.urgent,
        "urgent_reason": case.urgent_reason,
        "excerpt": excerpt(case.body) or voice_label(case),
        "me_too_count": case.me_too_count,
        "photo_count": photo_count,
        "voice_count": voice_count,
        "created_at": case.created_at.isoformat(),
        # the next time limit ("claim", "reply", "resolve"), for the card's countdown
        **_next_limit(case),
    }


def _next_limit(case: Case) -> dict[str, Any]:
    upcoming = next_deadline(case)
    if upcoming is None:
        return {"next_limit": None, "next_due_at": None}
    which, due_at = upcoming
    return {"next_limit": which, "next_due_at": due_at.isoformat()}


def validate_body(body: str, *, voice: bool = False) -> str:
    """The message's words, trimmed; none is enough only beside a voice note."""
    body = (body or "").strip()
    if not body and not voice:
        raise DomainError(_("Please write a few words about the problem."))
    if len(body) > MAX_BODY:
        raise DomainError(_("Please keep the message under %(max)d characters.", max=MAX_BODY))
    return body
