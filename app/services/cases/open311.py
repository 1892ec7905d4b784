"""Open311 GeoReport v2 rules: jurisdictions, locating a spot, filing and finding requests."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.models import (
    OPEN_STATUSES,
    ApiKey,
    Case,
    Category,
    Message,
    MessageKind,
    Park,
    Source,
    Spot,
    Status,
    Unit,
)
from app.models.types import utcnow
from app.services.cases.submission import MAX_BODY, Receipt, submit_case
from app.services.errors import DomainError, NotFoundError

log = logging.getLogger(__name__)

MAX_RANGE = timedelta(days=90)
MAX_REQUESTS = 1000
MAX_MEDIA_URL = 500
# a reporter standing anywhere near a spot: farther than this, we would rather ask
MAX_SPOT_DISTANCE_M = 500.0
EARTH_RADIUS_M = 6_371_000.0
HTML = re.compile(r"<\s*/?\s*[a-zA-Z!?][^>]*>")
# cases never shown to the outside: reported as abuse
HIDDEN_STATUSES = (Status.SPAM.value,)


class KeyRefused(DomainError):
    """The API key is missing, wrong, revoked, or not valid for this jurisdiction."""


@dataclass(frozen=True)
class NewRequest:
    """What a POST requests.{format} carries, as the client sent it."""

    service_code: str
    description: str
    lat: str = ""
    long: str = ""
    address_string: str = ""
    address_id: str = ""
    park: str = ""
    spot: str = ""
    email: str = ""
    phone: str = ""
    first_name: str = ""
    last_name: str = ""
    media_url: str = ""


def jurisdiction_id(unit: Unit) -> str:
    return unit.code.lower()


def find_jurisdiction(value: str | None, *, required: bool) -> Unit | None:
    """The unit named by jurisdiction_id; required only where several units are served."""
    value = (value or "").strip()
    if value:
        unit = db.session.scalar(select(Unit).where(func.lower(Unit.code) == value.lower()))
        if unit is None:
            raise NotFoundError(_("jurisdiction_id %(value)s was not found.", value=value))
        return unit
    if not required:
        return None
    units = db.session.scalars(select(Unit).limit(2)).all()
    if len(units) == 1:
        return units[0]
    if not units:
        raise NotFoundError(_("No jurisdiction is served here yet."))
    raise DomainError(_("jurisdiction_id was not provided; this server serves several."))


def active_categories(unit: Unit) -> list[Category]:
    return [category for category in unit.categories if category.active]


def find_service(unit: Unit, service_code: str) -> Category:
    code = (service_code or "").strip()
    if not code:
        raise DomainError(_("service_code was not provided."))
    for category in active_categories(unit):
        if category.code == code:
            return category
    raise NotFoundError(_("service_code %(code)s was not found.", code=code))


def active_spots(unit: Unit, park_id: int | None = None) -> list[Spot]:
    query = (select(Spot).join(Park).where(Park.unit_id == unit.id, Spot.active)
             .order_by(Spot.id))
    if park_id is not None:
        query = query.where(Park.id == park_id)
    return list(db.session.scalars(query))


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def parse_coordinates(lat: str, long: str) -> tuple[float, float] | None:
    if not lat and not long:
        return None
    try:
        latitude, longitude = float(lat), float(long)
    except ValueError:
        raise DomainError(_("lat and long must both be given, as decimal degrees.")) from None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise DomainError(_("lat and long are outside the WGS84 range."))
    return latitude, longitude


def _park_filter(unit: Unit, park: str) -> int | None:
    if not park:
        return None
    if park.isdigit() and any(p.id == int(park) for p in unit.parks):
        return int(park)
    raise DomainError(_("attribute[park] is not a park of this jurisdiction."))


def locate_spot(unit: Unit, request: NewRequest,
                 coordinates: tuple[float, float] | None) -> Spot:
    """The spot a request is about: its code, the nearest spot, or a spot named so."""
    code = (request.address_id or request.spot).strip()
    if code:
        spot = db.session.scalar(select(Spot).where(Spot.code == code))
        if spot is None or not spot.active or spot.park.unit_id != unit.id:
            raise DomainError(_("address_id %(code)s is not a spot in use here.", code=code))
        return spot
    park_id = _park_filter(unit, request.park.strip())
    candidates = active_spots(unit, park_id)
    if coordinates is not None:
        placed = [p for p in candidates if p.latitude is not None and p.longitude is not None]
        if placed:
            nearest = min(placed, key=lambda p: distance_m(*coordinates, p.latitude or 0.0,
                                                           p.longitude or 0.0))
            far = distance_m(*coordinates, nearest.latitude or 0.0, nearest.longitude or 0.0)
            if far <= MAX_SPOT_DISTANCE_M:
                return nearest
        if not request.address_string.strip():
            raise DomainError(_("No spot of this jurisdiction is within %(m)d m of lat/long; "
                                "give address_id or address_string.", m=MAX_SPOT_DISTANCE_M))
    wanted = " ".join(request.address_string.split()).casefold()
    if wanted:
        exact = [p for p in candidates if wanted in (p.name_zh.casefold(), p.name_en.casefold())]
        partial = exact or [p for p in candidates
                            if wanted in p.name_zh.casefold() or wanted in p.name_en.casefold()
                            or p.name_zh.casefold() in wanted
                            or (p.name_en and p.name_en.casefold() in wanted)]
        if len(partial) == 1:
            return partial[0]
        if partial:
            raise DomainError(_("Several spots match address_string; give address_id "
                                "(a spot code) instead."))
        raise DomainError(_("No spot matches address_string; give address_id (a spot code)."))
    raise DomainError(_("A location is required: lat and long, address_string or address_id."))


def _clean_description(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise DomainError(_("description was not provided."))
    if len(text) > MAX_BODY:
        raise DomainError(_("description is longer than %(max)d characters.", max=MAX_BODY))
    if HTML.search(text):
        raise DomainError(_("description may not contain HTML or code."))
    return text


def _clean_media_url(url: str) -> str | None:
    url = (url or "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if len(url) > MAX_MEDIA_URL or parts.scheme not in ("http", "https") or not parts.netloc:
        raise DomainError(_("media_url must be an http or https URL of at most %(max)d "
                            "characters.", max=MAX_MEDIA_URL))
    return url


def _contacts(request: NewRequest) -> tuple[str | None, str | None]:
    """The contact that answers are sent to (e-mail, else phone), and the rest for staff.

    Both are shown to the unit's staff only and never returned by the API.
    """
    email, phone = request.email.strip()[:254], request.phone.strip()[:40]
    name = " ".join(part for part in (request.first_name.strip(), request.last_name.strip())
                    if part)
    contact = email or phone or None
    rest = [part for part in (name, phone if email else "") if part]
    return contact, " · ".join(rest)[:254] or None


def request_unit(key: ApiKey, jurisdiction: str | None, address_id: str) -> Unit:
    """The unit a new request goes to: the key's own, or the one named or implied."""
    named = find_jurisdiction(jurisdiction, required=False)
    if key.unit_id is not None:
        if named is not None and named.id != key.unit_id:
            raise KeyRefused(_("This api_key is not valid for jurisdiction_id %(value)s.",
                               value=jurisdiction))
        unit = db.session.get(Unit, key.unit_id)
        assert unit is not None  # noqa: S101 - a foreign key
        return unit
    if named is not None:
        return named
    if address_id.strip():
        spot = db.session.scalar(select(Spot).where(Spot.code == address_id.strip()))
        if spot is not None:
            return spot.park.unit
    unit = find_jurisdiction(None, required=True)
    assert unit is not None  # noqa: S101 - required=True never returns None
    return unit


