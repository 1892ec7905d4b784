"""Seasonal zones (专区): the bureau (every park, or chosen parks) or a unit's director (the
unit's parks) opens a zone for some dates; during them it heads every visitor form it covers
with its message and one prominent choice, and a case sent through that choice carries it.

A zone is open on a form while the unit's local date is within its dates (both inclusive)
and nobody ended it early: no job closes it. Its cases are filed under the unit's "other"
category (its time limits apply) and answered by the role the unit maps the zone to, the
director unless the unit chose another.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.orm import Session, selectinload

from app.database import write_transaction
from app.extensions import db
from app.models import Category, Park, StaffUser, Unit, Zone, ZoneRole
from app.services.accounts.audit import record_audit
from app.services.cases.operations import require_acting
from app.services.errors import DomainError, ForbiddenError, NotFoundError

log = logging.getLogger(__name__)

ZONE_CODE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?")
MAX_NAME = 60
MAX_MESSAGE = 300
MAX_DAYS = 366
# a zone's case is filed under this category of the unit (else its last active one)
ZONE_CATEGORY = "other"
ZONE_ROLES = ("director", "security", "cleaning", "maintenance", "service")
CHOICE_PREFIX = "zone:"  # the value of a zone's choice in the form's category field


@dataclass(frozen=True)
class ZoneFields:
    """What a zone is opened with, as typed."""

    code: str
    name_zh: str
    name_en: str
    message_zh: str
    message_en: str
    starts_on: date | None
    ends_on: date | None
    category_zh: str = ""
    category_en: str = ""
    park_codes: Sequence[str] = ()


def local_today(timezone: str, now: datetime) -> date:
    """The date in a unit's calendar (zones open and end on it)."""
    return now.astimezone(ZoneInfo(timezone)).date()


def _clean(text: str) -> str:
    return " ".join((text or "").split())


def _check_fields(fields: ZoneFields, today: date) -> None:
    if not ZONE_CODE.fullmatch(fields.code):
        raise DomainError(_("The code is 1 to 32 lowercase letters, digits or hyphens "
                            "(e.g. flood-2026)."))
    if not _clean(fields.name_zh) or not _clean(fields.message_zh):
        raise DomainError(_("Please give the zone a Chinese name and a Chinese message."))
    if any(len(_clean(text)) > MAX_NAME for text in (
            fields.name_zh, fields.name_en, fields.category_zh, fields.category_en)):
        raise DomainError(_("Names are at most %(max)d characters.", max=MAX_NAME))
    if any(len(_clean(text)) > MAX_MESSAGE for text in (fields.message_zh, fields.message_en)):
        raise DomainError(_("Messages are at most %(max)d characters.", max=MAX_MESSAGE))
    if _clean(fields.category_en) and not _clean(fields.category_zh):
        raise DomainError(_("Please give the zone's category a Chinese name too."))
    if fields.starts_on is None or fields.ends_on is None:
        raise DomainError(_("Please give the first and the last day (YYYY-MM-DD)."))
    if fields.ends_on < fields.starts_on:
        raise DomainError(_("The last day is before the first."))
    if fields.ends_on < today:
        raise DomainError(_("The last day is already past."))
    if fields.ends_on - fields.starts_on > timedelta(days=MAX_DAYS - 1):
        raise DomainError(_("A zone lasts at most %(days)d days.", days=MAX_DAYS))


def _parks(session: Session, codes: Sequence[str], unit_id: int | None) -> list[Park]:
    wanted = sorted({code.strip() for code in codes if code.strip()})
    if not wanted:
        return []
    query = select(Park).where(Park.park_code.in_(wanted))
    if unit_id is not None:
        query = query.where(Park.unit_id == unit_id)
    parks = list(session.scalars(query))
    missing = sorted(set(wanted) - {park.park_code for park in parks})
    if missing:
        raise DomainError(_("No such park: %(codes)s.", codes=", ".join(missing)))
    return parks


def require_zone_opener(user: StaffUser, unit_id: int | None) -> None:
    """The bureau's administrators open bureau zones; a unit's director, the unit's."""
    if unit_id is None:
        if user.bureau_role != "admin":
            raise ForbiddenError(_("Only a bureau administrator opens a zone for the bureau."))
        return
    require_acting(user, unit_id)
    if "director" not in user.roles_in(unit_id):
        raise ForbiddenError(_("Only the unit's director opens a zone."))


def open_zone(*, user: StaffUser, unit_id: int | None, fields: ZoneFields, today: date,
              now: datetime) -> Zone:
    """Open a zone (audited); unit_id None: the bureau's."""
    require_zone_opener(user, unit_id)
    _check_fields(fields, today)
    with write_transaction() as session:
        if session.scalar(select(Zone.id).where(Zone.code == fields.code)) is not None:
            raise DomainError(_("Another zone has the code %(code)s.", code=fields.code))
        zone = Zone(code=fields.code, unit_id=unit_id, name_zh=_clean(fields.name_zh),
                    name_en=_clean(fields.name_en), message_zh=_clean(fields.message_zh),
                    message_en=_clean(fields.message_en),
                    category_zh=_clean(fields.category_zh),
                    category_en=_clean(fields.category_en), starts_on=fields.starts_on,
                    ends_on=fields.ends_on, created_by_id=user.id, created_at=now,
                    parks=_parks(session, fields.park_codes, unit_id))
        session.add(zone)
        session.flush()
        record_audit("zone.opened", user_id=user.id, unit_id=unit_id, target_type="zone",
                     target_id=zone.id,
                     after={"code": zone.code, "starts_on": zone.starts_on.isoformat(),
                            "ends_on": zone.ends_on.isoformat(),
                            "parks": [park.park_code for park in zone.parks]})
    log.info("zone %s opened by user %s for unit %s", fields.code, user.id, unit_id)
    return zone


