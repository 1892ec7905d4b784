"""Open311 GeoReport v2 server at /open311/v2/: discovery, services, requests, tokens.

Every resource answers in XML (required by the spec) and JSON, chosen by the URL's
extension; errors are the spec's list of code + description with HTTP 404 (no such
resource), 403 (missing or bad api_key) or 400 (anything else).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.api.georeport_format import FORMATS, render, render_errors
from app.extensions import csrf, db, limiter
from app.i18n import current_language
from app.models import OPEN_STATUSES, Case, MessageKind, Status, Unit
from app.security import client_key, uploaded_files
from app.services.accounts.api_keys import find_api_key
from app.services.cases.open311 import (
    KeyRefused,
    NewRequest,
    RequestUpdate,
    active_categories,
    active_spots,
    file_service_request,
    find_jurisdiction,
    find_request_updates,
    find_service,
    find_service_request,
    find_service_requests,
    jurisdiction_id,
    latest_public_replies,
    request_unit,
    services_changeset,
    update_status,
)
from app.services.cases.photos import prepare_photos
from app.services.cases.public import public_description, public_photos, public_reply
from app.services.cases.submission import find_case_by_token
from app.services.cases.workflow import STATUS_LABELS
from app.services.errors import DomainError, NotFoundError
from app.services.platform.urls import absolute_url, absolute_url_for, base_url

bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
csrf.exempt(bp)  # machines post with an api_key, not from our forms

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# the last change to this API's documents (sortable, as the discovery spec asks)
CHANGESET = "2026-11-29T00:00:00Z"

View = TypeVar("View", bound=Callable[..., Any])
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def rate_limit_key() -> str:
    """Rate limits count per API key (hashed) when one is sent, else per client."""
    secret = request.form.get("api_key") or request.args.get("api_key")
    if secret:
        return "key:" + hashlib.sha256(secret.encode()).hexdigest()[:32]
    return "client:" + client_key()


def param(name: str) -> str | None:
    """A parameter from the form body or, as many clients send it, the query string
    (api_key, jurisdiction_id): the body wins when both are given."""
    value = request.form.get(name)
    return value if value not in (None, "") else request.args.get(name)


def cors_origin() -> str | None:
    """The Access-Control-Allow-Origin for this request: the Origin when it is one of
    OPEN311_CORS_ORIGINS ("*": any), else None (no CORS; the default)."""
    origin = request.headers.get("Origin", "")
    allowed = {part.strip().rstrip("/") for part in
               str(current_app.config.get("OPEN311_CORS_ORIGINS") or "").split(",")
               if part.strip()}
    if not origin or not allowed:
        return None
    if "*" in allowed:
        return "*"
    return origin if origin.rstrip("/") in allowed else None


@bp.after_request
def allow_browser_clients(response: Response) -> Response:
    """CORS for the read endpoints (GET, and the browser's OPTIONS preflight of a GET):
    a browser client on an allowed origin may read; filing stays server to server."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        origin = cors_origin()
        if origin is not None:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Methods"] = "GET"
            response.headers["Access-Control-Max-Age"] = "3600"
        response.vary.add("Origin")
    return response


def _read_limit() -> str:
    return str(current_app.config["OPEN311_READ_LIMIT"])


def _write_limit() -> str:
    return str(current_app.config["OPEN311_WRITE_LIMIT"])


def _has_control_characters() -> bool:
    """NUL and other control characters (line breaks and tabs aside) are never meant."""
    values = [*request.args.values(), *request.form.values()]
    return any(CONTROL.search(value) for value in values)


def georeport(view: View) -> View:
    """Check the format in the URL and turn domain errors into the spec's error documents."""

    @wraps(view)
    def wrapped(*args: Any, fmt: str, **kwargs: Any) -> ResponseReturnValue:
        if fmt not in FORMATS:
            return render_errors("xml", 404, [_("Unknown format %(fmt)s: use xml or json.",
                                                fmt=fmt)])
        if _has_control_characters():
            return render_errors(fmt, 400, [_("Parameters may not contain control characters.")])
        try:
            return cast(ResponseReturnValue, view(*args, fmt=fmt, **kwargs))
        except KeyRefused as error:
            return render_errors(fmt, 403, [str(error)])
        except NotFoundError as error:
            return render_errors(fmt, 404, [str(error)])
        except DomainError as error:
            return render_errors(fmt, 400, [str(error)])

    return cast(View, wrapped)


def w3c(moment: datetime | None, unit: Unit) -> str | None:
    """ISO 8601 with the unit's UTC offset, e.g. 2026-05-01T09:30:00+08:00."""
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(unit.timezone)).isoformat(timespec="seconds")


def _localized(zh: str, en: str, locale: str) -> str:
    return en if locale == "en" and en else zh


def service_notice(case: Case, locale: str) -> str:
    if case.status in OPEN_STATUSES:
        return str(_("The staff of %(park)s have been told and will answer.",
                     park=case.park.name(locale)))
    return str(_("This request has been dealt with."))


