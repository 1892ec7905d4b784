"""What the visitor form shows of a spot, kept in memory for a few seconds per process.

Opening the form and sending it each needed the spot, its park, its unit and the unit's
categories: two queries and a read transaction per request, a third of what a visitor's
form cost the server. The form now reads them from this cache:

- a change made in this process (a committed flush that adds, changes or deletes a spot,
  park, unit or category) empties the cache at once;
- other processes see a change within SPOT_CACHE_SECONDS (0 turns the cache off); each
  spot is kept between half and all of that time, at random (`spread_share`), so that the
  spots read together when the server starts are not all read again at the same moment:
  30 spots at 3 ms each, every 5 s at once, held up every visitor behind them by 100 ms
  (bench/README.md, "Where a visit's CPU goes");
- the cache only decides what the form shows: the submission checks the spot and the
  category again inside its write transaction, so a spot retired meanwhile gets no case
  (410) and a category switched off is refused with a message.

Unknown codes are never cached (every miss goes to the database, as before), and the
cache holds at most MAX_SPOTS spots, so random codes cannot grow it.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from time import monotonic
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import Category, Park, Spot, Unit, Zone
from app.models.org import local_name
from app.models.types import utcnow
from app.services.cases.danger import EmergencyNumber, parse_emergency_numbers
from app.services.cases.zones import CHOICE_PREFIX, local_today, zones_heading

MAX_SPOTS = 10_000
CHANGED_KEY = "park_mailbox_spots_changed"
_WATCHED = (Spot, Park, Unit, Category, Zone)


@dataclass(frozen=True)
class Named:
    """Something shown by name in the visitor's language, as the models are."""

    name_zh: str
    name_en: str

    def name(self, locale: str) -> str:
        return local_name(self.name_zh, self.name_en, locale)


@dataclass(frozen=True)
class FormCategory(Named):
    id: int
    code: str
    icon: str


@dataclass(frozen=True)
class FormPark(Named):
    id: int
    park_code: str = ""  # its public board: /p/<park_code>


@dataclass(frozen=True)
class FormZone(Named):
    """A seasonal zone that may head the form: its message and its one choice."""

    code: str
    message_zh: str
    message_en: str
    choice_zh: str
    choice_en: str
    starts_on: date
    ends_on: date

    @property
    def value(self) -> str:
        """Its choice's value in the form's category field."""
        return CHOICE_PREFIX + self.code

    def message(self, locale: str) -> str:
        return local_name(self.message_zh, self.message_en, locale)

    def choice(self, locale: str) -> str:
        return local_name(self.choice_zh, self.choice_en, locale)


@dataclass(frozen=True)
class FormSpot(Named):
    """A spot as its form needs it: names, park, the unit's time zone, active categories."""

    id: int
    code: str
    active: bool
    park: FormPark
    unit_id: int
    timezone: str
    categories: tuple[FormCategory, ...]
    # danger first: the unit's emergency numbers, on every form
    emergency_numbers: tuple[EmergencyNumber, ...] = ()
    # the zones not over yet (today's are picked by the unit's date when the form is shown)
    zones: tuple[FormZone, ...] = ()

    def open_zones(self, now: datetime) -> tuple[FormZone, ...]:
        """The zones heading the form now, by the unit's local date."""
        today = local_today(self.timezone, now)
        return tuple(zone for zone in self.zones if zone.starts_on <= today <= zone.ends_on)


@cache  # built once (app/database.py, "Statements built once")
def _spot_statement() -> Select[*tuple[Any, ...]]:
    return (select(Spot.id, Spot.code, Spot.active, Spot.name_zh, Spot.name_en,
                   Park.id.label("park_id"), Park.name_zh.label("park_name_zh"),
                   Park.name_en.label("park_name_en"), Park.park_code,
                   Unit.id.label("unit_id"), Unit.timezone, Unit.emergency_numbers)
            .join(Park, Park.id == Spot.park_id).join(Unit, Unit.id == Park.unit_id)
            .where(Spot.code == bindparam("code")))


@cache
def _categories_statement() -> Select[*tuple[Any, ...]]:
    return (select(Category.id, Category.code, Category.icon, Category.name_zh,
                   Category.name_en)
            .where(Category.unit_id == bindparam("unit_id"), Category.active)
            .order_by(Category.sort_order, Category.id))