def end_zone(*, user: StaffUser, unit_id: int | None, zone_id: int, now: datetime) -> Zone:
    """End a zone before its last day (audited): its forms lose it at once."""
    require_zone_opener(user, unit_id)
    with write_transaction() as session:
        zone = session.get(Zone, zone_id, with_for_update=True)
        if zone is None or zone.unit_id != unit_id:
            raise NotFoundError(_("No such zone."))
        if zone.ended_at is None:
            zone.ended_at, zone.ended_by_id = now, user.id
            record_audit("zone.ended", user_id=user.id, unit_id=unit_id, target_type="zone",
                         target_id=zone.id, after={"ended_at": now.isoformat()})
    log.info("zone %s ended by user %s", zone_id, user.id)
    return zone


def set_zone_role(*, user: StaffUser, unit_id: int, zone_id: int, role: str) -> None:
    """The role that answers a zone's cases in the director's unit (audited)."""
    require_zone_opener(user, unit_id)
    if role not in ZONE_ROLES:
        raise DomainError(_("Please choose a role."))
    with write_transaction() as session:
        zone = session.get(Zone, zone_id)
        if zone is None or not _reaches_unit(zone, unit_id):
            raise NotFoundError(_("No such zone."))
        row = session.get(ZoneRole, (zone_id, unit_id))
        before = row.role if row else "director"
        if row is None:
            session.add(ZoneRole(zone_id=zone_id, unit_id=unit_id, role=role))
        else:
            row.role = role
        record_audit("zone.role", user_id=user.id, unit_id=unit_id, target_type="zone",
                     target_id=zone_id, before={"role": before}, after={"role": role})


def _reaches_unit(zone: Zone, unit_id: int) -> bool:
    if zone.unit_id is not None:
        return zone.unit_id == unit_id
    return not zone.parks or any(park.unit_id == unit_id for park in zone.parks)


def bureau_zones() -> list[Zone]:
    """The bureau's own zones, newest first."""
    return list(db.session.scalars(
        select(Zone).where(Zone.unit_id.is_(None)).options(selectinload(Zone.parks))
        .order_by(Zone.starts_on.desc(), Zone.id.desc())))


def unit_zones(unit_id: int) -> list[Zone]:
    """The unit's own zones and the bureau's that reach its parks, newest first."""
    zones = db.session.scalars(
        select(Zone).where(or_(Zone.unit_id == unit_id, Zone.unit_id.is_(None)))
        .options(selectinload(Zone.parks), selectinload(Zone.roles))
        .order_by(Zone.starts_on.desc(), Zone.id.desc()))
    return [zone for zone in zones if _reaches_unit(zone, unit_id)]


@cache  # built once: the form's spot cache runs it (app/database.py, "Statements built once")
def _heading_statement() -> Select[Zone]:
    return (select(Zone).where(or_(Zone.unit_id == bindparam("unit_id"), Zone.unit_id.is_(None)),
                               Zone.ended_at.is_(None), Zone.ends_on >= bindparam("since"))
            .options(selectinload(Zone.parks)).order_by(Zone.starts_on, Zone.id))


def zones_heading(unit_id: int, park_id: int, since: date) -> list[Zone]:
    """The zones that may head a park's forms from `since` on (not ended early)."""
    zones = db.session.scalars(_heading_statement(), {"unit_id": unit_id, "since": since})
    return [zone for zone in zones if zone.covers(unit_id, park_id)]


@dataclass(frozen=True)
class ZoneIntake:
    """How a case sent through a zone's choice is filed."""

    zone: Zone
    category: Category
    role: str


def zone_intake(session: Session, unit: Unit, park_id: int, code: str,
                now: datetime) -> ZoneIntake:
    """The open zone behind a form's choice, with the category and role of its cases."""
    zone = session.scalar(select(Zone).where(Zone.code == code)
                          .options(selectinload(Zone.parks), selectinload(Zone.roles)))
    if zone is None or not zone.covers(unit.id, park_id) or not zone.is_open_on(
            local_today(unit.timezone, now)):
        raise DomainError(_("This zone is closed: please choose what the message is about."))
    categories = [category for category in session.scalars(
        select(Category).where(Category.unit_id == unit.id, Category.active)
        .order_by(Category.sort_order, Category.id))]
    if not categories:
        raise DomainError(_("Please choose what the message is about."))
    category = next((c for c in categories if c.code == ZONE_CATEGORY), categories[-1])
    return ZoneIntake(zone=zone, category=category, role=zone.role_in(unit.id))
