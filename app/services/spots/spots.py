"""Spots of a unit's parks: create, edit, deactivate, replace codes, count scans."""

from __future__ import annotations

import logging
import threading
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from time import monotonic
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, joinedload

from app.database import write_transaction
from app.extensions import db
from app.models import Case, Park, RetiredCode, ScanCount, Spot, Unit
from app.models.types import utcnow
from app.security import new_spot_code
from app.services.accounts.audit import record_audit
from app.services.errors import DomainError, NotFoundError

log = logging.getLogger(__name__)

EDITABLE = ("name_zh", "name_en", "description", "latitude", "longitude")


@dataclass
class SpotFields:
    """What a director may set on a spot."""

    name_zh: str
    name_en: str = ""
    description: str = ""
    latitude: float | None = None
    longitude: float | None = None

    def validated(self) -> SpotFields:
        name_zh = self.name_zh.strip()
        if not name_zh:
            raise DomainError(_("Please give the spot a Chinese name."))
        if (self.latitude is None) != (self.longitude is None):
            raise DomainError(_("Give both latitude and longitude, or neither."))
        if self.latitude is not None and not -90 <= self.latitude <= 90:
            raise DomainError(_("Latitude is between -90 and 90."))
        if self.longitude is not None and not -180 <= self.longitude <= 180:
            raise DomainError(_("Longitude is between -180 and 180."))
        return SpotFields(name_zh=name_zh, name_en=self.name_en.strip(),
                           description=self.description.strip(),
                           latitude=self.latitude, longitude=self.longitude)


def _snapshot(spot: Spot) -> dict[str, Any]:
    return {"park_id": spot.park_id, "code": spot.code, "active": spot.active,
            **{name: getattr(spot, name) for name in EDITABLE}}


def find_unit_park(unit: Unit, park_id: int) -> Park:
    """A park of the unit; NotFound for another unit's park (it must look absent)."""
    park = db.session.get(Park, park_id)
    if park is None or park.unit_id != unit.id:
        raise NotFoundError(_("No such park."))
    return park


def find_unit_spot(unit: Unit, spot_id: int) -> Spot:
    """A spot of the unit's parks; NotFound for another unit's spot."""
    spot = db.session.scalar(
        select(Spot).join(Park).options(joinedload(Spot.park))
        .where(Spot.id == spot_id, Park.unit_id == unit.id)
    )
    if spot is None:
        raise NotFoundError(_("No such spot."))
    return spot


def unit_spots(unit: Unit, park_id: int | None = None,
                active_only: bool = False) -> list[Spot]:
    """The unit's spots, park by park."""
    query = (select(Spot).join(Park).options(joinedload(Spot.park))
             .where(Park.unit_id == unit.id).order_by(Park.id, Spot.id))
    if park_id is not None:
        query = query.where(Spot.park_id == park_id)
    if active_only:
        query = query.where(Spot.active.is_(True))
    return list(db.session.scalars(query).unique())


def _unused_code(session: Session) -> str:
    # 31^8 codes: a collision is rare, but a code must never point at two spots, past or present
    while True:
        code = new_spot_code()
        taken = session.scalar(select(Spot.id).where(Spot.code == code)) or session.scalar(
            select(RetiredCode.id).where(RetiredCode.code == code))
        if not taken:
            return code


def create_spot(unit: Unit, park_id: int, fields: SpotFields, *, user_id: int) -> Spot:
    """Add a spot with a fresh code to one of the unit's parks."""
    fields = fields.validated()
    with write_transaction() as session:
        park = find_unit_park(unit, park_id)
        spot = Spot(park_id=park.id, code=_unused_code(session), name_zh=fields.name_zh,
                      name_en=fields.name_en, description=fields.description,
                      latitude=fields.latitude, longitude=fields.longitude)
        session.add(spot)
        session.flush()
        record_audit("point.create", user_id=user_id, unit_id=unit.id, target_type="point",
                     target_id=spot.id, after=_snapshot(spot))
    log.info("point %s created in park %s", spot.id, park_id)
    return spot


