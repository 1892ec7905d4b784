"""The JSON API at /api/v1/: cases, threads, replies, notes, claims, status, spots, parks,
12345 tickets.

Reads take a browser session or an API key (X-API-Key); writes are for park staff in a
session and need the CSRF token (X-CSRFToken, from GET /api/v1/session); a unit's key may
also send it 12345 tickets. The OpenAPI
document at /api/openapi.json is generated from these views and their schemas.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import current_app
from flask_login import current_user
from flask_smorest import Blueprint, abort
from flask_wtf.csrf import generate_csrf
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from app.api.auth import Caller, acting_staff, current_caller, rate_limit_key, sent_api_key
from app.api.schemas import (
    EARLIEST,
    LATEST,
    AssignSchema,
    CasePageSchema,
    CaseQuerySchema,
    CaseSchema,
    CategorySchema,
    ComparisonQuerySchema,
    ComparisonSchema,
    HotlineIntakeSchema,
    HotlineTicketSchema,
    MessageSchema,
    NewCaseSchema,
    NoteSchema,
    ParkSchema,
    PersonSchema,
    ReplySchema,
    SessionSchema,
    SpotQuerySchema,
    SpotSchema,
    StatusChangeSchema,
    SuggestionsSchema,
    SuggestRequestSchema,
    dump_page,
)
from app.bureau.decorators import scope_of
from app.extensions import csrf, db, limiter
from app.models import Case, Category, Message, MessageKind, Park, Spot, StaffUser
from app.services.bureau.analytics import (
    Figures,
    Weights,
    compare_parks,
    last_complete_month,
    next_month,
)
from app.services.bureau.csv_import import CsvImportError
from app.services.bureau.rollups import REPORT_TZ
from app.services.cases.hotline import take_in_ticket
from app.services.cases.operations import (
    add_internal_note,
    assign_case,
    change_status,
    claim_case,
    colleagues,
    hand_back_case,
    reply_to_visitor,
    require_acting,
)
from app.services.cases.submission import take_case_down
from app.services.cases.suggest import suggest_categories
from app.services.cases.transfers import transfer_json
from app.services.cases.voice import attachments_json
from app.services.errors import DomainError, ForbiddenError, NotFoundError
from app.services.spots.qr import spot_url

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1",
               description="Cases, threads and replies for the staff app and integrations.")
csrf.exempt(bp)  # checked per write in acting_staff(): API-key callers have no session
SECURITY: list[dict[str, list[str]]] = [{"ApiKey": []}, {"Session": []}]
SESSION_ONLY: list[dict[str, list[str]]] = [{"Session": []}]
T = TypeVar("T")


def _limit() -> str:
    return str(current_app.config["API_RATE_LIMIT"])


limiter.limit(_limit, key_func=rate_limit_key)(bp)


class CaseView:
    """A case as this caller may see it: the visitor's contact for the unit's staff only."""

    def __init__(self, case: Case, caller: Caller) -> None:
        self._case = case
        self.contact = case.contact if caller.is_unit_staff else None
        self.transfers = [transfer_json(transfer) for transfer in case.transfers]
        self.attachments = attachments_json(case)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._case, name)


def _visible(query: Any, caller: Caller) -> Any:
    if caller.unit_ids is None:
        return query
    return query.where(Case.unit_id.in_(caller.unit_ids))


def _case(caller: Caller, case_id: int) -> Case:
    case = db.session.get(Case, case_id)
    if case is None or not caller.sees_unit(case.unit_id):
        abort(404, message="No such case.")
    assert case is not None  # noqa: S101 - abort raised otherwise
    return case


@bp.route("/session", methods=["GET"])
@bp.doc(security=SECURITY)
@bp.response(200, SessionSchema)
def show_session() -> dict[str, Any]:
    """Who is calling; for a browser session, the CSRF token to send on writes."""
    caller = current_caller()
    return {
        "user_id": caller.user.id if caller.user else None,
        "name": caller.user.name if caller.user else None,
        "unit_ids": sorted(caller.unit_ids) if caller.unit_ids is not None else None,
        "api_key": caller.key.prefix if caller.key else None,
        "csrf_token": generate_csrf() if caller.user else None,
    }


@bp.route("/cases", methods=["GET"])
@bp.doc(security=SECURITY)
@bp.arguments(CaseQuerySchema, location="query", as_kwargs=True)
@bp.response(200, CasePageSchema)
def list_cases(page: int, per_page: int, status: list[str] | None = None,
               park_id: int | None = None, category: str | None = None,
               source: str | None = None, assignee: str | None = None) -> dict[str, Any]:
    """Cases the caller may see, newest first, a page at a time."""
    caller = current_caller()
    query = _visible(select(Case), caller)
    if status:
        query = query.where(Case.status.in_(status))
    if park_id is not None:
        query = query.where(Case.park_id == park_id)
    if category:
        query = query.where(Case.category.has(Category.code == category))
    if source:
        query = query.where(Case.source == source)
    if assignee == "none":
        query = query.where(Case.assignee_id.is_(None))
    elif assignee == "me":
        query = query.where(Case.assignee_id == (caller.user.id if caller.user else -1))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    cases = db.session.scalars(
        query.options(joinedload(Case.park), joinedload(Case.spot),
                      joinedload(Case.category), joinedload(Case.assignee))
        .order_by(Case.created_at.desc(), Case.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    return dump_page([CaseView(case, caller) for case in cases], page, per_page, total)


@bp.route("/cases/<int:case_id>", methods=["GET"])
@bp.doc(security=SECURITY)
@bp.response(200, CaseSchema)
def show_case(case_id: int) -> CaseView:
    """One case; another unit's case is 404."""
    caller = current_caller()
    return CaseView(_case(caller, case_id), caller)