def file_service_request(*, key: ApiKey, unit: Unit, request: NewRequest,
                         language: str) -> Receipt:
    """File a request through the same path as a QR submission, with source "api"."""
    category = find_service(unit, request.service_code)
    description = _clean_description(request.description)
    media_url = _clean_media_url(request.media_url)
    coordinates = parse_coordinates(request.lat.strip(), request.long.strip())
    spot = locate_spot(unit, request, coordinates)
    latitude, longitude = coordinates if coordinates else (None, None)
    contact, contact_note = _contacts(request)
    receipt = submit_case(
        spot_id=spot.id, category_code=category.code, body=description,
        contact=contact, contact_note=contact_note, language=language, source=Source.API,
        latitude=latitude, longitude=longitude, media_url=media_url,
    )
    log.info("open311 request %s filed with api key %s", receipt.case.reference, key.id)
    return receipt


def parse_datetime(name: str, value: str | None) -> datetime | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise DomainError(_("%(name)s must be a w3c date and time such as "
                            "2026-05-01T00:00:00Z.", name=name)) from None
    if moment.tzinfo is None:
        raise DomainError(_("%(name)s must include a time zone (Z or +08:00).", name=name))
    return moment.astimezone(UTC)


def parse_statuses(value: str | None) -> set[str]:
    wanted = {part.strip().lower() for part in (value or "").split(",") if part.strip()}
    if wanted - {"open", "closed"}:
        raise DomainError(_("status must be open, closed, or both (comma separated)."))
    return wanted