def update_spot(unit: Unit, spot_id: int, fields: SpotFields, *, user_id: int) -> Spot:
    """Rename, describe or place a spot (its code stays)."""
    fields = fields.validated()
    with write_transaction():
        spot = find_unit_spot(unit, spot_id)
        before = _snapshot(spot)
        for name in EDITABLE:
            setattr(spot, name, getattr(fields, name))
        after = _snapshot(spot)
        if after != before:
            record_audit("point.update", user_id=user_id, unit_id=unit.id, target_type="point",
                         target_id=spot.id, before=before, after=after)
    log.info("point %s updated", spot_id)
    return spot


def set_spot_active(unit: Unit, spot_id: int, active: bool, *, user_id: int) -> Spot:
    """Deactivate a spot (its code then answers 410) or bring it back."""
    with write_transaction():
        spot = find_unit_spot(unit, spot_id)
        if spot.active != active:
            before = _snapshot(spot)
            spot.active = active
            record_audit("point.activate" if active else "point.deactivate", user_id=user_id,
                         unit_id=unit.id, target_type="point", target_id=spot.id,
                         before=before, after=_snapshot(spot))
    log.info("point %s %s", spot_id, "activated" if active else "deactivated")
    return spot


def replace_spot_code(unit: Unit, spot_id: int, *, user_id: int) -> tuple[Spot, str]:
    """Give a spot a new code at once; the old one is kept as retired (410). Returns the old."""
    with write_transaction() as session:
        spot = find_unit_spot(unit, spot_id)
        before = _snapshot(spot)
        old_code = spot.code
        session.add(RetiredCode(code=old_code, spot_id=spot.id))
        spot.code = _unused_code(session)
        record_audit("point.replace_code", user_id=user_id, unit_id=unit.id,
                     target_type="point", target_id=spot.id, before=before,
                     after=_snapshot(spot))
    log.info("point %s code replaced", spot_id)
    return spot, old_code


def retired_codes(spot: Spot) -> list[RetiredCode]:
    """The codes the spot answered to before, newest first."""
    return list(db.session.scalars(
        select(RetiredCode).where(RetiredCode.spot_id == spot.id)
        .order_by(RetiredCode.retired_at.desc(), RetiredCode.id.desc())
    ))


def is_retired_code(code: str) -> bool:
    """Whether the code belonged to a spot and was replaced."""
    return db.session.scalar(select(RetiredCode.id).where(RetiredCode.code == code)) is not None


def local_day(timezone: str, moment: datetime | None = None) -> date:
    """The calendar day in the unit's time zone."""
    return (moment or utcnow()).astimezone(ZoneInfo(timezone)).date()