@bp.route("/cases/<int:case_id>/messages", methods=["GET"])
@bp.doc(security=SECURITY)
@bp.response(200, MessageSchema(many=True))
def list_messages(case_id: int) -> list[Message]:
    """The case's thread, oldest first; internal notes only for the unit's park staff."""
    caller = current_caller()
    case = _case(caller, case_id)
    return [message for message in case.messages
            if caller.is_unit_staff or message.kind != MessageKind.NOTE]


def _act(caller: Caller, case_id: int, action: Callable[[], T]) -> T:
    """Run a write service on a case the caller can see, its refusals as HTTP errors.

    Another unit's case is 404; a read-only role 403; a broken workflow rule (a closed
    case, an impossible status) 409, and nothing changed.
    """
    _case(caller, case_id)
    try:
        return action()
    except NotFoundError:
        abort(404, message="No such case.")
    except ForbiddenError as error:
        abort(403, message=str(error))
    except DomainError as error:
        abort(409, message=str(error))
    raise AssertionError("unreachable")


def _case_action(case_id: int, action: Callable[[StaffUser], Case]) -> CaseView:
    """A workflow change by park staff in a session; the case as it is afterwards."""
    caller, user = acting_staff()
    return CaseView(_act(caller, case_id, lambda: action(user)), caller)


@bp.route("/cases", methods=["POST"])
@bp.doc(security=SESSION_ONLY)
@bp.arguments(NewCaseSchema, as_kwargs=True)
@bp.response(201, CaseSchema)
def create_case(spot: str, category: str, body: str, channel: str,
                contact: str | None = None) -> CaseView:
    """Take a case down (a call, a visitor at the counter, a patrol): the same workflow as a
    QR case, with source "staff". A spot of another unit is 404, a read-only role 403, an
    unknown category 400."""
    caller, user = acting_staff()
    try:
        case = take_case_down(user=user, spot_code=spot, category_code=category, body=body,
                              channel=channel, contact=contact)
    except NotFoundError:
        abort(404, message="No such spot.")
    except ForbiddenError as error:
        abort(403, message=str(error))
    except DomainError as error:
        abort(400, message=str(error))
    return CaseView(case, caller)


@bp.route("/cases/<int:case_id>/replies", methods=["POST"])
@bp.doc(security=SESSION_ONLY)
@bp.arguments(ReplySchema, as_kwargs=True)
@bp.response(201, MessageSchema)
def create_reply(case_id: int, body: str, status: str | None = None,
                 referred_to: str | None = None) -> Message:
    """Reply to the visitor (shown on their tracking page), optionally moving the status."""
    caller, user = acting_staff()
    return _act(caller, case_id, lambda: reply_to_visitor(
        user=user, case_id=case_id, body=body, new_status=status, referred_to=referred_to))