def _media_url(case: Case) -> str | None:
    """The first photo a staff member made public; no other photo or link is ever shown."""
    photos = public_photos(case)
    if not photos:
        return None
    return absolute_url_for("visitor.public_photo", photo_id=photos[0].id)


def request_row(case: Case, status_notes: str | None, locale: str) -> dict[str, Any]:
    """One request as GET requests.{format} returns it: never the visitor's contact, their
    words only as the approved summary or masked (nothing for a private case), no photo
    unless staff made it public (app.services.cases.public)."""
    unit, spot = case.unit, case.spot
    latitude = case.latitude if case.latitude is not None else (spot and spot.latitude)
    longitude = case.longitude if case.longitude is not None else (spot and spot.longitude)
    place = [spot.name(locale)] if spot else []
    place += [case.park.name(locale), _localized(unit.name_zh, unit.name_en, locale)]
    expected = case.resolve_due_at if case.status in OPEN_STATUSES else None
    return {
        "service_request_id": case.reference,
        "status": "open" if case.status in OPEN_STATUSES else "closed",
        "status_notes": public_reply(case, status_notes),
        "service_name": case.category.name(locale),
        "service_code": case.category.code,
        "description": public_description(case),
        "agency_responsible": _localized(unit.name_zh, unit.name_en, locale),
        "service_notice": service_notice(case, locale),
        "requested_datetime": w3c(case.created_at, unit),
        "updated_datetime": w3c(case.updated_at, unit),
        "expected_datetime": w3c(expected, unit),
        "address": ", ".join(place),
        "address_id": spot.code if spot else None,
        "lat": latitude,
        "long": longitude,
        "media_url": _media_url(case),
    }


@bp.get("/discovery.<fmt>")
@limiter.limit(_read_limit, key_func=rate_limit_key)
@georeport
def discovery(fmt: str) -> ResponseReturnValue:
    base = base_url()
    production = current_app.config["ENV_NAME"] == "production"
    changeset = services_changeset(CHANGESET)
    return render(fmt, "discovery", {
        "changeset": changeset,
        "contact": current_app.config["OPEN311_CONTACT"] or _(
            "Park Mailbox at %(url)s: ask the parks bureau or your park's director.", url=base),
        "key_service": _("API keys are issued by a park's director (Settings, API keys) "
                         "or by a parks bureau administrator at %(url)s/admin/api-keys.",
                         url=base),
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": absolute_url("/open311/v2"),
            "changeset": changeset,
            "type": "production" if production else "test",
            "formats": ["text/xml", "application/json"],
        }],
    })


@bp.get("/services.<fmt>")
@limiter.limit(_read_limit, key_func=rate_limit_key)
@georeport
def services(fmt: str) -> ResponseReturnValue:
    unit = find_jurisdiction(param("jurisdiction_id"), required=True)
    assert unit is not None  # noqa: S101 - required=True
    locale = current_language()
    rows = [{
        "service_code": category.code,
        "service_name": category.name(locale),
        "description": _("%(name)s, answered by the park's staff.",
                         name=category.name(locale)),
        "metadata": True,
        "type": "realtime",
        "keywords": ", ".join(filter(None, (category.name_zh, category.name_en,
                                            category.code))),
        "group": category.role,
    } for category in active_categories(unit)]
    return render(fmt, "services", rows)


@bp.get("/services/<service_code>.<fmt>")
@limiter.limit(_read_limit, key_func=rate_limit_key)
@georeport
def service_definition(service_code: str, fmt: str) -> ResponseReturnValue:
    unit = find_jurisdiction(param("jurisdiction_id"), required=True)
    assert unit is not None  # noqa: S101 - required=True
    category = find_service(unit, service_code)
    locale = current_language()
    spots = active_spots(unit)
    return render(fmt, "service_definition", {
        "service_code": category.code,
        "attributes": [
            {
                "variable": True, "code": "park", "datatype": "singlevaluelist",
                "required": False, "datatype_description": None, "order": 1,
                "description": _("The park (narrows the search by lat/long or "
                                 "address_string)."),
                "values": [{"key": str(park.id), "name": park.name(locale)}
                           for park in unit.parks],
            },
            {
                "variable": True, "code": "spot", "datatype": "singlevaluelist",
                "required": False, "datatype_description": None, "order": 2,
                "description": _("The spot with the QR code (the same as address_id)."),
                "values": [{"key": spot.code,
                            "name": f"{spot.park.name(locale)} · {spot.name(locale)}"}
                           for spot in spots],
            },
        ],
    })


def _new_request() -> NewRequest:
    form = request.form

    def field(name: str) -> str:
        return form.get(name, "")

    return NewRequest(
        service_code=field("service_code"), description=field("description"),
        lat=field("lat"), long=field("long"), address_string=field("address_string"),
        address_id=field("address_id"), park=field("attribute[park]"),
        spot=field("attribute[spot]"), email=field("email"), phone=field("phone"),
        first_name=field("first_name"), last_name=field("last_name"),
        media_url=field("media_url"),
    )


