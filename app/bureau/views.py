"""Bureau pages: the league table of parks and the pages around it."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import logout_user

from app.bureau.blueprint import bp
from app.bureau.decorators import Scope, bureau_required
from app.bureau.forms import AcknowledgeForm
from app.models.types import utcnow
from app.realtime import NAMESPACE
from app.realtime.events import latest_visible_event_id
from app.services.accounts.staff import log_out_everywhere
from app.services.bureau.analytics import (
    SORT_KEYS,
    compare_parks,
    last_complete_month,
    next_month,
)
from app.services.bureau.rollups import REPORT_TZ
from app.services.bureau.warnings import (
    acknowledge_warning,
    may_acknowledge,
    names_for_warnings,
    recent_warnings,
)
from app.services.cases.workflow import INTAKE_CHANNELS
from app.services.errors import DomainError

WARNING_DAYS = 7


def today() -> date:
    return datetime.now(REPORT_TZ).date()


def requested_period() -> tuple[date, date, str]:
    """[start, end) from ?month=YYYY-MM or ?from=&to= (inclusive); by default the last
    complete month (the current one is partial: every park would be "not ranked")."""
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
    start = last_complete_month(today())
    return start, next_month(start), start.strftime("%Y-%m")


def requested_min_cases() -> int:
    default = int(current_app.config["BUREAU_MIN_CASES"])
    try:
        return max(0, int(request.args.get("min", default)))
    except ValueError:
        return default


@bp.get("/")
@bureau_required
def index(scope: Scope) -> ResponseReturnValue:
    return _index_page(scope)


def _index_page(scope: Scope, status: int = 200) -> ResponseReturnValue:
    start, end, month = requested_period()
    # read first: a warning raised while the page is built is replayed, not missed
    last_event_id = latest_visible_event_id(scope.user)
    sort = request.args.get("sort", "score")
    comparison = compare_parks(scope.parks, start, end, min_cases=requested_min_cases(),
                               sort=sort)
    warnings = recent_warnings(scope.park_ids, utcnow() - timedelta(days=WARNING_DAYS))
    return render_template("bureau/index.html", scope=scope, comparison=comparison,
                           month=month, last_day=end - timedelta(days=1), sort_keys=SORT_KEYS,
                           partial=comparison.partial(today()),
                           this_month=today().strftime("%Y-%m"),
                           last_month=last_complete_month(today()).strftime("%Y-%m"),
                           warnings=warnings, warning_days=WARNING_DAYS,
                           names=names_for_warnings(warnings), namespace=NAMESPACE,
                           intake_channels=INTAKE_CHANNELS,
                           last_event_id=last_event_id,
                           may_acknowledge=lambda w: may_acknowledge(scope.user, w),
                           ack_form=AcknowledgeForm()), status


@bp.post("/warnings/<int:warning_id>/acknowledge")
@bureau_required
def acknowledge(scope: Scope, warning_id: int) -> ResponseReturnValue:
    """A person acknowledges a warning with a note; a viewer gets 403, a stranger 404."""
    form = AcknowledgeForm()
    if not form.validate_on_submit():
        problems = [str(e) for errors in form.errors.values() for e in errors]
        flash(" ".join(problems) or _("Please check the form."), "error")
        return _index_page(scope, 400)
    try:
        acknowledge_warning(user=scope.user, warning_id=warning_id, note=form.note.data or "",
                            now=utcnow())
    except DomainError as error:
        flash(str(error), "error")
        return _index_page(scope, 400)
    flash(_("Warning acknowledged."), "success")
    return redirect(url_for("bureau.index", _anchor=f"warning-{warning_id}"), code=303)


@bp.post("/logout")
@bureau_required
def logout(scope: Scope) -> ResponseReturnValue:
    log_out_everywhere(scope.user.id)
    logout_user()
    session.clear()
    return redirect(url_for("staff.login"), code=303)