@bp.route("/cases/<int:case_id>/notes", methods=["POST"])
@bp.doc(security=SESSION_ONLY)
@bp.arguments(NoteSchema, as_kwargs=True)
@bp.response(201, MessageSchema)
def create_note(case_id: int, body: str) -> Message:
    """An internal note for colleagues; the visitor never sees it."""
    caller, user = acting_staff()
    return _act(caller, case_id, lambda: add_internal_note(user=user, case_id=case_id,
                                                           body=body))


@bp.route("/cases/<int:case_id>/claim", methods=["POST"])
@bp.doc(security=SESSION_ONLY)
@bp.response(200, CaseSchema)
def claim(case_id: int) -> CaseView:
    """Take the case on: the caller becomes its assignee (a new case is acknowledged)."""
    return _case_action(case_id, lambda user: claim_case(user=user, case_id=case_id))


@bp.route("/cases/<int:case_id>/assign", methods=["POST"])
@bp.doc(security=SESSION_ONLY)
@bp.arguments(AssignSchema, as_kwargs=True)
@bp.response(200, CaseSchema)
def assign(case_id: int, assignee_id: int) -> CaseView:
    """Give the case to a colleague of its unit."""
    return _case_action(case_id, lambda user: assign_case(user=user, case_id=case_id,
                                                          assignee_id=assignee_id))


@bp.route("/cases/<int:case_id>/hand-back", methods=["POST"])
@bp.doc(security=SESSION_ONLY)
@bp.response(200, CaseSchema)
def hand_back(case_id: int) -> CaseView:
    """Give the case back to the park's team (its holder or a director may)."""
    return _case_action(case_id, lambda user: hand_back_case(user=user, case_id=case_id))


@bp.route("/cases/<int:case_id>/status", methods=["POST"])
@bp.doc(security=SESSION_ONLY)
@bp.arguments(StatusChangeSchema, as_kwargs=True)
@bp.response(200, CaseSchema)
def set_status(case_id: int, status: str, referred_to: str | None = None,
               reply: str | None = None) -> CaseView:
    """Move the case through the workflow (referred needs `referred_to`; closing a case with
    no public reply yet needs `reply`)."""
    return _case_action(case_id, lambda user: change_status(
        user=user, case_id=case_id, status=status, referred_to=referred_to, reply=reply))


@bp.route("/cases/<int:case_id>/colleagues", methods=["GET"])
@bp.doc(security=SECURITY)
@bp.response(200, PersonSchema(many=True))
def list_colleagues(case_id: int) -> list[StaffUser]:
    """The staff of the case's unit who may take it (for assign)."""
    caller = current_caller()
    return colleagues(_case(caller, case_id).unit_id)


@bp.route("/parks", methods=["GET"])
@bp.doc(security=SECURITY)
@bp.response(200, ParkSchema(many=True))
def list_parks() -> list[Park]:
    """The parks of the caller's units."""
    caller = current_caller()
    query = select(Park).order_by(Park.id)
    if caller.unit_ids is not None:
        query = query.where(Park.unit_id.in_(caller.unit_ids))
    return list(db.session.scalars(query))


class SpotView:
    def __init__(self, spot: Spot) -> None:
        self._spot = spot
        self.qr_url = spot_url(spot)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._spot, name)


@bp.route("/spots", methods=["GET"])
@bp.doc(security=SECURITY)
@bp.arguments(SpotQuerySchema, location="query", as_kwargs=True)
@bp.response(200, SpotSchema(many=True))
def list_spots(park_id: int | None = None) -> list[SpotView]:
    """The spots (QR points) of the caller's parks, revoked ones included."""
    caller = current_caller()
    query = select(Spot).join(Park).order_by(Spot.id)
    if caller.unit_ids is not None:
        query = query.where(Park.unit_id.in_(caller.unit_ids))
    if park_id is not None:
        query = query.where(Spot.park_id == park_id)
    return [SpotView(spot) for spot in db.session.scalars(query)]


def _session_csrf_first(view: Callable[..., T]) -> Callable[..., T]:
    """A session's CSRF token is checked before the body is read (a forged request is 400
    whatever it sends); a key has no session to forge."""
    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> T:
        if sent_api_key() is None and current_user.is_authenticated:
            csrf.protect()
        return view(*args, **kwargs)
    return checked