class ScanBuffer:
    """Scans counted in memory, written as one upsert per spot and day every few seconds.

    A scan is a page opened, not something a visitor sent: writing each one would cost a
    synced commit per form opened, as much as the submission itself. The price is that a
    process killed outright loses the counts of its last SCAN_FLUSH_SECONDS (the cases
    are never at stake: they are written at once). One buffer per process.
    """

    def __init__(self, clock: Callable[[], float] = monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._counts: Counter[tuple[int, date]] = Counter()
        self._oldest: float | None = None

    def add(self, spot_id: int, day: date) -> None:
        with self._lock:
            if not self._counts:
                self._oldest = self._clock()
            self._counts[spot_id, day] += 1

    def due(self, seconds: float) -> bool:
        with self._lock:
            return self._oldest is not None and self._clock() - self._oldest >= seconds

    def take(self) -> Counter[tuple[int, date]]:
        with self._lock:
            counts, self._counts, self._oldest = self._counts, Counter(), None
            return counts

    def put_back(self, counts: Counter[tuple[int, date]]) -> None:
        with self._lock:
            if counts and not self._counts:
                self._oldest = self._clock()
            self._counts.update(counts)


SCANS = ScanBuffer()


def record_scan(spot_id: int, timezone: str) -> None:
    """Count one scan of the spot's code today in the unit's time zone (nothing about the
    visitor is kept)."""
    SCANS.add(spot_id, local_day(timezone))
    if SCANS.due(current_app.config["SCAN_FLUSH_SECONDS"]):
        flush_scans()


def flush_scans() -> int:
    """Write this process's buffered scan counts; return how many scans were written."""
    counts = SCANS.take()
    if not counts:
        return 0
    try:
        with write_transaction() as session:
            dialect = session.get_bind().dialect.name
            insert = pg_insert if dialect == "postgresql" else sqlite_insert
            for (spot_id, day), count in sorted(counts.items()):
                statement = insert(ScanCount).values(spot_id=spot_id, day=day, count=count)
                session.execute(statement.on_conflict_do_update(
                    index_elements=[ScanCount.spot_id, ScanCount.day],
                    set_={"count": ScanCount.count + count},
                ))
    except SQLAlchemyError:
        # the database is busy or away: keep the counts for the next flush; a lost count
        # must never keep a visitor from writing to the park
        log.exception("%d scans not written yet", counts.total())
        SCANS.put_back(counts)
        return 0
    return counts.total()


@dataclass
class SpotActivity:
    """Scans and submissions of one spot over a span of days."""

    scans: int = 0
    submissions: int = 0
    by_day: dict[date, tuple[int, int]] = field(default_factory=dict)

    @property
    def conversion(self) -> float | None:
        return self.submissions / self.scans if self.scans else None


def spot_activity(unit: Unit, spots: list[Spot], days: int = 14) -> dict[int, SpotActivity]:
    """Scans and submissions per spot per local day, for the last `days` days."""
    zone = ZoneInfo(unit.timezone)
    flush_scans()  # this process's latest scans; other processes' within seconds
    today = local_day(unit.timezone)
    first = today - timedelta(days=days - 1)
    spot_ids = [spot.id for spot in spots]
    scans: dict[int, dict[date, int]] = defaultdict(dict)
    for spot_id, day, count in db.session.execute(
        select(ScanCount.spot_id, ScanCount.day, ScanCount.count)
        .where(ScanCount.spot_id.in_(spot_ids), ScanCount.day >= first)
    ):
        scans[spot_id][day] = count
    since = datetime.combine(first, time(), tzinfo=zone).astimezone(UTC)
    submissions: dict[int, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for case_spot_id, created_at in db.session.execute(
        select(Case.spot_id, Case.created_at)
        .where(Case.spot_id.in_(spot_ids), Case.created_at >= since)
    ):
        if case_spot_id is not None:
            submissions[case_spot_id][created_at.astimezone(zone).date()] += 1
    activity = {}
    for spot_id in spot_ids:
        row = SpotActivity()
        for offset in range(days):
            day = today - timedelta(days=offset)
            pair = (scans[spot_id].get(day, 0), submissions[spot_id].get(day, 0))
            row.by_day[day] = pair
            row.scans += pair[0]
            row.submissions += pair[1]
        activity[spot_id] = row
    return activity


def total_scans(spot_id: int) -> int:
    """Every scan the spot ever had."""
    flush_scans()
    return int(db.session.scalar(
        select(func.coalesce(func.sum(ScanCount.count), 0)).where(ScanCount.spot_id == spot_id)
    ) or 0)


def place_spot(unit: Unit, spot_id: int, latitude: float, longitude: float, *,
               user_id: int) -> Spot:
    """Put a spot at a WGS-84 position (a director tapping the map); the rest stays."""
    spot = find_unit_spot(unit, spot_id)
    return update_spot(unit, spot.id, SpotFields(
        name_zh=spot.name_zh, name_en=spot.name_en, description=spot.description,
        latitude=latitude, longitude=longitude), user_id=user_id)