def _list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def find_service_requests(
    *,
    unit: Unit | None,
    service_request_id: str | None = None,
    service_code: str | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    status: str | None = None,
) -> list[Case]:
    """Requests as GET requests.{format} defines it: newest first, 90 days or 1000 at most."""
    query = (select(Case)
             .where(Case.status.not_in(HIDDEN_STATUSES))
             .options(joinedload(Case.category), joinedload(Case.park),
                      joinedload(Case.spot), joinedload(Case.unit),
                      selectinload(Case.photos))  # for the public one (media_url)
             .order_by(Case.created_at.desc(), Case.id.desc())
             .limit(MAX_REQUESTS))
    if unit is not None:
        query = query.where(Case.unit_id == unit.id)
    references = _list(service_request_id)
    if references:  # "this overrides all other arguments"
        return list(db.session.scalars(query.where(Case.reference.in_(references[:100]))))
    codes = _list(service_code)
    if codes:
        query = query.where(Case.category.has(Category.code.in_(codes)))
    statuses = parse_statuses(status)
    open_values = [s.value for s in OPEN_STATUSES]
    if statuses == {"open"}:
        query = query.where(Case.status.in_(open_values))
    elif statuses == {"closed"}:
        query = query.where(Case.status.not_in(open_values))
    start, end = parse_datetime("start_date", start_date), parse_datetime("end_date", end_date)
    if start and end and end - start > MAX_RANGE:
        raise DomainError(_("start_date and end_date may not be more than 90 days apart."))
    if start and end and end < start:
        raise DomainError(_("end_date is before start_date."))
    if start is None and end is None:
        end = utcnow()
    if start is None:
        start = (end or utcnow()) - MAX_RANGE
    if end is None:
        end = start + MAX_RANGE
    query = query.where(Case.created_at >= start, Case.created_at <= end)
    return list(db.session.scalars(query))


def find_service_request(unit: Unit | None, reference: str) -> Case:
    cases = find_service_requests(unit=unit, service_request_id=reference)
    if not cases or "," in reference:
        raise NotFoundError(_("service_request_id %(value)s was not found.", value=reference))
    return cases[0]


def latest_public_replies(cases: Sequence[Case]) -> dict[int, str]:
    """The newest public reply of each case (its status_notes), in one query."""
    ids = [case.id for case in cases]
    if not ids:
        return {}
    newest = (select(func.max(Message.id))
              .where(Message.case_id.in_(ids), Message.kind == MessageKind.REPLY.value)
              .group_by(Message.case_id))
    rows = db.session.execute(select(Message.case_id, Message.body)
                              .where(Message.id.in_(newest)))
    return {case_id: body for case_id, body in rows}