@bp.route("/categories/suggest", methods=["POST"])
@bp.doc(security=SECURITY)
@_session_csrf_first
@bp.arguments(SuggestRequestSchema, as_kwargs=True)
@bp.response(200, SuggestionsSchema)
def suggest(text: str, park_id: int | None = None) -> dict[str, Any]:
    """The caller's unit's categories for a text, best first (POST: a visitor's words never
    reach a URL or an access log). A session sends its CSRF token in X-CSRFToken."""
    caller = current_caller()
    if park_id is not None:
        park = db.session.get(Park, park_id)
        if park is None or not caller.sees_unit(park.unit_id):
            abort(404, message="No such park.")
        assert park is not None  # noqa: S101 - abort raised otherwise
        unit_id = park.unit_id
    elif caller.unit_ids:
        unit_id = min(caller.unit_ids)
    else:
        abort(422, message="park_id: a caller of every unit names the park.")
        raise AssertionError("unreachable")
    return {"suggestions": [{"category": s.category, "score": s.score}
                            for s in suggest_categories(unit_id, text)]}


@bp.route("/categories", methods=["GET"])
@bp.doc(security=SECURITY)
@bp.response(200, CategorySchema(many=True))
def list_categories() -> list[Category]:
    """The categories of the caller's units, with their time limits."""
    caller = current_caller()
    query = select(Category).order_by(Category.unit_id, Category.sort_order, Category.id)
    if caller.unit_ids is not None:
        query = query.where(Category.unit_id.in_(caller.unit_ids))
    return list(db.session.scalars(query))


def _figures(figures: Figures, weights: Weights) -> dict[str, Any]:
    return {"cases": figures.cases,
            "reports": figures.reports,
            "response_counted": figures.response_counted,
            "response_rate": figures.response_rate,
            "resolution_rate": figures.resolution_rate,
            "satisfaction_rate": figures.satisfaction_rate,
            "score": figures.score(weights),
            "median_response_minutes": figures.median_response_minutes,
            "p90_response_minutes": figures.p90_response_minutes,
            "median_resolution_minutes": figures.median_resolution_minutes,
            "within_limit_share": figures.within_limit_share,
            "within_limit_counted": figures.within_limit_counted,
            "unanswered": figures.unanswered,
            "satisfaction": figures.satisfaction,
            "reopen_rate": figures.reopen_rate}


def _compared_parks(caller: Caller) -> list[Park]:
    """Bureau users and bureau-wide keys: every park; directors and unit keys: their own."""
    if caller.user is not None:
        scope = scope_of(caller.user)
        if scope is None:
            abort(403, message="Only the parks bureau and directors compare parks.")
        assert scope is not None  # noqa: S101 - abort raised otherwise
        return scope.parks
    query = select(Park).order_by(Park.id)
    if caller.unit_ids is not None:
        query = query.where(Park.unit_id.in_(caller.unit_ids))
    return list(db.session.scalars(query))


def _period(month: str | None, from_: date | None, to: date | None) -> tuple[date, date]:
    """[start, end) of the comparison: ?month=, else ?from=&to=, else the last complete
    month in the city's calendar."""
    if month is not None:
        try:
            start = datetime.strptime(month, "%Y-%m").date()  # noqa: DTZ007 - a calendar month
        except ValueError:
            abort(400, message="month must be YYYY-MM, e.g. 2026-11.")
        if not EARLIEST <= start <= LATEST:
            abort(400, message=f"month must be between {EARLIEST:%Y-%m} and {LATEST:%Y-%m}.")
        return start, next_month(start)
    today = datetime.now(REPORT_TZ).date()
    start = from_ or (today.replace(day=1) if to else last_complete_month(today))
    end = (to + timedelta(days=1)) if to else next_month(start)
    if end <= start or end - start > timedelta(days=366):
        abort(422, message="from must be before to, at most a year apart.")
    return start, end


