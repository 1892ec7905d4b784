"""Open311 GeoReport v2 rules: jurisdictions, locating a spot, filing and finding requests."""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from app.extensions import db
from app.i18n import current_language
from app.models import (
    OPEN_STATUSES,
    ApiKey,
    AuditLog,
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
from app.services.cases.photos import PreparedPhoto
from app.services.cases.submission import MAX_BODY, Receipt, submit_case
from app.services.errors import DomainError, NotFoundError

log = logging.getLogger(__name__)

MAX_RANGE = timedelta(days=90)
MAX_REQUESTS = 1000
MAX_MEDIA_URL = 500
# a reporter standing anywhere near a spot: farther than this, we would rather ask
# (the default of OPEN311_SPOT_RADIUS_M)
MAX_SPOT_DISTANCE_M = 500.0
EARTH_RADIUS_M = 6_371_000.0
UNENCODED_OFFSET = re.compile(r" (\d{2}:?\d{2})$")
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


def spot_radius_m() -> float:
    """How far from a spot (metres) lat/long may be and still mean it: OPEN311_SPOT_RADIUS_M."""
    return float(current_app.config.get("OPEN311_SPOT_RADIUS_M", MAX_SPOT_DISTANCE_M))


def nearest_spot(spots: Sequence[Spot], coordinates: tuple[float, float]
                 ) -> tuple[Spot, float] | None:
    """The spot with a position nearest to the point, and how far it is (metres)."""
    placed = [(spot, distance_m(*coordinates, spot.latitude, spot.longitude))
              for spot in spots if spot.latitude is not None and spot.longitude is not None]
    return min(placed, key=lambda pair: pair[1]) if placed else None


def _words(text: str) -> str:
    return " ".join(text.split()).casefold()


def _names_match(wanted: str, *names: str) -> bool:
    """The address names it: equal, one inside the other (日坛公园北门厕所 holds 北门厕所)."""
    return any(name and (wanted == name or wanted in name or name in wanted)
               for name in map(_words, names))


def _spot_matches(spot: Spot, wanted: str) -> bool:
    """A spot's names, or its address (the description staff wrote, e.g. 北门内东侧)."""
    address = _words(spot.description)
    return (_names_match(wanted, spot.name_zh, spot.name_en)
            or (len(wanted) >= 2 and bool(address) and wanted in address))


def match_address(unit: Unit, candidates: Sequence[Spot], address: str,
                  coordinates: tuple[float, float] | None) -> Spot:
    """The spot address_string names: by a spot's name or address, within the parks it names
    (park names: "日坛公园 北门厕所"); a park alone is enough when lat/long pick the spot
    nearest to it in that park, or the park has one spot."""
    wanted = _words(address)
    parks = [park for park in unit.parks if _names_match(wanted, park.name_zh, park.name_en)]
    if parks:
        in_parks = [spot for spot in candidates if spot.park_id in {p.id for p in parks}]
        candidates = in_parks or candidates
    exact = [spot for spot in candidates
             if wanted in (_words(spot.name_zh), _words(spot.name_en))]
    matching = exact or [spot for spot in candidates if _spot_matches(spot, wanted)]
    if len(matching) == 1:
        return matching[0]
    if len(matching) > 1:
        raise DomainError(_("Several spots match address_string; give address_id "
                            "(a spot code) instead."))
    if len(parks) == 1:
        in_park = [spot for spot in candidates if spot.park_id == parks[0].id]
        found = nearest_spot(in_park, coordinates) if coordinates else None
        if found is not None:
            return found[0]
        if len(in_park) == 1:
            return in_park[0]
        raise DomainError(_("address_string names %(park)s but none of its spots: give "
                            "address_id or attribute[spot] (GET services/<code> lists them).",
                            park=parks[0].name(current_language())))
    raise DomainError(_("No park or spot matches address_string; give address_id "
                        "(a spot code)."))


def locate_spot(unit: Unit, request: NewRequest,
                coordinates: tuple[float, float] | None) -> Spot:
    """The spot a request is about: its code; else the nearest spot with a position within
    OPEN311_SPOT_RADIUS_M of lat/long; else the park or spot address_string names.

    Parks have no outline in this model, so a point is placed by its nearest spot only
    (a point in a park's far corner, farther than the radius from every spot, needs
    address_string or address_id)."""
    code = (request.address_id or request.spot).strip()
    if code:
        spot = db.session.scalar(select(Spot).where(Spot.code == code))
        if spot is None or not spot.active or spot.park.unit_id != unit.id:
            raise DomainError(_("address_id %(code)s is not a spot in use here.", code=code))
        return spot
    park_id = _park_filter(unit, request.park.strip())
    candidates = active_spots(unit, park_id)
    if coordinates is not None:
        found = nearest_spot(candidates, coordinates)
        radius = spot_radius_m()
        if found is not None and found[1] <= radius:
            return found[0]
        if not request.address_string.strip():
            raise DomainError(_("No spot of this jurisdiction is within %(m)d m of lat/long; "
                                "give address_id or address_string.", m=radius))
    if request.address_string.strip():
        return match_address(unit, candidates, request.address_string, coordinates)
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


def file_service_request(*, key: ApiKey, unit: Unit, request: NewRequest, language: str,
                         photos: Sequence[PreparedPhoto] = ()) -> Receipt:
    """File a request through the same path as a QR submission, with source "api"; `photos`
    (the `media` upload) are checked and stored as a visitor's (never public on their own)."""
    category = find_service(unit, request.service_code)
    description = _clean_description(request.description)
    media_url = _clean_media_url(request.media_url)
    coordinates = parse_coordinates(request.lat.strip(), request.long.strip())
    spot = locate_spot(unit, request, coordinates)
    latitude, longitude = coordinates if coordinates else (None, None)
    contact, contact_note = _contacts(request)
    receipt = submit_case(
        spot_id=spot.id, category_code=category.code, body=description,
        contact=contact, contact_note=contact_note, language=language, source=Source.OPEN311,
        latitude=latitude, longitude=longitude, media_url=media_url, photos=photos,
    )
    log.info("open311 request %s filed with api key %s", receipt.case.reference, key.id)
    return receipt


def parse_datetime(name: str, value: str | None) -> datetime | None:
    value = (value or "").strip()
    if not value:
        return None
    # 2026-05-01T08:00:00+08:00 in a query string without encoding its "+" arrives with a
    # space there (application/x-www-form-urlencoded): read it as the offset it was
    value = UNENCODED_OFFSET.sub(r"+\1", value)
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
    start, end = date_window(start_date, end_date)
    query = query.where(Case.created_at >= start, Case.created_at <= end)
    return list(db.session.scalars(query))


def date_window(start_date: str | None, end_date: str | None) -> tuple[datetime, datetime]:
    """start_date..end_date as the spec reads them: at most 90 days; the last 90 days when
    neither is given, 90 days from or up to the one given."""
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
    return start, end


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


# --- mySociety's extension: GET servicerequestupdates.{format} ------------------------------
# (FixMyStreet's Open311::GetServiceRequestUpdates polls it with start_date/end_date and
# maps the status with lc() and "_" -> " ": fixed -> "fixed - council", etc.)
UPDATE_STATUSES = {
    Status.NEW: "open",
    Status.ACKNOWLEDGED: "investigating",
    Status.IN_PROGRESS: "in_progress",
    Status.RESOLVED: "fixed",
    Status.CLOSED: "closed",
    Status.DUPLICATE: "duplicate",
    Status.REFERRED: "not_councils_responsibility",  # handed to another body
    Status.NO_ACTION: "no_further_action",
}
UPDATE_KINDS = (MessageKind.REPLY.value, MessageKind.STATUS.value)


@dataclass(frozen=True)
class RequestUpdate:
    """One update of a request: a public reply or a status change, and the status (ours)
    the case had right after it."""

    message: Message
    case: Case
    status: str


def _status_after(steps: list[tuple[datetime, int, str]], moment: datetime) -> str:
    """The status the last status step at or before `moment` set (a case starts new)."""
    status = Status.NEW.value
    for created_at, _id, status_to in steps:
        if created_at > moment:
            break
        status = status_to
    return status


def find_request_updates(*, unit: Unit | None, start_date: str | None,
                         end_date: str | None) -> list[RequestUpdate]:
    """Public replies and status changes made in the window, oldest first (the newest 1000
    when there are more). A reply and the status change made with it are one update."""
    start, end = date_window(start_date, end_date)
    query = (select(Message)
             .join(Case, Message.case_id == Case.id)
             .where(Message.kind.in_(UPDATE_KINDS), Message.created_at >= start,
                    Message.created_at <= end, Case.status.not_in(HIDDEN_STATUSES))
             .options(joinedload(Message.case).joinedload(Case.unit))
             .order_by(Message.created_at.desc(), Message.id.desc())
             .limit(MAX_REQUESTS))
    if unit is not None:
        query = query.where(Case.unit_id == unit.id)
    messages = list(reversed(db.session.scalars(query).all()))
    if not messages:
        return []
    history: dict[int, list[tuple[datetime, int, str]]] = {}
    rows = db.session.execute(
        select(Message.case_id, Message.created_at, Message.id, Message.status_to)
        .where(Message.case_id.in_({m.case_id for m in messages}),
               Message.kind == MessageKind.STATUS.value, Message.created_at <= end)
        .order_by(Message.created_at, Message.id))
    for case_id, created_at, message_id, status_to in rows:
        history.setdefault(case_id, []).append((created_at, message_id, status_to or ""))
    replied = {(m.case_id, m.created_at) for m in messages if m.kind == MessageKind.REPLY}
    return [RequestUpdate(message=m, case=m.case,
                          status=_status_after(history.get(m.case_id, []), m.created_at))
            for m in messages
            if m.kind == MessageKind.REPLY or (m.case_id, m.created_at) not in replied]


def update_status(status: str) -> str:
    """Our status as the extension's value (FixMyStreet maps it to its own states)."""
    return UPDATE_STATUSES.get(Status(status), "open")


def services_changeset(documents: str) -> str:
    """When the services last changed, as discovery's sortable `changeset`: the latest of the
    API documents' own date, a category created or changed, a unit set up."""
    latest = [db.session.scalar(select(func.max(AuditLog.created_at)).where(
                  AuditLog.target_type == "category")),
              db.session.scalar(select(func.max(Unit.created_at)))]
    stamps: list[str] = [documents] + [moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                            for moment in latest if moment is not None]
    return max(stamps)