def _load(code: str) -> FormSpot | None:
    # read as rows, not models: nothing here is changed, and building the spot, park, unit
    # and categories as models took four times as long (1.5 ms a spot)
    connection = db.session.connection()
    spot = connection.execute(_spot_statement(), {"code": code}).one_or_none()
    if spot is None:
        return None
    categories = connection.execute(_categories_statement(), {"unit_id": spot.unit_id})
    return FormSpot(
        id=spot.id, code=spot.code, active=spot.active, name_zh=spot.name_zh,
        name_en=spot.name_en,
        park=FormPark(id=spot.park_id, name_zh=spot.park_name_zh, name_en=spot.park_name_en,
                      park_code=spot.park_code or ""),
        unit_id=spot.unit_id, timezone=spot.timezone,
        categories=tuple(FormCategory(id=c.id, code=c.code, icon=c.icon, name_zh=c.name_zh,
                                      name_en=c.name_en) for c in categories),
        emergency_numbers=tuple(parse_emergency_numbers(spot.emergency_numbers)),
        zones=tuple(_form_zone(zone) for zone in zones_heading(
            spot.unit_id, spot.park_id,
            local_today(spot.timezone, utcnow()) - timedelta(days=1))))


def _form_zone(zone: Zone) -> FormZone:
    choice_zh = zone.category_zh or zone.name_zh
    choice_en = zone.category_en if zone.category_zh else zone.name_en
    return FormZone(code=zone.code, name_zh=zone.name_zh, name_en=zone.name_en,
                    message_zh=zone.message_zh, message_en=zone.message_en, choice_zh=choice_zh,
                    choice_en=choice_en, starts_on=zone.starts_on, ends_on=zone.ends_on)


_shares = random.Random()  # noqa: S311 - spreads the reads, guards nothing


def spread_share() -> float:
    """The share of its time a spot is kept: between half and all of it, at random."""
    return _shares.uniform(0.5, 1.0)


class SpotCache:
    """Spots by code, each with the moment it is to be read again; one per app."""

    def __init__(self, clock: Callable[[], float] = monotonic,
                 share: Callable[[], float] = spread_share) -> None:
        self._clock = clock
        self._share = share
        self._lock = threading.Lock()
        self._spots: dict[str, tuple[float, int, FormSpot]] = {}
        self._generation = 0

    def get(self, code: str, seconds: float) -> FormSpot | None:
        """The spot with this code (None: no such spot), from memory when fresh."""
        if seconds > 0:
            with self._lock:
                entry = self._spots.get(code)
                generation = self._generation
            if entry is not None and entry[1] == generation and self._clock() < entry[0]:
                return entry[2]
        read_at = self._clock()
        spot = _load(code)
        if spot is not None and seconds > 0:
            with self._lock:
                # a change committed while we read bumped the generation: keep nothing
                if generation == self._generation:
                    if len(self._spots) >= MAX_SPOTS:
                        self._spots.clear()
                    self._spots[code] = (read_at + seconds * self._share(), generation, spot)
        return spot

    def clear(self) -> None:
        with self._lock:
            self._spots.clear()
            self._generation += 1


def spot_cache() -> SpotCache:
    cache: SpotCache = current_app.extensions["park_mailbox_spots"]
    return cache


def form_spot(code: str) -> FormSpot | None:
    """The spot behind a QR code as the visitor form shows it (None: no such code)."""
    return spot_cache().get(code, float(current_app.config["SPOT_CACHE_SECONDS"]))


def note_spot_changes(session: Session, _context: Any) -> None:
    if not session.info.get(CHANGED_KEY) and any(
            isinstance(item, _WATCHED)
            for group in (session.new, session.dirty, session.deleted) for item in group):
        session.info[CHANGED_KEY] = True


def clear_after_commit(session: Session) -> None:
    # a session of no app (a script's own) has no cache to clear
    if session.info.pop(CHANGED_KEY, False) and has_app_context() and\
            "park_mailbox_spots" in current_app.extensions:
        spot_cache().clear()


def forget_after_rollback(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        session.info.pop(CHANGED_KEY, None)


def init_spot_cache(app: Any) -> None:
    """Give the app its cache (the session hooks that clear it are in platform.hooks)."""
    app.extensions["park_mailbox_spots"] = SpotCache()