@bp.route("/bureau/comparison", methods=["GET"])
@bp.doc(security=SECURITY)
@bp.arguments(ComparisonQuerySchema, location="query", as_kwargs=True)
@bp.response(200, ComparisonSchema)
@bp.alt_response(400, response="DEFAULT_ERROR")  # a month that is not YYYY-MM
def compare(sort: str, month: str | None = None, min_cases: int | None = None,
            from_: date | None = None, to: date | None = None) -> dict[str, Any]:
    """Parks side by side, ranked by the composite score of 响应率, 解决率 and 满意率.

    Response rate (响应率): cases answered at or before their reply deadline, among the
    cases that count (`response_counted`): a deadline and an answer, or a deadline that has
    passed; a case not answered yet whose deadline is still ahead is neither late nor on
    time, and spam needs no reply. Resolution rate (解决率): cases resolved (then confirmed
    by the visitor or closed automatically) among all but spam and duplicates. Satisfaction
    rate (满意率): rated 4 or 5 of 5 among the rated cases. `score` weighs the three by
    `weights` (the setting BUREAU_SCORE_WEIGHTS). Parks with fewer than `min_cases` cases
    (default: the setting BUREAU_MIN_CASES) are listed with a null rank. Without `month` or
    `from`, the period is the last complete month. Kept from before: `park`,
    `within_limit_share` and `within_limit_counted` (the same as `response_rate` and
    `response_counted`), `start`, `end`, `city`.
    """
    caller = current_caller()
    start, end = _period(month, from_, to)
    if min_cases is None:
        min_cases = int(current_app.config["BUREAU_MIN_CASES"])
    comparison = compare_parks(_compared_parks(caller), start, end, min_cases=min_cases,
                               sort=sort)
    weights = comparison.weights
    whole_month = start.day == 1 and end == next_month(start)
    return {
        "month": start.strftime("%Y-%m") if whole_month else None,
        "is_partial": comparison.partial(datetime.now(REPORT_TZ).date()),
        "weights": weights,
        "start": comparison.start, "end": comparison.end - timedelta(days=1),
        "min_cases": comparison.min_cases, "sort": comparison.sort,
        "parks": [{**_figures(row.figures, weights), "park_id": row.park.id, "park": row.park,
                   "rank": row.rank, "visits": row.visits,
                   "per_10k_visits": row.per_10k_visits,
                   "by_category": row.by_category, "by_channel": row.by_channel,
                   "by_zone": row.by_zone, "transferred": row.transferred,
                   "sent_to": row.sent_to}
                  for row in comparison.rows],
        "city": _figures(comparison.city, weights),
    }


def _ticket_unit(caller: Caller, unit_id: int | None) -> int:
    """The unit a ticket goes to: the key's or the person's, or the one named."""
    units = caller.unit_ids
    if unit_id is None:
        if units is None or len(units) != 1:
            abort(400, message="Give unit_id: this caller reaches several units.")
        assert units is not None  # noqa: S101 - abort raised otherwise
        return next(iter(units))
    if not caller.sees_unit(unit_id):
        abort(404, message="No such unit.")
    return unit_id


@bp.route("/hotline/tickets", methods=["POST"])
@bp.doc(security=SECURITY)
@bp.arguments(HotlineTicketSchema)
@bp.response(201, HotlineIntakeSchema)
@bp.alt_response(200, schema=HotlineIntakeSchema, description="The unit had this ticket already.")
def create_hotline_ticket(ticket: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """A 12345 ticket into the unit's inbox: a case with source "hotline" at the spot its
    address names, with the hotline's time limits, or a ticket waiting for a person to
    place it. An API key of the unit (the hotline platform), or acting park staff in a
    session (X-CSRFToken); a read-only role 403. The same ticket again is 200, nothing added."""
    caller = current_caller()
    user_id = None
    if caller.user is not None:
        caller, user = acting_staff()
        user_id = user.id
    unit_id = _ticket_unit(caller, ticket.pop("unit_id"))
    try:
        if caller.user is not None:
            require_acting(caller.user, unit_id)
        result = take_in_ticket(ticket, unit_id=unit_id, user_id=user_id,
                                via=f"api:{caller.key.prefix}" if caller.key else "api")
    except ForbiddenError as error:
        abort(403, message=str(error))
    except NotFoundError:
        abort(404, message="No such unit.")
    except CsvImportError as error:
        abort(400, message="; ".join(problem.message for problem in error.errors))
    except DomainError as error:
        abort(400, message=str(error))
    return result, 201 if result["taken_in"] else 200
