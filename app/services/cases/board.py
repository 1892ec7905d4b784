"""A park's public board, "you said, we did" (GET /p/<park_code>).

What it shows follows the public rules of `app.services.cases.public`: a case's words only
as the summary staff approved or masked, the park's reply masked, photos only those staff
made public; a private or spam case never; a contact never (the board reads none).
The month's three rates and median first reply are the bureau's (`compare_parks`), read
from the rollups.

The board is kept in memory per process for BOARD_CACHE_SECONDS: a change committed in
this process to a case, message, photo, park or spot empties the cache at once (the session
hooks of `app.services.platform.hooks`); other processes see it within those seconds.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from time import monotonic
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.extensions import db
from app.models import Case, Message, MessageKind, Park, Photo, Spot, Status
from app.models.org import PARK_CODE, local_name
from app.models.types import utcnow
from app.services.bureau.analytics import compare_parks, next_month
from app.services.bureau.rollups import REPORT_TZ
from app.services.cases.public import public_description, public_photos, public_reply
from app.services.errors import NotFoundError

LATEST_CASES = 10
PHOTOS_PER_CASE = 2
# dealt with: what the board shows as "we did" (duplicates point at another case)
DONE_STATUSES = (Status.RESOLVED.value, Status.CLOSED.value, Status.NO_ACTION.value,
                 Status.REFERRED.value)
_WATCHED = (Case, Message, Photo, Park, Spot)
CHANGED_KEY = "park_mailbox_board_changed"


@dataclass(frozen=True)
class MonthFigures:
    """One month of a park: its cases and the bureau's three rates (None: nothing counts)."""

    month: date
    cases: int
    response_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None
    median_response_minutes: float | None
    partial: bool  # the month is not over: its figures will still change


@dataclass(frozen=True)
class DoneCase:
    """A case dealt with, as the public may see it."""

    reference: str
    category_zh: str
    category_en: str
    icon: str
    spot_zh: str
    spot_en: str
    status: str
    done_at: datetime
    said: str  # the approved summary, or the visitor's words masked
    did: str | None  # the park's last public reply, masked
    photo_ids: tuple[int, ...]

    def category(self, locale: str) -> str:
        return local_name(self.category_zh, self.category_en, locale)

    def spot(self, locale: str) -> str:
        return local_name(self.spot_zh, self.spot_en, locale)


@dataclass(frozen=True)
class Board:
    park_id: int
    park_code: str
    park_zh: str
    park_en: str
    unit_zh: str
    unit_en: str
    timezone: str
    months: tuple[MonthFigures, ...]  # this month, then last month
    cases: tuple[DoneCase, ...]  # newest first

    def park(self, locale: str) -> str:
        return local_name(self.park_zh, self.park_en, locale)

    def unit(self, locale: str) -> str:
        return local_name(self.unit_zh, self.unit_en, locale)


def find_park(park_code: str) -> Park:
    code = (park_code or "").strip().lower()
    park = (db.session.scalar(select(Park).where(Park.park_code == code))
            if PARK_CODE.fullmatch(code) else None)
    if park is None:
        raise NotFoundError("No such park.")
    return park


def month_figures(park: Park, month: date, today: date) -> MonthFigures:
    """The bureau's figures of one park over one calendar month (the city's calendar)."""
    end = next_month(month)
    figures = compare_parks([park], month, end, min_cases=0).rows[0].figures
    return MonthFigures(
        month=month, cases=figures.cases, response_rate=figures.response_rate,
        resolution_rate=figures.resolution_rate, satisfaction_rate=figures.satisfaction_rate,
        median_response_minutes=figures.median_response_minutes, partial=end > today)


def _last_replies(case_ids: list[int]) -> dict[int, str]:
    if not case_ids:
        return {}
    newest = (select(func.max(Message.id))
              .where(Message.case_id.in_(case_ids), Message.kind == MessageKind.REPLY.value)
              .group_by(Message.case_id))
    return dict(db.session.execute(select(Message.case_id, Message.body)
                                   .where(Message.id.in_(newest))).all())


def done_cases(park: Park, limit: int = LATEST_CASES) -> list[DoneCase]:
    """The park's latest cases dealt with, newest first; never a private or spam case."""
    done_at = func.coalesce(Case.closed_at, Case.resolved_at, Case.updated_at)
    cases = db.session.scalars(
        select(Case).where(Case.park_id == park.id, Case.status.in_(DONE_STATUSES),
                           Case.private.is_(False))
        .options(selectinload(Case.photos), selectinload(Case.category),
                 selectinload(Case.spot))
        .order_by(done_at.desc(), Case.id.desc()).limit(limit)).all()
    replies = _last_replies([case.id for case in cases])
    shown = []
    for case in cases:
        category, spot = case.category, case.spot
        shown.append(DoneCase(
            reference=case.reference, category_zh=category.name_zh,
            category_en=category.name_en, icon=category.icon,
            spot_zh=spot.name_zh if spot else "", spot_en=spot.name_en if spot else "",
            status=case.status,
            done_at=case.closed_at or case.resolved_at or case.updated_at,
            said=public_description(case),
            did=public_reply(case, replies.get(case.id)),
            photo_ids=tuple(photo.id for photo in public_photos(case)[:PHOTOS_PER_CASE])))
    return shown


def build_board(park: Park, now: datetime | None = None) -> Board:
    today = (now or utcnow()).astimezone(REPORT_TZ).date()
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    unit = park.unit
    return Board(
        park_id=park.id, park_code=park.park_code, park_zh=park.name_zh,
        park_en=park.name_en, unit_zh=unit.name_zh, unit_en=unit.name_en,
        timezone=unit.timezone,
        months=(month_figures(park, this_month, today), month_figures(park, last_month, today)),
        cases=tuple(done_cases(park)))


# --- the cache ------------------------------------------------------------------------------

class BoardCache:
    """Boards by park code, each with the moment it was built; one per app."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._boards: dict[str, tuple[float, int, Board]] = {}
        self._generation = 0

    def get(self, park_code: str, seconds: float) -> Board:
        code = (park_code or "").strip().lower()
        with self._lock:
            entry = self._boards.get(code)
            generation = self._generation
        if entry is not None and entry[1] == generation and monotonic() - entry[0] < seconds:
            return entry[2]
        built_at = monotonic()
        board = build_board(find_park(code))
        if seconds > 0:
            with self._lock:
                if generation == self._generation:  # nothing committed while we read
                    self._boards[code] = (built_at, generation, board)
        return board

    def clear(self) -> None:
        with self._lock:
            self._boards.clear()
            self._generation += 1


def board_cache() -> BoardCache:
    cache: BoardCache = current_app.extensions["park_mailbox_boards"]
    return cache


def park_board(park_code: str) -> Board:
    """The board of the park with this code (NotFoundError: no such park)."""
    return board_cache().get(park_code, float(current_app.config["BOARD_CACHE_SECONDS"]))


def init_board_cache(app: Any) -> None:
    app.extensions["park_mailbox_boards"] = BoardCache()


def note_board_changes(session: Session, _context: Any) -> None:
    if not session.info.get(CHANGED_KEY) and any(
            isinstance(item, _WATCHED)
            for group in (session.new, session.dirty, session.deleted) for item in group):
        session.info[CHANGED_KEY] = True


def clear_after_commit(session: Session) -> None:
    if session.info.pop(CHANGED_KEY, False) and has_app_context() and\
            "park_mailbox_boards" in current_app.extensions:
        board_cache().clear()


def forget_after_rollback(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        session.info.pop(CHANGED_KEY, None)