@bp.post("/requests.<fmt>")
@limiter.limit(_write_limit, key_func=rate_limit_key)
@georeport
def create_request(fmt: str) -> ResponseReturnValue:
    key = find_api_key(param("api_key"))
    if key is None:
        raise KeyRefused(_("Missing or invalid api_key: ask for a key to file requests."))
    new = _new_request()
    unit = request_unit(key, param("jurisdiction_id"), new.address_id)
    locale = current_language()
    # `media`: photos uploaded with the request, checked and re-encoded as the visitor
    # form's are (before anything is stored)
    photos = prepare_photos(uploaded_files("media"))
    receipt = file_service_request(key=key, unit=unit, request=new, language=locale,
                                   photos=photos)
    case = receipt.case
    return render(fmt, "service_requests", [{
        "service_request_id": case.reference,
        "service_notice": service_notice(case, locale),
        "account_id": None,
    }])


@bp.get("/requests.<fmt>")
@limiter.limit(_read_limit, key_func=rate_limit_key)
@georeport
def list_requests(fmt: str) -> ResponseReturnValue:
    unit = find_jurisdiction(param("jurisdiction_id"), required=False)
    cases = find_service_requests(
        unit=unit,
        service_request_id=_joined("service_request_id"),
        service_code=_joined("service_code"),
        start_date=request.args.get("start_date"),
        end_date=request.args.get("end_date"),
        status=_joined("status"),
    )
    notes = latest_public_replies(cases)
    locale = current_language()
    return render(fmt, "service_requests",
                  [request_row(case, notes.get(case.id), locale) for case in cases])


@bp.get("/requests/<service_request_id>.<fmt>")
@limiter.limit(_read_limit, key_func=rate_limit_key)
@georeport
def show_request(service_request_id: str, fmt: str) -> ResponseReturnValue:
    unit = find_jurisdiction(param("jurisdiction_id"), required=False)
    case = find_service_request(unit, service_request_id)
    notes = latest_public_replies([case])
    return render(fmt, "service_requests",
                  [request_row(case, notes.get(case.id), current_language())])


def _joined(name: str) -> str:
    """A list parameter given comma separated, repeated (status=open&status=closed) or both."""
    return ",".join(request.args.getlist(name))


def _reader_unit() -> Unit | None:
    """The unit a reading client asks about: jurisdiction_id, or its api_key's own unit.
    A key is optional for reading, but one sent must be valid (and for that unit)."""
    unit = find_jurisdiction(param("jurisdiction_id"), required=False)
    secret = param("api_key")
    if not secret:
        return unit
    key = find_api_key(secret)
    if key is None:
        raise KeyRefused(_("Missing or invalid api_key: ask for a key to file requests."))
    if key.unit_id is None:
        return unit
    if unit is not None and unit.id != key.unit_id:
        raise KeyRefused(_("This api_key is not valid for jurisdiction_id %(value)s.",
                           value=param("jurisdiction_id")))
    return db.session.get(Unit, key.unit_id)


def update_row(update: RequestUpdate, locale: str) -> dict[str, Any]:
    """One request_update as mySociety's extension has it: a public reply's text masked
    (nothing for a private case), a bare status change described by its status."""
    case, message = update.case, update.message
    text = public_reply(case, message.body) if message.body else None
    if not text and message.kind == MessageKind.STATUS:
        text = str(STATUS_LABELS[Status(update.status)])
    return {
        "update_id": str(message.id),
        "service_request_id": case.reference,
        "status": update_status(update.status),
        "updated_datetime": w3c(message.created_at, case.unit),
        "description": text or "",
        "media_url": None,
        "external_status_code": update.status,
    }


@bp.get("/servicerequestupdates.<fmt>")
@limiter.limit(_read_limit, key_func=rate_limit_key)
@georeport
def request_updates(fmt: str) -> ResponseReturnValue:
    """mySociety's extension (FixMyStreet polls it): the updates made between start_date and
    end_date, from the public replies and status changes."""
    updates = find_request_updates(unit=_reader_unit(),
                                   start_date=request.args.get("start_date"),
                                   end_date=request.args.get("end_date"))
    locale = current_language()
    return render(fmt, "service_request_updates",
                  [update_row(update, locale) for update in updates])


@bp.get("/tokens/<token>.<fmt>")
@limiter.limit(_read_limit, key_func=rate_limit_key)
@georeport
def show_token(token: str, fmt: str) -> ResponseReturnValue:
    """A visitor's tracking token (from their private link) -> the service_request_id."""
    unit = find_jurisdiction(param("jurisdiction_id"), required=False)
    try:
        case = find_case_by_token(token)
    except NotFoundError:
        raise NotFoundError(_("token %(value)s was not found.", value=token[:12])) from None
    if (unit is not None and case.unit_id != unit.id) or case.status == "spam":
        raise NotFoundError(_("token %(value)s was not found.", value=token[:12]))
    return render(fmt, "service_requests",
                  [{"service_request_id": case.reference, "token": token}])


__all__ = ["bp", "jurisdiction_id", "rate_limit_key", "request_row"]
