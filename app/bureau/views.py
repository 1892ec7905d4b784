"""Bureau pages: the league table of parks and the pages around it."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask.wrappers import Response
from flask_babel import gettext as _
from flask_login import logout_user

from app.bureau.decorators import Scope, bureau_required
from app.services.accounts import log_out_everywhere
from app.services.analytics import SORT_KEYS, compare_parks, next_month
from app.services.rollups import REPORT_TZ

bp = Blueprint("bureau", __name__, url_prefix="/bureau")


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_template_filter("duration")
def duration(minutes: float | None) -> str:
    """Minutes as a short human duration (12 min, 3.5 h, 2.1 days)."""
    if minutes is None:
        return "–"
    if minutes < 90:
        return str(_("%(n)d min", n=round(minutes)))
    if minutes < 48 * 60:
        return str(_("%(n).1f h", n=minutes / 60))
    return str(_("%(n).1f days", n=minutes / 1440))


@bp.app_template_filter("percent")
def percent(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.0f}%"


def today() -> date:
    return datetime.now(REPORT_TZ).date()


def requested_period() -> tuple[date, date, str]:
    """[start, end) from ?month=YYYY-MM or ?from=&to= (inclusive); this month by default."""
    month_text = request.args.get("month", "")
    try:
        if request.args.get("from") and request.args.get("to"):
            start = date.fromisoformat(request.args["from"])
            end = date.fromisoformat(request.args["to"]) + timedelta(days=1)
            if start < end:
                return start, end, ""
        if month_text:
            start = datetime.strptime(month_text, "%Y-%m").date()  # noqa: DTZ007 - a calendar month
            return start, next_month(start), month_text
    except ValueError:
        pass
    start = today().replace(day=1)
    return start, next_month(start), start.strftime("%Y-%m")


def requested_min_cases() -> int:
    default = int(current_app.config.get("BUREAU_MIN_CASES", 20))
    try:
        return max(0, int(request.args.get("min", default)))
    except ValueError:
        return default


@bp.get("/")
@bureau_required
def index(scope: Scope) -> ResponseReturnValue:
    start, end, month = requested_period()
    sort = request.args.get("sort", "within_limit_share")
    comparison = compare_parks(scope.parks, start, end, min_cases=requested_min_cases(),
                               sort=sort)
    return render_template("bureau/index.html", scope=scope, comparison=comparison,
                           month=month, last_day=end - timedelta(days=1), sort_keys=SORT_KEYS)


@bp.post("/logout")
@bureau_required
def logout(scope: Scope) -> ResponseReturnValue:
    log_out_everywhere(scope.user.id)
    logout_user()
    session.clear()
    return redirect(url_for("staff.login"), code=303)
